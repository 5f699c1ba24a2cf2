from django.core.management.base import BaseCommand

from students.services import demo_logins_reset


class Command(BaseCommand):
    help = (
        "Create or reset the demo logins (administrator, counselor with a caseload, educator "
        "with assigned students, data entry staff) with fresh random passwords, and print them. "
        "Idempotent. For a trial machine only."
    )

    def handle(self, *args, **options):
        self.stdout.write(self.style.SUCCESS("Demo logins (sign in at /accounts/login/):"))
        for login in demo_logins_reset():
            self.stdout.write(
                f"  user: {login.username:<10} password: {login.password}   "
                f"{login.role}: {login.reach}"
            )
