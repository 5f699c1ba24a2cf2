"""Words for risk factors in templates: `{% load factors %}` then `{{ f|factor_label }}`."""

from django import template

from mlmodels import explain

register = template.Library()


@register.filter
def factor_label(value) -> str:
    """A factor dict (predictions stored before labels existed have none) or a code name."""
    if isinstance(value, dict):
        return value.get("label") or explain.label(value.get("factor", ""))
    return explain.label(str(value))
