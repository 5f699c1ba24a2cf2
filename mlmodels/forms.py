"""The feedback form: an educator's or counselor's word on one prediction."""

import functools

from django import forms
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from mlmodels.models import FeedbackType, Prediction, TrainingFeedback
from records.models import OutcomeType

# Feedback types that say the adverse outcome happened: they need to say which and when.
OUTCOME_HAPPENED = (FeedbackType.TRUE_POSITIVE, FeedbackType.FALSE_NEGATIVE)
NOTES_MAX = 2000


class FeedbackForm(forms.ModelForm):
    feedback_type = forms.ChoiceField(
        label="Was the prediction right?",
        choices=[("", "Choose one"), *FeedbackType.choices],
        error_messages={
            "required": "Say whether the prediction was right (choose a feedback type)."
        },
    )
    outcome_type = forms.ChoiceField(
        label="What happened",
        choices=[("", "Nothing to report"), *OutcomeType.choices],
        required=False,
    )
    outcome_date = forms.DateField(
        label="When it happened",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the date as YYYY-MM-DD."},
    )
    educator_notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you observed or did. Avoid health details; the notes are kept with the "
        "prediction.",
    )

    class Meta:
        model = TrainingFeedback
        fields = ["feedback_type", "outcome_type", "outcome_date", "educator_notes"]

    def __init__(self, *args, prediction: Prediction, **kwargs):
        super().__init__(*args, **kwargs)
        self.prediction = prediction

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
        feedback_type = cleaned.get("feedback_type")
        outcome_type = cleaned.get("outcome_type") or None
        outcome_date = cleaned.get("outcome_date")
        cleaned["outcome_type"] = outcome_type
        if feedback_type in OUTCOME_HAPPENED and not outcome_type:
            self.add_error(
                "outcome_type",
                "This feedback type says an adverse outcome happened: choose which one.",
            )
        if outcome_type and not outcome_date and "outcome_date" not in self.errors:
            self.add_error("outcome_date", "Give the date of the outcome.")
        if outcome_date and not outcome_type:
            self.add_error("outcome_type", "Choose the outcome this date is for.")
        return cleaned


def fields_html(form: FeedbackForm) -> SafeString:
    """The form's fields as HTML. Unbound, they are the same for every prediction (the action
    URL and the CSRF token are outside them), so they are drawn once per process."""
    if form.is_bound:
        return render_to_string("mlmodels/_feedback_fields.html", {"form": form})
    return _blank_fields_html()


@functools.cache
def _blank_fields_html() -> SafeString:
    return render_to_string(
        "mlmodels/_feedback_fields.html", {"form": FeedbackForm(prediction=None)}
    )
