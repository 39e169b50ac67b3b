"""Splitting parsed steps into the browser context's setup (one per actor, in a script with
actors) and the journey's actions."""

from typing import Any

from core.script.actions import ACTOR


def split_setup(steps: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Separate browser-context setup from the journey's actions.

    Returns ``(setup, actions)``. emulate/set_header/set_cookie/block/dns steps go to setup
    wherever they appear, and so do the metric declarations (``requests``, ``websockets`` and
    ``backend``: lists of their step dicts without action and line, in script order);
    set_viewport does only before the first non-setup step. Later
    values win (headers compared case-insensitively); a cookie's ``domain`` may be None,
    meaning the scenario URL's host. ``actions`` keeps the remaining step dicts in order."""
    setup: dict[str, Any] = dict(viewport=None, device=None, user_agent=None)
    setup.update(headers={}, cookies=[], block=[], dns={}, requests=[], websockets=[], backend=[])
    declared = {"request_metric": "requests", "websocket_metric": "websockets"}
    declared["backend_metric"] = "backend"
    actions: list[dict[str, Any]] = []
    for step in steps:
        action = step["action"]
        if action == "set_viewport" and not actions:
            setup["viewport"] = {"width": step["width"], "height": step["height"]}
        elif action == "emulate":
            key = "device" if step.get("device") is not None else "user_agent"
            setup[key] = step[key]
        elif action == "set_header":
            kept = {k: v for k, v in setup["headers"].items() if k.lower() != step["name"].lower()}
            setup["headers"] = {**kept, step["name"]: step["value"]}
        elif action == "set_cookie":
            cookie = {"name": step["name"], "value": step["value"], "domain": step.get("domain")}
            setup["cookies"].append(cookie)
        elif action == "block":
            setup["block"].extend(p for p in step["patterns"] if p not in setup["block"])
        elif action == "dns":
            setup["dns"][step["host"]] = step["address"]
        elif action in declared:
            kept = {k: v for k, v in step.items() if k not in ("action", "line", "actor")}
            setup[declared[action]].append(kept)
        else:
            actions.append(step)
    return setup, actions


def split_actors(
    steps: list[dict[str, Any]],
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """Separate a script with actors (core.script.actors) into the run's setup, each actor's,
    and the journey's actions.

    Returns ``(setup, actors, actions)``: ``setup`` is :func:`split_setup` of the run-wide
    steps (``dns``, ``backend_metric``); ``actors`` holds per declared actor, in order,
    ``{"name", "url", "setup"}`` with ``setup`` that of the steps addressed to it (its
    set_viewport counts as setup before its own first action); ``actions`` keeps every
    actor's remaining steps in the order written, each with its ``actor``. A script without
    actors gives ``actors == []``."""
    setup, _ = split_setup([s for s in steps if s["action"] != ACTOR and not s.get("actor")])
    kept: set[int] = set()
    actors = []
    for declaration in (s for s in steps if s["action"] == ACTOR):
        own, actions = split_setup([s for s in steps if s.get("actor") == declaration["name"]])
        kept.update(id(step) for step in actions)
        actors.append({"name": declaration["name"], "url": declaration["url"], "setup": own})
    return setup, actors, [s for s in steps if id(s) in kept]
