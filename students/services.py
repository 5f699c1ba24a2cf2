"""Writes that concern users and roles."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from students.roles import DATA_ENTRY, ROLE_PERMISSIONS


@transaction.atomic
def roles_sync() -> dict[str, int]:
    """Create each role's group and set its permissions to exactly those of ROLE_PERMISSIONS.

    Idempotent; returns the number of permissions per group.
    """
    counts = {}
    for role, grants in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = Q(pk__in=[])
        for label, actions in grants.items():
            app_label, model = label.split(".")
            wanted |= Q(
                content_type__app_label=app_label,
                content_type__model=model,
                codename__in=[f"{action}_{model}" for action in actions],
            )
        permissions = list(Permission.objects.filter(wanted))
        group.permissions.set(permissions)
        counts[role] = len(permissions)
    return counts


@transaction.atomic
def demo_user_reset(*, username: str, role: str = DATA_ENTRY) -> str:
    """Create (or reset) a staff login in `role` with a fresh random password, and return it.

    For trials only: `make demo` prints the password so a newcomer can sign in.
    """
    roles_sync()
    user, _ = get_user_model().objects.get_or_create(username=username)
    password = secrets.token_urlsafe(9)
    user.set_password(password)
    user.is_staff = True
    user.is_active = True
    user.save()
    user.groups.add(Group.objects.get(name=role))
    return password
