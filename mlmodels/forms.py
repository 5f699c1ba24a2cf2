"""The feedback form: an educator's or counselor's word on one prediction.

People answer two plain questions (was the student flagged? did the outcome happen?); the form
stores the schema's value for the pair (true_positive, false_positive, false_negative,
true_negative). "Flagged" is said with its number: a risk at or above the model's High cut-off,
i.e. the student was listed as High or Critical.
"""

import functools

from django import forms
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from mlmodels.models import FeedbackType, ModelMetadata, Prediction, RiskCategory, TrainingFeedback
from records.models import OutcomeType

# Feedback types that say the adverse outcome happened: they need to say which and when.
OUTCOME_HAPPENED = (FeedbackType.TRUE_POSITIVE, FeedbackType.FALSE_NEGATIVE)
FLAGGED = (RiskCategory.HIGH, RiskCategory.CRITICAL)
NOTES_MAX = 2000
YES, NO = "yes", "no"
YES_NO = [(YES, "Yes"), (NO, "No")]
# (flagged, outcome happened) -> the schema's feedback type.
FEEDBACK_TYPE = {
    (YES, YES): FeedbackType.TRUE_POSITIVE,
    (YES, NO): FeedbackType.FALSE_POSITIVE,
    (NO, NO): FeedbackType.TRUE_NEGATIVE,
    (NO, YES): FeedbackType.FALSE_NEGATIVE,
}
DATE_FORMAT = "%Y-%m-%d"
DATE_WORDS = "YYYY-MM-DD, e.g. 2025-11-14"


def high_cutoff(prediction: Prediction | None) -> float:
    """The High cut-off of the model that made `prediction` (the district's default without
    one). The active model comes from the page cache; another version costs one small query."""
    from analytics.dashboards import active_model  # the pages' cached model; analytics reads us

    cutoffs = None
    if prediction is not None:
        model = active_model()
        if model is not None and model.model_version == prediction.model_version_id:
            cutoffs = (model.hyperparameters or {}).get("risk_cutoffs")
        else:
            cutoffs = (
                ModelMetadata.objects.filter(pk=prediction.model_version_id)
                .values_list("hyperparameters", flat=True)
                .first()
                or {}
            ).get("risk_cutoffs")
    cutoffs = cutoffs if isinstance(cutoffs, dict) else settings.EDUPULSE_RISK_CUTOFFS
    return float(cutoffs.get("high", settings.EDUPULSE_RISK_CUTOFFS["high"]))


def _adverse_outcomes() -> str:
    labels = dict(OutcomeType.choices)
    names = [str(labels.get(o, o)).lower() for o in settings.EDUPULSE_ADVERSE_OUTCOMES]
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else "".join(names)


class FeedbackForm(forms.ModelForm):
    flagged = forms.ChoiceField(
        label="Was the student flagged?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the student was flagged (High or Critical)."},
    )
    outcome_happened = forms.ChoiceField(
        label="Did the outcome happen?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the outcome happened."},
    )
    outcome_type = forms.ChoiceField(
        label="What happened",
        choices=[("", "Nothing to report"), *OutcomeType.choices],
        required=False,
    )
    outcome_date = forms.DateField(
        label="When it happened",
        required=False,
        input_formats=[DATE_FORMAT],
        # A text field: a browser's date picker shows the date in the reader's locale, which
        # then disagrees with the format the help and the error message give.
        widget=forms.DateInput(
            format=DATE_FORMAT, attrs={"placeholder": "YYYY-MM-DD", "autocomplete": "off"}
        ),
        help_text=f"As {DATE_WORDS}.",
        error_messages={"invalid": f"Enter the date as {DATE_WORDS}."},
    )
    educator_notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you observed or did. Avoid health details; the notes are kept with the "
        "prediction.",
    )

    field_order = ["flagged", "outcome_happened", "outcome_type", "outcome_date", "educator_notes"]

    class Meta:
        model = TrainingFeedback
        fields = ["outcome_type", "outcome_date", "educator_notes"]

    def __init__(self, *args, prediction: Prediction | None, high: float | None = None, **kwargs):
        """`high` (the High cut-off) defaults to that of the prediction's model."""
        kwargs.setdefault("initial", {})
        if prediction is not None and prediction.risk_category:
            kwargs["initial"].setdefault(
                "flagged", YES if prediction.risk_category in FLAGGED else NO
            )
        super().__init__(*args, **kwargs)
        self.prediction = prediction
        self.high = high_cutoff(prediction) if high is None else high
        self.fields["flagged"].help_text = (
            f"Flagged means listed as High or Critical: a risk score of {self.high:.2f} or more "
            "(the model's High cut-off)."
        )
        self.fields[
            "outcome_happened"
        ].help_text = f"An adverse outcome after the prediction's date ({_adverse_outcomes()})."

    def clean_outcome_date(self):
        date = self.cleaned_data.get("outcome_date")
        if date and date > timezone.localdate():
            raise forms.ValidationError("The outcome date cannot be in the future.")
        if date and self.prediction.as_of and date < self.prediction.as_of:
            raise forms.ValidationError(
                f"The outcome date is before the prediction's as-of date "
                f"({self.prediction.as_of:%Y-%m-%d}): feedback is about what happened after it."
            )
        return date

    def clean(self):
        cleaned = super().clean()
        flagged, happened = cleaned.get("flagged"), cleaned.get("outcome_happened")
        outcome_type = cleaned.get("outcome_type") or None
        outcome_date = cleaned.get("outcome_date")
        cleaned["outcome_type"] = outcome_type
        feedback_type = FEEDBACK_TYPE.get((flagged, happened))
        cleaned["feedback_type"] = feedback_type
        self.instance.feedback_type = feedback_type
        if happened == YES and not outcome_type:
            self.add_error("outcome_type", "You said the outcome happened: choose which one.")
        if outcome_type and not outcome_date and "outcome_date" not in self.errors:
            self.add_error("outcome_date", "Give the date of the outcome.")
        if outcome_date and not outcome_type:
            self.add_error("outcome_type", "Choose the outcome this date is for.")
        return cleaned


def fields_html(form: FeedbackForm) -> SafeString:
    """The form's fields as HTML. Unbound, they depend only on the High cut-off and whether
    the prediction was flagged (the action URL and the CSRF token are outside them), so each
    such pair is drawn once per process."""
    if form.is_bound:
        return render_to_string("mlmodels/_feedback_fields.html", {"form": form})
    return _blank_fields_html(form.high, form.initial.get("flagged"))


@functools.cache
def _blank_fields_html(high: float, flagged: str | None) -> SafeString:
    form = FeedbackForm(prediction=None, high=high, initial={"flagged": flagged})
    return render_to_string("mlmodels/_feedback_fields.html", {"form": form})
