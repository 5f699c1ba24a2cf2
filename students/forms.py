"""Forms of the students app: caseload assignments (admin), the dashboard filters, and a
student's support (interventions, check-ins, case notes) and the user's profile."""

import functools

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from students.models import (
    CLOSED_STATUSES,
    Assignment,
    Domain,
    InterventionStatus,
    InterventionType,
    NoteVisibility,
    Progress,
    StaffProfile,
    Student,
    Tier,
)
from students.roles import ASSIGNED_ROLES


def school_choices(students: QuerySet[Student] | None = None) -> list[tuple[str, str]]:
    """The schools that have students, of `students` only when given (a user's scope, from
    students.access.visible_students). A DISTINCT served by idx_students_school_grade."""
    schools = (
        (Student.objects.all() if students is None else students)
        .exclude(school__isnull=True)
        .order_by("school")
        .values_list("school", flat=True)
        .distinct()
    )
    return [(school, school) for school in schools]


GRADE_CHOICES = [("", "every grade"), ("0", "K")] + [(str(g), str(g)) for g in range(1, 13)]


class AssignmentForm(forms.ModelForm):
    """One student, or a whole group (a school, or a grade of a school), for one user."""

    school = forms.ChoiceField(choices=(), required=False)
    grade_level = forms.TypedChoiceField(
        choices=GRADE_CHOICES, coerce=int, empty_value=None, required=False
    )

    class Meta:
        model = Assignment
        fields = ["user", "student", "school", "grade_level"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].choices = [("", "---------"), *school_choices()]
        if "user" in self.fields:
            self.fields["user"].queryset = (
                get_user_model()
                .objects.filter(Q(groups__name__in=ASSIGNED_ROLES))
                .distinct()
                .order_by("username")
            )
            self.fields["user"].help_text = "A counselor or an educator."

    def clean(self):
        cleaned = super().clean()
        student, school = cleaned.get("student"), cleaned.get("school") or None
        grade_level = cleaned.get("grade_level")
        cleaned["school"] = school
        if student and (school or grade_level is not None):
            raise forms.ValidationError(
                "Give either one student, or a school and grade level for a group, not both."
            )
        if not student and not school:
            raise forms.ValidationError(
                "Choose a student, or a school (and optionally a grade level) for a group."
            )
        return cleaned


# --- Support: interventions, check-ins, case notes, the user's profile ---------------------------

TEXT_MAX = 4000


class DateInput(forms.DateInput):
    input_type = "date"


class InterventionForm(forms.Form):
    """Start an intervention for one student; the owner is someone who can see them."""

    intervention_type = forms.ModelChoiceField(
        label="Intervention", queryset=InterventionType.objects.none(), empty_label="Choose one"
    )
    domain = forms.ChoiceField(label="Domain", choices=Domain.choices)
    tier = forms.TypedChoiceField(label="Tier", choices=Tier.choices, coerce=int, initial=2)
    owner = forms.ModelChoiceField(
        label="Owner", queryset=get_user_model().objects.none(), empty_label="Choose one"
    )
    goal = forms.CharField(
        label="Goal",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What should change, and how you will see it.",
    )
    start_date = forms.DateField(label="Start", widget=DateInput())
    planned_end = forms.DateField(
        label="Planned end",
        required=False,
        widget=DateInput(),
        help_text="Six weeks after the start when left empty.",
    )

    def __init__(self, *args, types, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["intervention_type"].queryset = types
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.get_username()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", "The planned end cannot be before the start.")
        return cleaned


class CheckInForm(forms.Form):
    date = forms.DateField(label="Date of the check-in", widget=DateInput())
    progress = forms.ChoiceField(label="Progress", choices=[("", "Choose one"), *Progress.choices])
    note = forms.CharField(
        label="Check-in note",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, today, start=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today, self.start = today, start
        self.fields["date"].initial = today

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > self.today:
            raise forms.ValidationError("A check-in cannot be in the future.")
        if self.start and date < self.start:
            raise forms.ValidationError("A check-in cannot be before the intervention started.")
        return date


class CloseForm(forms.Form):
    status = forms.ChoiceField(
        label="Close as",
        choices=[(s.value, s.label) for s in InterventionStatus if s.value in CLOSED_STATUSES],
    )
    ended_on = forms.DateField(label="Ended on", widget=DateInput())
    outcome = forms.CharField(
        label="Outcome",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What changed for the student.",
    )

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["ended_on"].initial = today

    def clean_ended_on(self):
        date = self.cleaned_data["ended_on"]
        if date > self.today:
            raise forms.ValidationError("The end cannot be in the future.")
        return date


class CaseNoteForm(forms.Form):
    date = forms.DateField(label="Date of the note", widget=DateInput())
    text = forms.CharField(
        label="Case note",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="An education record: the student's family may ask to read it. Avoid health "
        "details.",
    )
    visibility = forms.ChoiceField(label="Who may read it", choices=NoteVisibility.choices)

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["date"].initial = today

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > self.today:
            raise forms.ValidationError("A note cannot be dated in the future.")
        return date


def note_fields_html(form: CaseNoteForm) -> SafeString:
    """The case note form's fields as HTML. Unbound, they depend only on the day (the date's
    initial value), so the blank form is drawn once a day per process: every student page
    shows it to those who may write notes."""
    if form.is_bound:
        return render_to_string("students/_fields.html", {"form": form})
    return _blank_note_fields(form.today)


@functools.lru_cache(maxsize=2)
def _blank_note_fields(today) -> SafeString:
    return render_to_string("students/_fields.html", {"form": CaseNoteForm(today=today)})


class ProfileForm(forms.ModelForm):
    class Meta:
        model = StaffProfile
        fields = ["weekly_digest"]
