"""The dashboards' filter forms (GET, so a filtered list can be bookmarked; never a name)."""

from django import forms

from analytics import page_cache
from analytics.dashboards import SORT_LABELS, DashboardQuery
from analytics.features import FEATURE_NAMES
from mlmodels import explain
from mlmodels.models import RiskCategory
from students.access import scope_key, visible_students
from students.forms import GRADE_CHOICES, school_choices


def cached_school_choices(user) -> list[tuple[str, str]]:
    """The schools of the students `user` sees: a counselor or educator filters by their own
    schools only. Kept per scope; an import, a student's edit or an assignment is a new data
    generation."""
    return page_cache.cached(
        ("schools", scope_key(user)), lambda: school_choices(visible_students(user))
    )


class DashboardFilterForm(forms.Form):
    grade_level = forms.TypedChoiceField(
        label="Grade",
        choices=[("", "All grades"), *GRADE_CHOICES[1:]],
        coerce=int,
        empty_value=None,
        required=False,
    )
    school = forms.ChoiceField(label="School", required=False)
    category = forms.ChoiceField(
        label="Risk",
        choices=[("", "All categories"), *reversed(RiskCategory.choices)],
        required=False,
    )
    factor = forms.ChoiceField(
        label="Risk factor (top 3)",
        # Only what can be a factor (explain.NOT_FACTORS never is), in words.
        choices=[
            ("", "Any factor"),
            *((n, explain.label(n)) for n in FEATURE_NAMES if n not in explain.NOT_FACTORS),
        ],
        required=False,
    )
    chronic_absence = forms.BooleanField(
        label="Chronically absent (missing 10% or more of school days)", required=False
    )
    newly_high = forms.BooleanField(label="Newly high this week", required=False)
    without_intervention = forms.BooleanField(
        label="Flagged without an intervention", required=False
    )
    check_in_due = forms.BooleanField(label="Check-in due", required=False)
    sort = forms.ChoiceField(label="Sort", choices=list(SORT_LABELS.items()), required=False)
    page = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].choices = [("", "All schools"), *cached_school_choices(user)]

    def to_query(self, search: str, today=None) -> DashboardQuery:
        """The filters as a DashboardQuery; invalid values are dropped, not fatal."""
        self.is_valid()  # an invalid field is left out of cleaned_data, the rest still apply
        data = self.cleaned_data
        return DashboardQuery(
            grade_level=data.get("grade_level"),
            school=data.get("school") or None,
            category=data.get("category") or None,
            factor=data.get("factor") or None,
            newly_high=bool(data.get("newly_high")),
            without_intervention=bool(data.get("without_intervention")),
            check_in_due=bool(data.get("check_in_due")),
            chronic_absence=bool(data.get("chronic_absence")),
            today=today,
            search=search,
            sort=data.get("sort") or "risk",
        )


class SearchForm(forms.Form):
    """A name or district ID, POSTed and kept in the session: it never appears in a URL."""

    search = forms.CharField(label="Search", max_length=100, required=False, strip=True)


WEEK_CHOICES = [
    (4, "4 weeks"),
    (8, "8 weeks"),
    (12, "12 weeks"),
    (26, "26 weeks"),
    (52, "52 weeks"),
]


class TrendsForm(forms.Form):
    weeks = forms.TypedChoiceField(
        label="Window", choices=WEEK_CHOICES, coerce=int, empty_value=8, required=False, initial=8
    )
    school = forms.ChoiceField(label="School", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].choices = [("", "All schools"), *cached_school_choices(user)]


class SchoolForm(forms.Form):
    """The interventions report and export: one school, or every school the user sees."""

    school = forms.ChoiceField(label="School", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].choices = [("", "All schools"), *cached_school_choices(user)]
