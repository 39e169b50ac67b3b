"""Who may do what, in the dashboard and the REST API alike: the one definition of roles.

A role is a set of model permissions. Migration ``dashboard.0001_groups`` creates the groups
``viewer`` (view permissions) and ``editor`` (view + edit permissions) so an admin assigns a
role in the admin's user page; a user holding the same permissions directly has the same
role. Active superusers and staff are admins and may do everything.

- viewer: reads every page and every API endpoint, downloads HARs and screenshots, keeps an
  API token;
- editor: also creates, edits, runs and pauses scenarios, and writes through the API
  (comparisons, releases, imports);
- a signed-in user with no role: 403 everywhere (dashboard pages, API, token page).

Anonymous users are sent to the login page by the dashboard and get 401 from the API.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

VIEW_PERMS = ("scenarios.view_scenario", "scenarios.view_run")
EDIT_PERMS = ("scenarios.add_scenario", "scenarios.change_scenario", "scenarios.delete_scenario")

View = Callable[..., HttpResponseBase]


def is_admin(user: Any) -> bool:
    """True for active superusers and staff."""
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
"""Dashboard view decorator: anonymous → login redirect; signed in without a role → 403."""

editor_required = _requires(can_edit)
"""Dashboard view decorator: anonymous → login redirect; viewers (and no role) → 403."""


class ReadOrEdit(BasePermission):
    """REST permission: reads (GET, HEAD, OPTIONS) need :func:`can_view`, writes (POST, PUT,
    PATCH, DELETE) need :func:`can_edit`. Anonymous requests are refused (401 with a token
    challenge)."""

    message = "your role does not allow this (reading needs a viewer role, writing an editor)"

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return can_view(request.user)
        return can_edit(request.user)
