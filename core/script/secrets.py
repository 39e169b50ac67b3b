"""Hiding a script's credentials from people who may read a scenario but not edit it.

A ``set_header`` whose name is a secret (core.har.redact.SecretNames: ``Authorization``,
``X-Custom-Token`` …), every ``set_cookie``, and every ``fill`` of a field whose selector names
a secret (``#password``) have their values replaced, in the parsed steps and in the script's
text. Editors see the script as written; the agent always gets the real values.
"""

from collections.abc import Iterable
from typing import Any

from core.har.redact import REDACTED, SecretNames


def secret_values(steps: Iterable[dict[str, Any]], secret: SecretNames) -> list[str]:
    """The values in ``steps`` that are credentials, longest first."""
    values: set[str] = set()
    for step in steps:
        action, value = step.get("action"), step.get("value")
        if not isinstance(value, str) or not value:
            continue
        if (
            action == "set_cookie"
            or (action == "set_header" and secret(str(step.get("name", ""))))
            or (action == "fill" and secret(str(step.get("selector", ""))))
        ):
            values.add(value)
    return sorted(values, key=len, reverse=True)


def mask_script(
    text: str, steps: list[dict[str, Any]], extra_names: Iterable[str] = ()
) -> tuple[str, list[dict[str, Any]]]:
    """``(text, steps)`` with every secret value (see the module docstring) replaced."""
    values = secret_values(steps, SecretNames(extra_names))
    if not values:
        return text, steps
    for value in values:
        text = text.replace(value, REDACTED)
    hidden = set(values)
    masked = [
        {**step, "value": REDACTED} if step.get("value") in hidden else step for step in steps
    ]
    return text, masked
