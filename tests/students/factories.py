import datetime as dt
import importlib

import factory
from django.contrib.auth import get_user_model
from faker import Faker

from students.models import Assignment, CaseNote, CheckIn, Intervention, InterventionType, Student

_FAKE = Faker()


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    district_id = factory.Sequence(lambda n: f"S{n:07d}")
    first_name = factory.Faker("first_name")
    # Unique: tests assert that one student's name is absent from a page or email showing
    # others, and two Faker "Jones" in one small district made that fail at random.
    last_name = factory.Sequence(lambda n: f"{_FAKE.last_name()}-{n:05d}")
    grade_level = 9
    date_of_birth = dt.date(2010, 5, 17)
    gender = "F"
    ethnicity = "Hispanic or Latino"
    socioeconomic_status = "low_income"
    gpa = 3.1
    attendance_rate = 0.93
    parent_contact = factory.Faker("phone_number")
    enrollment_date = dt.date(2025, 8, 20)


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    user = factory.SubFactory("tests.students.factories.UserFactory")
    student = factory.SubFactory(StudentFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-test-1234")


def catalogue() -> dict[str, InterventionType]:
    """The seeded catalogue (migration 0005), again after a transactional test emptied it."""
    seeded = importlib.import_module("students.migrations.0005_intervention_catalogue")
    return {
        name: InterventionType.objects.get_or_create(
            name=name, defaults={"domain": domain, "description": description}
        )[0]
        for name, domain, description in seeded.CATALOGUE
    }


class InterventionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Intervention

    student = factory.SubFactory(StudentFactory)
    intervention_type = factory.LazyFunction(lambda: catalogue()["Attendance mentoring"])
    domain = "attendance"
    tier = 2
    owner = factory.SubFactory(UserFactory)
    goal = "Attend every day for three weeks."
    start_date = dt.date(2025, 9, 22)
    planned_end = factory.LazyAttribute(lambda o: o.start_date + dt.timedelta(weeks=6))
    status = "active"


class CheckInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckIn

    intervention = factory.SubFactory(InterventionFactory)
    date = dt.date(2025, 9, 29)
    author = factory.SubFactory(UserFactory)
    progress = "some_progress"
    note = "Better this week."


class CaseNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseNote

    student = factory.SubFactory(StudentFactory)
    date = dt.date(2025, 9, 23)
    author = factory.SubFactory(UserFactory)
    text = "Talked with the student after class."
    visibility = "everyone"
