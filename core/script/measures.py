"""Whole-script checks on named measures: every measure_start has its measure_stop, in order."""

from typing import Any

from core.script.errors import ScriptError


def check_measures(steps: list[dict[str, Any]]) -> None:
    """Refuse (ScriptError) an empty script, a measure started twice before it stops, a stop
    without its start, or a measure never stopped (on the line of its start)."""
    if not steps:
        raise ScriptError(None, "script has no steps")
    open_at: dict[str, int] = {}
    for step in steps:
        name, line = step.get("name", ""), step["line"]
        if step["action"] == "measure_start":
            if name in open_at:
                reason = f"measure {name!r} is already started on line {open_at[name]}"
                raise ScriptError(line, reason)
            open_at[name] = line
        elif step["action"] == "measure_stop" and open_at.pop(name, None) is None:
            raise ScriptError(line, f"measure_stop {name!r} has no matching measure_start")
    if open_at:
        name, line = next(iter(open_at.items()))
        raise ScriptError(line, f"measure {name!r} is started but never stopped")
