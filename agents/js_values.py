"""An ``evaluate`` step: a scenario's JavaScript expression evaluated in the page, bounded in
time, its number or the reason there is none.

The expression runs through DevTools ``Runtime.evaluate`` in the page's main world with a
``timeout``: a synchronous endless loop is stopped there. A promise is awaited, raced
against a timer of the same length, so one that never settles cannot hold the run. A throw,
a time-out, or a value that is not a number is that metric's error (``metric_errors``),
never a failed run; whether a number is finite and in range is the result builder's call
(core.result.named), which sees every value.
"""

import json
import math
import time
from typing import Any

from agents.cdp import CdpError, CdpSession

TIMEOUT_MS = 1000
"""The longest an expression may run or its promise stay unsettled."""

_TIMED_OUT = "__perfite_no_value_in_time__"


def wrap(expression: str, timeout_ms: int) -> str:
    """``expression`` as a script whose completion value settles within ``timeout_ms``: the
    value itself (or its promise's) or a rejection with the time-out marker. The expression
    is evaluated synchronously, inside the call, so Runtime.evaluate's own ``timeout`` stops
    a loop; it stands on lines of its own, so a trailing ``//`` comment cannot swallow the
    wrapper."""
    return (
        "(() => { const value = (\n"
        f"{expression}\n"
        "); let timer; return Promise.race([value, new Promise((_, reject) => { "
        f"timer = setTimeout(() => reject({json.dumps(_TIMED_OUT)}), {int(timeout_ms)}); "
        "})]).finally(() => clearTimeout(timer)); })()"
    )


def evaluate(cdp: CdpSession, expression: str, timeout_ms: int = TIMEOUT_MS) -> dict[str, Any]:
    """``{"value": number}`` or ``{"error": reason}`` for ``expression`` in the page."""
    started = time.monotonic()
    try:
        reply = cdp.send(
            "Runtime.evaluate",
            {
                "expression": wrap(expression, timeout_ms),
                "returnByValue": True,
                "awaitPromise": True,
                "timeout": int(timeout_ms),
            },
        )
    except CdpError as exc:
        # Chromium answers a stopped endless loop with a bare "Internal error".
        if (time.monotonic() - started) * 1000 >= timeout_ms:
            return {"error": f"stopped: still running after {int(timeout_ms)} ms"}
        return {"error": f"not evaluated: {exc}"}
    return read_reply(reply, timeout_ms)


def read_reply(reply: dict[str, Any], timeout_ms: int = TIMEOUT_MS) -> dict[str, Any]:
    """``{"value": number}`` or ``{"error": reason}`` from a Runtime.evaluate reply."""
    details = reply.get("exceptionDetails")
    if details:
        exception = details.get("exception") or {}
        if exception.get("value") == _TIMED_OUT:
            return {"error": f"no value: the promise did not settle within {int(timeout_ms)} ms"}
        text = str(exception.get("description") or details.get("text") or "exception")
        return {"error": text.strip().splitlines()[0]}
    result = reply.get("result") or {}
    kind = result.get("type")
    if kind == "number":
        if "value" in result:
            return {"value": result["value"]}
        # NaN, Infinity, -Infinity and -0 come as text: only -0 is a usable number.
        special = result.get("unserializableValue")
        if special == "-0":
            return {"value": 0.0}
        return {"error": f"not a finite number: {special}"}
    if "description" in result:
        shown = str(result["description"])
    elif "value" in result:
        shown = json.dumps(result["value"])
    else:
        shown = ""  # undefined
    return {"error": f"not a number: {kind} {shown[:60]}".rstrip()}


def page_value(value: Any) -> dict[str, Any]:
    """A value Playwright's ``page.evaluate`` returned, in the shape of a ``Runtime.evaluate``
    result (for a browser without DevTools), so ``read_reply`` judges both alike."""
    if isinstance(value, bool):
        return {"type": "boolean", "value": value}
    if isinstance(value, int | float):
        if math.isfinite(value):
            return {"type": "number", "value": value}
        special = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return {"type": "number", "unserializableValue": special}
    if value is None:
        return {"type": "undefined"}
    if isinstance(value, str):
        return {"type": "string", "value": value}
    return {"type": "object", "value": value}


def page_error(text: str) -> dict[str, Any]:
    """A ``page.evaluate`` failure (its message ``text``) as a ``Runtime.evaluate`` reply."""
    thrown = _TIMED_OUT if _TIMED_OUT in text else text
    return {"exceptionDetails": {"exception": {"value": thrown, "description": text}}}


def settled(expression: str) -> str:
    """``expression`` (already ``wrap``-ped) as one whose promise always resolves, to
    ``{value}`` or ``{thrown}`` (an Error as ``Name: message``, like DevTools' first line):
    over WebDriver BiDi a promise rejected with a non-Error comes back only as "unknown
    error"."""
    return (
        "(async () => { try { return { value: await (\n"
        f"{expression}\n"
        ") }; } catch (e) { return { thrown: e instanceof Error ? `${e.name}: ${e.message}` "
        ": String(e) }; } })()"
    )
