"""The role groups for tests, as migration dashboard.0001_groups makes them."""

import importlib

from django.contrib.auth.models import Group, Permission


def role(name: str) -> Group:
    """The ``viewer`` or ``editor`` group with its permissions. Transactional tests flush
    every table, data migrations included, so it is remade when missing."""
    groups = importlib.import_module("dashboard.migrations.0001_groups")
    group, created = Group.objects.get_or_create(name=name)
    if created:
        codenames = groups.VIEW if name == "viewer" else groups.VIEW + groups.EDIT
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="scenarios", codename__in=codenames)
        )
    return group
