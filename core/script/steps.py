"""Building one step: a reader's raw arguments, validated for their action, into a step dict.

The step dict's shape is the package's contract (see ``core.script``). Every refusal is a
ScriptError naming the line of the offending argument, else the line of the step.
"""

import ipaddress
import re
from decimal import Decimal
from typing import Any

from core.script.actions import FIELDS, MAX_VIEWPORT, MAX_WAIT_MS, STOP_CONDITIONS
from core.script.args import StepArgs
from core.script.declarations import build_declaration, checked_pattern
from core.script.errors import ScriptError
from core.script.urls import validate_url

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 token: header and cookie names
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)", re.IGNORECASE)


def build_step(a: StepArgs) -> dict[str, Any]:
    """Validate ``a`` for its action and return the normalised step dict."""
    act = a.action
    step: dict[str, Any] = {"action": act}
    if act == "navigate":
        try:
            step["url"] = validate_url(a.text("url") or "")
        except ScriptError as exc:
            a.fail(exc.reason, "url")
    elif act == "click":
        step["selector"] = a.text("selector")
    elif act in ("fill", "select"):
        step["selector"] = a.text("selector")
        step["value"] = a.text("value", strip=False)
    elif act == "press":
        step["key"] = a.text("key")
        step["selector"] = a.text("selector", required=False)
    elif act == "wait_for":
        key = a.one_of(FIELDS["wait_for"])
        if key in ("selector", "text"):
            step[key] = a.text(key)
        elif key == "ms":
            step["ms"] = a.integer("ms", 1, MAX_WAIT_MS, "wait time in ms")
        elif a.values["network_idle"] is not True:
            a.fail("wait_for network_idle must be true", "network_idle")
        else:
            step["network_idle"] = True
    elif act == "set_viewport":
        step["width"] = a.integer("width", 1, MAX_VIEWPORT, "viewport width")
        step["height"] = a.integer("height", 1, MAX_VIEWPORT, "viewport height")
    elif act == "emulate":
        key = a.one_of(FIELDS["emulate"])
        step[key] = a.text(key)
    elif act in ("set_header", "set_cookie"):
        step["name"], step["value"] = a.text("name") or "", a.text("value", strip=False)
        if not _TOKEN.fullmatch(step["name"]):
            a.fail(f"invalid {act.removeprefix('set_')} name {step['name']!r}", "name")
        if act == "set_cookie":
            if ";" in step["value"]:
                a.fail("cookie value must not contain ';'", "value")
            domain = a.text("domain", required=False)
            if domain is not None and not _is_hostname(domain.lstrip(".")):
                a.fail(f"invalid cookie domain {domain!r}", "domain")
            step["domain"] = domain
    elif act == "block":
        step["patterns"] = _patterns(a)
    elif act == "dns":
        host = (a.text("host") or "").rstrip(".").lower()
        if not _is_hostname(host):
            a.fail(f"invalid host name {a.values['host']!r} for dns", "host")
        address = a.text("address") or ""
        try:
            step["address"] = str(ipaddress.ip_address(address))
        except ValueError:
            a.fail(f"invalid IP address {address!r} for dns", "address")
        step["host"] = host
    elif act in ("request_metric", "websocket_metric", "backend_metric", "evaluate"):
        build_declaration(a, step)
    elif act == "measure_stop":
        step["name"] = a.text("name")
        given = [k for k in STOP_CONDITIONS if a.values.get(k) is not None]
        if len(given) > 1:
            a.fail(f"measure_stop waits for one of {', '.join(STOP_CONDITIONS)}, not several")
        if given == ["frame"]:
            step["frame"] = checked_pattern(a, a.text("frame") or "", "frame")
        elif given:
            step[given[0]] = a.text(given[0])
    else:  # measure_start
        step["name"] = a.text("name")
    step["line"] = a.line
    return step


def duration_ms(number: str, unit: str | None) -> int | str:
    """Milliseconds for "1.5" + "s" (no unit: ms); the raw text when not a whole number of ms,
    which the wait_for check then refuses."""
    ms = Decimal(number) * (1000 if unit and unit.lower().startswith("s") else 1)
    return int(ms) if ms == ms.to_integral_value() else f"{number} {unit or ''}".strip()


def _patterns(a: StepArgs) -> list[str]:
    raw = a.values.get("patterns")
    if raw is None or raw == []:
        a.fail("missing patterns for block", "patterns")
    patterns = [str(p or "").strip() for p in (raw if isinstance(raw, list) else [raw])]
    for pattern in patterns:
        if not pattern or any(ch.isspace() for ch in pattern):
            a.fail(f"invalid block pattern {pattern!r}", "patterns")
    return patterns


def _is_hostname(host: str) -> bool:
    labels = host.split(".")
    if not host or len(host) > 253 or labels[-1].isdigit():
        return False
    return all(_LABEL.fullmatch(label) for label in labels)
