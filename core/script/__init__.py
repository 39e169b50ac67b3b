"""Scenario scripts (YAML steps or Given/When/Then): parse to steps, refuse with line and reason.

Pure functions over text and plain data; no ORM, no I/O. Every refusal is a ``ScriptError``
naming the 1-based source line (``None`` only when no line applies, e.g. an empty script).

Each step is a dict with "action", "line" (1-based, in the source) and the keys its action
takes (``core.script.actions.FIELDS``); press.selector and set_cookie.domain may be None, and
wait_for and emulate hold exactly one of theirs (wait_for: selector, network_idle=True, ms or
text); measure_stop may hold one of selector, text or frame (what its page waits for).

Given/When/Then phrases (keyword Given/When/Then/And/But, case-insensitive; arguments in
double quotes, ``\\"`` for a literal quote) are listed in ``GHERKIN_PHRASES``.

A script may declare actors (core.script.actors): then its first steps are their
declarations (action ``actor``, ``name``, ``url``) and every other step but the run-wide ones
carries ``actor``; ``split_actors`` separates such a script per actor.

This package's API is what it exports here; its modules are its own business.
"""

from core.script.actions import ACTIONS, SETUP_ACTIONS
from core.script.browser_setup import split_actors, split_setup
from core.script.errors import ScriptError
from core.script.gherkin_reader import GHERKIN_PHRASES
from core.script.parse import parse_script
from core.script.urls import validate_url

__all__ = [
    "ACTIONS",
    "GHERKIN_PHRASES",
    "SETUP_ACTIONS",
    "ScriptError",
    "parse_script",
    "split_actors",
    "split_setup",
    "validate_url",
]
