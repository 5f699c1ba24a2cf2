from django.core.management.base import BaseCommand

from students.services import roles_sync


class Command(BaseCommand):
    help = "Create the role groups and give each exactly its permissions (idempotent)."

    def handle(self, *args, **options):
        for role, count in roles_sync().items():
            # A role without admin permissions is normal (counselors and educators work on the
            # dashboards): said so, not as "0 permissions", which reads as a failure.
            if count:
                self.stdout.write(f"{role}: {count} admin permission{'s' if count != 1 else ''}")
            else:
                self.stdout.write(f"{role}: dashboards only (no admin permissions needed)")
