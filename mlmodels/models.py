"""Risk models, their predictions, and educators' feedback on those predictions."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from simple_history.models import HistoricalRecords

from students.db import RealField, choices_check, range_check
from students.models import Student


class ModelMetadata(models.Model):
    """A version of a risk model: its type, hyperparameters, metrics, and trained bytes.

    `model_bytes` holds the trained model in the library's own format (XGBoost's UBJSON), never
    a pickle, so loading a stored model cannot run code.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    model_version = models.CharField(max_length=50)
    model_type = models.CharField(max_length=50, null=True, blank=True)
    training_date = models.DateTimeField(db_default=Now())
    performance_metrics = models.JSONField(default=dict, blank=True, db_default={})
    hyperparameters = models.JSONField(default=dict, blank=True, db_default={})
    is_active = models.BooleanField(default=False, db_default=False)
    model_bytes = models.BinaryField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    # The bytes are megabytes and unreadable; the history keeps everything else.
    history = HistoricalRecords(
        table_name="model_metadata_history", excluded_fields=["model_bytes"]
    )

    class Meta:
        db_table = "model_metadata"
        verbose_name = "model version"
        ordering = ["-training_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["model_version"], name="model_metadata_model_version_key"
            ),
            # Exactly one active model: a partial unique index (PostgreSQL and SQLite).
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="model_metadata_one_active",
                violation_error_message="Another model version is already active.",
            ),
        ]
        indexes = [
            models.Index(fields=["model_version"], name="idx_model_version"),
            models.Index(fields=["is_active"], name="idx_model_active"),
            models.Index(fields=["training_date"], name="idx_model_training_date"),
        ]

    def __str__(self) -> str:
        return self.model_version


class RiskCategory(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class Prediction(models.Model):
    """A model's risk estimate for one student, with the factors that explain it.

    `risk_factors` is a list of {factor, weight, value, description, recommendation}.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, db_index=False, related_name="predictions"
    )
    # Addition: the as-of date T whose feature row was scored. prediction_date says when the
    # scoring ran; "the latest prediction" of a student is the one with the latest as_of.
    as_of = models.DateField(null=True, blank=True)
    prediction_date = models.DateTimeField(db_default=Now())
    risk_score = RealField(null=True, blank=True)
    risk_category = models.CharField(
        max_length=20, choices=RiskCategory.choices, null=True, blank=True
    )
    confidence = RealField(null=True, blank=True)
    risk_factors = models.JSONField(default=list, blank=True, db_default=[])
    # The document joins predictions.model_version to model_metadata.model_version; a foreign
    # key makes that join a constraint. PROTECT: a model that has predictions cannot vanish.
    model_version = models.ForeignKey(
        ModelMetadata,
        to_field="model_version",
        db_column="model_version",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,  # idx_predictions_model_version
        related_name="predictions",
    )
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        db_table = "predictions"
        ordering = ["-prediction_date"]
        constraints = [
            # Re-scoring T with the same model replaces the rows: one per student, T and model.
            models.UniqueConstraint(
                fields=["student", "as_of", "model_version"], name="predictions_student_as_of_model"
            ),
            range_check("risk_score", 0, 1, "predictions"),
            choices_check("risk_category", RiskCategory, "predictions"),
            range_check("confidence", 0, 1, "predictions"),
        ]
        indexes = [
            models.Index(fields=["student"], name="idx_predictions_student"),
            models.Index(fields=["prediction_date"], name="idx_predictions_date"),
            models.Index(fields=["risk_category"], name="idx_predictions_risk_category"),
            models.Index(fields=["model_version"], name="idx_predictions_model_version"),
            # The dashboards' "latest prediction per student" and the weekly lists.
            models.Index(fields=["as_of", "risk_category"], name="idx_predictions_as_of_category"),
            # The dashboard's most urgent page: one model's week, a category, highest score
            # first, read 50 entries at a time; its counts and histogram are index-only scans.
            models.Index(
                fields=["model_version", "as_of", "risk_category", "-risk_score"],
                name="idx_predictions_week_ranked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.risk_category or 'unscored'} ({self.risk_score}) by {self.model_version_id}"


class FeedbackType(models.TextChoices):
    # The stored values are the schema document's; what people read is in words.
    TRUE_POSITIVE = "true_positive", "Flagged, and the outcome happened"
    FALSE_POSITIVE = "false_positive", "Flagged, but no adverse outcome"
    TRUE_NEGATIVE = "true_negative", "Not flagged, and no adverse outcome"
    FALSE_NEGATIVE = "false_negative", "Not flagged, but the outcome happened"


class TrainingFeedback(models.Model):
    """An educator's word on whether a prediction was right, and what actually happened."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    prediction = models.ForeignKey(
        Prediction, on_delete=models.CASCADE, db_index=False, related_name="feedback"
    )
    outcome_date = models.DateField(null=True, blank=True)
    outcome_type = models.CharField(max_length=50, null=True, blank=True)
    feedback_type = models.CharField(
        max_length=50, choices=FeedbackType.choices, null=True, blank=True
    )
    educator_notes = models.TextField(null=True, blank=True)
    # Addition: who gave the feedback (kept when the account is deleted, as NULL).
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="prediction_feedback",
    )
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    history = HistoricalRecords(table_name="training_feedback_history")

    class Meta:
        db_table = "training_feedback"
        verbose_name = "training feedback"
        verbose_name_plural = "training feedback"
        ordering = ["-created_at"]
        constraints = [choices_check("feedback_type", FeedbackType, "training_feedback")]
        indexes = [
            models.Index(fields=["prediction"], name="idx_feedback_prediction"),
            models.Index(fields=["feedback_type"], name="idx_feedback_type"),
            models.Index(fields=["outcome_date"], name="idx_feedback_outcome_date"),
        ]

    def __str__(self) -> str:
        return f"{self.get_feedback_type_display() or 'feedback'} on {self.prediction_id}"
