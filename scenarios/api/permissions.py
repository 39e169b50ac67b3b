"""Who may do what through the API: any signed-in user reads; editors and staff write."""

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

EDITOR_GROUP = "editor"


def can_edit(user: Any) -> bool:
    """Staff, or a member of the "editor" group."""
    if not user or not user.is_authenticated:
        return False
    return bool(user.is_staff or user.groups.filter(name=EDITOR_GROUP).exists())


class ReadOrEdit(BasePermission):
    """Authenticated users may read; writes (POST, PUT, PATCH, DELETE) need :func:`can_edit`."""

    message = "this needs an editor account (group 'editor') or staff"

    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        return request.method in SAFE_METHODS or can_edit(request.user)
