from django.urls import path

from mlmodels import views

urlpatterns = [
    path(
        "predictions/<uuid:prediction_id>/feedback/",
        views.prediction_feedback,
        name="prediction_feedback",
    ),
    path("models/", views.model_performance, name="model_performance"),
]
