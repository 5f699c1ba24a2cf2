"""Which model version scores and is shown: activating and deactivating versions.

The ABC rules (`mlmodels.baseline`) are research rules, not a learned model: they have no
validation metrics to judge and need none, so they can always be made active, which is how a
district goes back to the rules after deactivating a learned model. Learned versions go through
`mlmodels.training.activate_model`, which judges them. With no active version, `predict` scores
with the rules and the pages show the rules' predictions (`analytics.dashboards`).
"""

from django.db import transaction

from mlmodels import baseline
from mlmodels.models import ModelMetadata
from mlmodels.training import ActivationError, activate_model, baseline_model


@transaction.atomic
def model_activate(version: str, *, even_if_worse: bool = False) -> ModelMetadata:
    """Make `version` the one active model; the rules' version is registered if need be."""
    if version == baseline.VERSION:
        baseline_model()
    elif not _is_rules(version):
        return activate_model(version, even_if_worse=even_if_worse)
    model = ModelMetadata.objects.select_for_update().get(model_version=version)
    ModelMetadata.objects.filter(is_active=True).exclude(pk=model.pk).update(is_active=False)
    if not model.is_active:
        model.is_active = True
        model.save(update_fields=["is_active"])  # the pages' cache follows (post_save)
    return model


@transaction.atomic
def model_deactivate(version: str) -> ModelMetadata:
    """Make `version` inactive: then no version is, and the ABC rules score and are shown."""
    model = ModelMetadata.objects.select_for_update().filter(model_version=version).first()
    if model is None:
        raise ActivationError(f"There is no model version {version!r}.")
    if model.is_active:
        model.is_active = False
        model.save(update_fields=["is_active"])
    return model


def _is_rules(version: str) -> bool:
    """A version of the rules with its own settings (registered by hand): no metrics needed."""
    settings = (
        ModelMetadata.objects.filter(model_version=version, model_type=baseline.MODEL_TYPE)
        .values_list("hyperparameters", flat=True)
        .first()
    )
    return settings is not None and {"risk_by_flags", "risk_cutoffs"} <= set(settings)
