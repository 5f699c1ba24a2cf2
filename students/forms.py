"""Forms of the students app: caseload assignments (admin) and the dashboard filters."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from students.models import Assignment, Student
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
