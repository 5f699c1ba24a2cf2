"""Where each role lands after signing in, and the menu links a user may follow.

The menu shows only pages that answer the user with 200 (`students.access` decides who may use
the dashboards; the admin needs `is_staff`), so nobody is offered a link to "Not allowed".
"""

from django.contrib.auth.views import LoginView
from django.shortcuts import redirect
from django.urls import reverse

from students.access import has_dashboard_role, has_role, may_manage_interventions, sees_everyone
from students.roles import EDUCATOR

# (url name, label): the dashboard pages, in menu order.
DASHBOARD_LINKS = (
    ("dashboard", "Risk dashboard"),
    ("my_students", "My students"),
    ("interventions_report", "Interventions"),
    ("attendance_trends", "Attendance trends"),
    ("model_performance", "Model performance"),
)


def home_url(user) -> str:
    """The page a user starts on: counselors and administrators the risk dashboard, educators
    their work list ("My students"), data entry staff the admin, anyone else their settings."""
    if has_dashboard_role(user):
        educator_only = not may_manage_interventions(user) and not sees_everyone(user)
        if educator_only and has_role(user, EDUCATOR):
            return reverse("my_students")
        return reverse("dashboard")
    if user.is_authenticated and user.is_active and user.is_staff:
        return reverse("admin:index")
    return reverse("account")


def menu(request) -> dict:
    """Context processor: `menu` (the links the signed-in user may follow, the current one
    marked) and `home_url` (where the brand link and the error pages send them)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"menu": [], "home_url": reverse("login")}
    current = getattr(getattr(request, "resolver_match", None), "url_name", None)
    links = []
    if has_dashboard_role(user):
        links = [
            {"url": reverse(name), "label": label, "current": name == current}
            for name, label in DASHBOARD_LINKS
        ]
    if user.is_staff:
        links.append({"url": reverse("admin:index"), "label": "Admin", "current": False})
    return {"menu": links, "home_url": home_url(user)}


class SignInView(LoginView):
    """The site's login page. Without a page to go back to (or with the site's root, where
    everyone starts), each role goes to its own start page rather than the dashboard, which
    data entry staff may not use."""

    redirect_authenticated_user = True

    def get_redirect_url(self) -> str:
        url = super().get_redirect_url()
        return "" if url == "/" else url

    def get_default_redirect_url(self) -> str:
        return home_url(self.request.user)


def start(request):
    """The signed-in user's start page (the admin's "View site" link: data entry staff would
    find "Not allowed" at the dashboard)."""
    return redirect(home_url(request.user))
