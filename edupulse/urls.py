from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "EduPulse administration"
admin.site.site_title = "EduPulse"
admin.site.index_title = "District data"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False), name="home"),
    path("admin/", admin.site.urls),
]
