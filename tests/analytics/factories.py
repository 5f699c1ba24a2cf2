import datetime as dt

import factory

from analytics.models import StudentFeatures
from tests.students.factories import StudentFactory


class StudentFeaturesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudentFeatures

    student = factory.SubFactory(StudentFactory)
    feature_date = dt.date(2025, 10, 5)
    attendance_rate = 0.85
    gpa_current = 2.9
    discipline_incidents = 1
    feature_vector = factory.LazyFunction(
        lambda: {
            "attendance": [0.85, 0.9, 0.82, 0.88],
            "academic": [3.2, 2.8, 3.0, 2.9],
            "behavioral": [0, 1, 0, 2],
            "trends": [0.02, -0.15, 0.03],
            "metadata": {"weeks_of_data": 20, "data_quality": 0.95},
        }
    )
