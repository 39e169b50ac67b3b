"""Actors: named browser contexts of one script (an operator's console, a visitor's widget),
declared with their first page, every step addressed to one of them.

A script without actors is a one-page journey, exactly as before. A script with actors has
an ``actor`` declaration step per actor (``name``, ``url``, ``line``: the readers put them
first) and carries ``"actor": <name>`` on every other step, except the steps that belong to
the whole run (``RUN_WIDE``: ``dns``, ``backend_metric``), which carry none. Setup steps
addressed to an actor (viewport, device, user agent, headers, cookies, blocking, named
requests and WebSockets) set up that actor's context only.
"""

import re
from typing import Any

from core.script.actions import ACTIONS, ACTOR, RUN_WIDE, STOP_CONDITIONS
from core.script.errors import ScriptError
from core.script.urls import validate_url

MAX_ACTORS = 8  # contexts one run opens at once in one browser
_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
# Words that start a Given/When/Then phrase after "the": an actor of that name would make
# "the header …" mean two things.
RESERVED = frozenset(
    {"actor", "backend", "cookie", "header", "host", "i", "network", "request", "viewport"}
    | {"websocket", "user", "run", "page"}
)


def actor_problem(name: str) -> str | None:
    """Why ``name`` cannot name an actor, or None. An actor's name is one word (it starts
    metric names, ``actor.<name>.lcp``, and Given/When/Then lines, ``the <name> clicks``):
    a lower-case letter, then up to 31 lower-case letters, digits, ``_`` or ``-``; not an
    action nor a word phrases start with."""
    if not _NAME.fullmatch(name):
        return (
            f"invalid actor name {name!r}: a lower-case letter, then lower-case letters, "
            "digits, _ or - (at most 32 characters)"
        )
    if name in ACTIONS or name in RESERVED:
        return f"{name!r} cannot name an actor: it is a word scripts already use"
    return None


def declare(name: Any, url: Any, line: int) -> dict[str, Any]:
    """The declaration step of actor ``name`` whose first page is ``url`` (absolute, or a
    path on the scenario's URL); ScriptError on ``line`` otherwise."""
    if not isinstance(name, str) or (problem := actor_problem(name)) is not None:
        raise ScriptError(line, problem or "an actor's name must be text")
    if not isinstance(url, str):
        raise ScriptError(line, f"actor {name!r} needs the URL of its first page")
    try:
        checked = validate_url(url)
    except ScriptError as exc:
        raise ScriptError(line, f"actor {name!r}: {exc.reason}") from None
    return {"action": ACTOR, "name": name, "url": checked, "line": line}


def declared(steps: list[dict[str, Any]]) -> list[str]:
    """The names of the script's actors, in declaration order (empty: no actors)."""
    return [s["name"] for s in steps if s["action"] == ACTOR]


def check_actors(steps: list[dict[str, Any]]) -> None:
    """Refuse (ScriptError, with the line) what a script's actors make wrong: a name declared
    twice, fewer than two actors or more than MAX_ACTORS, a step addressed to no actor or to
    an unknown one, a run-wide step addressed to one, a step addressed to an actor in a
    script without actors, and a ``measure_stop`` that waits for its page in a script
    without actors (a one-page journey waits with ``wait_for``, then stops)."""
    names: dict[str, int] = {}
    for step in steps:
        if step["action"] == ACTOR:
            if step["name"] in names:
                reason = f"actor {step['name']!r} is already declared on line {names[step['name']]}"
                raise ScriptError(step["line"], reason)
            names[step["name"]] = step["line"]
    if not names:
        for step in steps:
            if step.get("actor"):
                reason = f"step addressed to {step['actor']!r}, but the script declares no actors"
                raise ScriptError(step["line"], reason)
            if step["action"] == "measure_stop" and any(k in step for k in STOP_CONDITIONS):
                raise ScriptError(
                    step["line"],
                    "a measure_stop that waits for a selector, text or frame needs actors; "
                    "in a one-page script, wait_for it, then measure_stop",
                )
        return
    first = next(iter(names.values()))
    if len(names) < 2:
        raise ScriptError(first, "declare at least two actors (a one-page script needs none)")
    if len(names) > MAX_ACTORS:
        raise ScriptError(first, f"at most {MAX_ACTORS} actors, got {len(names)}")
    listed = ", ".join(names)
    for step in steps:
        action, actor = step["action"], step.get("actor")
        if action == ACTOR:
            continue
        if action in RUN_WIDE:
            if actor:
                raise ScriptError(
                    step["line"],
                    f"{action} belongs to the whole run (one browser for every actor): "
                    "write it without an actor",
                )
        elif not actor:
            raise ScriptError(
                step["line"], f"this script has actors: address the step to one of {listed}"
            )
        elif actor not in names:
            raise ScriptError(step["line"], f"unknown actor {actor!r} (actors: {listed})")
