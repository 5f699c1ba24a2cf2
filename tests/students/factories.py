import datetime as dt

import factory
from django.contrib.auth import get_user_model

from students.models import Assignment, Student


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    district_id = factory.Sequence(lambda n: f"S{n:07d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    grade_level = 9
    date_of_birth = dt.date(2010, 5, 17)
    gender = "F"
    ethnicity = "Hispanic"
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
