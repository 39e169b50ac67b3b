"""System checks of settings that must agree with each other (``manage.py check``)."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def run_lifetimes(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A run must not be marked lost before a dead agent's message could be re-delivered and
    measured once more (see "How long a run may live" in perfite/settings.py)."""
    needed, lost_after = settings.RUN_LOST_AFTER_MIN_S, settings.PERFITE_RUN_LOST_AFTER_S
    if lost_after < needed:
        return [
            Error(
                f"PERFITE_RUN_LOST_AFTER_S={lost_after} is shorter than "
                f"a dead agent's run needs to be re-delivered and measured again ({needed} s: "
                "visibility timeout + restore scan + the task's time limit)",
                hint=f"unset it (the default is {needed + 60} s) or raise it to {needed} or more",
                id="perfite.E001",
            )
        ]
    return []
