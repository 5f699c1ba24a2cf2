from django.contrib import admin, messages
from django.db.models import BooleanField, ExpressionWrapper, Q
from rangefilter.filters import DateRangeFilterBuilder
from simple_history.admin import SimpleHistoryAdmin

from mlmodels.activation import model_activate, model_deactivate
from mlmodels.models import ModelMetadata, Prediction, TrainingFeedback
from mlmodels.training import ActivationError
from students.admin_base import EstimatedCountPaginator, LargeTableAdmin, StudentColumnsMixin


@admin.register(ModelMetadata)
class ModelMetadataAdmin(SimpleHistoryAdmin):
    list_display = ("model_version", "model_type", "training_date", "is_active", "has_model_bytes")
    list_filter = ("model_type", "is_active", ("training_date", DateRangeFilterBuilder()))
    search_fields = ("model_version",)
    readonly_fields = ("id", "created_at", "has_model_bytes", "is_active")
    actions = ("activate", "deactivate")
    fields = (
        "model_version",
        "model_type",
        "training_date",
        "is_active",
        "hyperparameters",
        "performance_metrics",
        "has_model_bytes",
        "id",
        "created_at",
    )

    def get_queryset(self, request):
        # The trained bytes can be megabytes per version: never load them for a list or form.
        return (
            super()
            .get_queryset(request)
            .defer("model_bytes")
            .annotate(
                stored=ExpressionWrapper(Q(model_bytes__isnull=False), output_field=BooleanField())
            )
        )

    @admin.action(description="Make the selected model version the active one")
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one model version.", messages.ERROR)
            return
        try:
            model = model_activate(queryset.get().model_version)
        except ActivationError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(request, f"{model.model_version} is now the active model.")

    @admin.action(description="Deactivate the selected model versions (the ABC rules then score)")
    def deactivate(self, request, queryset):
        for model in queryset.filter(is_active=True):
            model_deactivate(model.model_version)
        self.message_user(request, "No model version is active: the ABC rules score and are shown.")

    @admin.display(boolean=True, description="trained model stored")
    def has_model_bytes(self, obj: ModelMetadata) -> bool:
        return obj.stored


@admin.register(Prediction)
class PredictionAdmin(StudentColumnsMixin, admin.ModelAdmin):
    list_display = (
        "prediction_date",
        "district_id",
        "student",
        "risk_category",
        "risk_score",
        "confidence",
        "model_version",
    )
    list_filter = (
        "risk_category",
        ("prediction_date", DateRangeFilterBuilder(title="prediction date")),
        "model_version",
        "student__grade_level",
    )
    autocomplete_fields = ("student",)
    date_hierarchy = "prediction_date"
    readonly_fields = ("id", "created_at")
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    change_list_template = "admin/large_change_list.html"


@admin.register(TrainingFeedback)
class TrainingFeedbackAdmin(LargeTableAdmin):
    list_display = ("created_at", "district_id", "feedback_type", "outcome_type", "outcome_date")
    list_filter = (
        "feedback_type",
        "outcome_type",
        ("outcome_date", DateRangeFilterBuilder(title="outcome date")),
        "prediction__model_version",
    )
    list_select_related = ("prediction__student",)
    search_fields = ("=prediction__student__district_id",)
    search_help_text = "Student district ID (exact)."
    raw_id_fields = ("prediction",)
    readonly_fields = ("id", "created_at")
    date_hierarchy = "created_at"

    @admin.display(description="district ID", ordering="prediction__student__district_id")
    def district_id(self, obj: TrainingFeedback) -> str:
        return obj.prediction.student.district_id
