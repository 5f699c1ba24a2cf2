"""Django's system checks, as `migrate` runs them before anything else (database checks
included)."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_the_project_passes_every_system_check():
    # Raises SystemCheckError on any error, e.g. an index name longer than 30 characters.
    call_command("check", database=["default"], fail_level="ERROR")
