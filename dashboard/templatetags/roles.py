"""Role checks for templates (``{% load roles %}``), from the one definition in scenarios.roles.

``{% if user|can_edit %}`` shows what only editors and admins may use; the view still checks.
"""

from typing import Any

from django import template

from scenarios import roles

register = template.Library()


@register.filter
def can_edit(user: Any) -> bool:
    """True when ``user`` may create and change scenarios (see ``scenarios.roles.can_edit``)."""
    return roles.can_edit(user)
