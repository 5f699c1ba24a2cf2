"""`setup_roles` (run by `make demo`) prints nothing that reads as an error."""

import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_setup_roles_never_reports_zero_permissions():
    out = io.StringIO()
    call_command("setup_roles", stdout=out)
    text = out.getvalue()
    assert "0 permissions" not in text
    assert "dashboards only" in text and "admin permissions" in text
