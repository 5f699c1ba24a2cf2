import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from students import interventions as support
from students.models import CaseNote, CheckIn, Intervention
from students.services import demo_logins_reset
from tests.web.conftest import build_district

pytestmark = pytest.mark.django_db


def test_it_populates_the_support_pages_once(capsys):
    build_district(40)
    demo_logins_reset()
    call_command("demo_interventions")
    plans = Intervention.objects.all()
    assert plans.count() == 6
    assert CheckIn.objects.exists() and CaseNote.objects.filter(visibility="counselors").exists()
    assert plans.filter(support.due_condition(timezone.localdate())).exists()
    assert plans.filter(status="completed").count() == 1
    assert all(p.prediction_id for p in plans)
    counts = (plans.count(), CheckIn.objects.count(), CaseNote.objects.count())

    call_command("demo_interventions")
    assert (plans.count(), CheckIn.objects.count(), CaseNote.objects.count()) == counts
    assert "exist already" in capsys.readouterr().out


def test_without_a_model_it_makes_nothing(capsys):
    demo_logins_reset()
    call_command("demo_interventions")
    assert not Intervention.objects.exists()
    assert "no interventions made" in capsys.readouterr().out


def test_the_demo_dates_are_never_in_the_future():
    build_district(40)
    demo_logins_reset()
    call_command("demo_interventions")
    today = timezone.localdate()
    assert not CheckIn.objects.filter(date__gt=today).exists()
    assert not Intervention.objects.filter(ended_on__gt=today + dt.timedelta(days=0)).exists()
