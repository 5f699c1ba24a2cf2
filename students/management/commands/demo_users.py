from django.core.management.base import BaseCommand

from students.services import demo_user_reset


class Command(BaseCommand):
    help = (
        "Create or reset the demo logins with fresh random passwords and print them. "
        "For a trial machine only."
    )

    def handle(self, *args, **options):
        password = demo_user_reset(username="staff")
        self.stdout.write(self.style.SUCCESS("Demo login (data entry staff):"))
        self.stdout.write(f"  user: staff   password: {password}")
