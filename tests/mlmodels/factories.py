import factory

from mlmodels.models import ModelMetadata, Prediction, TrainingFeedback
from tests.students.factories import StudentFactory


class ModelMetadataFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelMetadata

    model_version = factory.Sequence(lambda n: f"xgb-2025.{n}")
    model_type = "xgboost"
    performance_metrics = factory.LazyFunction(
        lambda: {"auc_roc": 0.92, "precision_at_k": {"k5": 0.94}}
    )
    hyperparameters = factory.LazyFunction(lambda: {"max_depth": 4, "eta": 0.1})


class PredictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prediction

    student = factory.SubFactory(StudentFactory)
    risk_score = 0.72
    risk_category = "high"
    confidence = 0.8
    risk_factors = factory.LazyFunction(
        lambda: [
            {
                "factor": "attendance_rate_30d",
                "weight": 0.34,
                "value": 0.65,
                "description": "Low attendance pattern detected",
                "recommendation": "Contact family to discuss attendance barriers",
            }
        ]
    )
    model_version = factory.SubFactory(ModelMetadataFactory)


class TrainingFeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingFeedback

    prediction = factory.SubFactory(PredictionFactory)
    feedback_type = "true_positive"
    outcome_type = "failed"
    educator_notes = "Student failed Algebra I as flagged."
