from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from students.navigation import SignInView

admin.site.site_header = "EduPulse administration"
admin.site.site_title = "EduPulse"
admin.site.index_title = "District data"
# "View site" goes to each role's own start page (students.navigation.start).
admin.site.site_url = "/start/"

urlpatterns = [
    path("", include("analytics.urls")),
    path("", include("students.urls")),
    path("", include("mlmodels.urls")),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
