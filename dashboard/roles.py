"""Who may do what in the dashboard: viewers read, editors manage scenarios, admins do all.

Roles are Django groups created by migration ``0001_groups`` (``viewer`` and ``editor``)
carrying model permissions, so an admin assigns a role in the admin's user page. Superusers
and staff are admins. A signed-in user with no role sees nothing but a 403.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

VIEWER = "viewer"
EDITOR = "editor"

VIEW_PERMS = ("scenarios.view_scenario", "scenarios.view_run")
EDIT_PERMS = ("scenarios.add_scenario", "scenarios.change_scenario", "scenarios.delete_scenario")

View = Callable[..., HttpResponseBase]


def is_admin(user: Any) -> bool:
    return bool(user.is_active and (user.is_superuser or user.is_staff))


def can_edit(user: Any) -> bool:
    """True for admins and users holding every editor permission (the editor group)."""
    return bool(user.is_authenticated) and (is_admin(user) or user.has_perms(EDIT_PERMS))


def can_view(user: Any) -> bool:
    """True for anyone with a role: viewer, editor or admin."""
    return bool(user.is_authenticated) and (can_edit(user) or user.has_perms(VIEW_PERMS))


def _requires(check: Callable[[Any], bool]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not check(request.user):
                raise PermissionDenied("your role does not allow this")
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


viewer_required = _requires(can_view)
"""Anonymous → login redirect; signed in without a role → 403."""

editor_required = _requires(can_edit)
"""Anonymous → login redirect; viewers (and users without a role) → 403."""
