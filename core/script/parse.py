"""Scenario scripts: parse YAML or Given/When/Then steps into plain, validated step dicts.

Pure functions over text and plain data; no ORM, no I/O. Every refusal is a ``ScriptError``
naming the 1-based source line (``None`` only when no line applies, e.g. an empty script).

Each step is a dict with "action", "line" (1-based, in the source) and the keys ``_FIELDS``
lists for its action; press.selector and set_cookie.domain may be None, and wait_for and
emulate hold exactly one of theirs (wait_for: selector, network_idle=True or ms).

Given/When/Then phrases (keyword Given/When/Then/And/But, case-insensitive; arguments in
double quotes, ``\\"`` for a literal quote) are listed in ``GHERKIN_PHRASES``.
"""

import difflib
import ipaddress
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NoReturn
from urllib.parse import urlsplit

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

SETUP_ACTIONS = frozenset({"set_viewport", "emulate", "set_header", "set_cookie", "block", "dns"})
"""Actions that configure the browser context. set_viewport only counts as setup before the
first non-setup step; later it stays a mid-journey action (see ``split_setup``)."""

ACTIONS = frozenset(
    {"navigate", "click", "fill", "press", "select", "wait_for", "measure_start", "measure_stop"}
    | SETUP_ACTIONS
)

MAX_VIEWPORT = 10_000
MAX_WAIT_MS = 600_000  # a fixed wait longer than ten minutes is a mistake, not a journey

# Keys each action accepts in the YAML mapping form.
# fmt: off
_FIELDS: dict[str, tuple[str, ...]] = {
    "navigate": ("url",), "click": ("selector",), "fill": ("selector", "value"),
    "press": ("key", "selector"), "select": ("selector", "value"),
    "wait_for": ("selector", "network_idle", "ms"), "set_viewport": ("width", "height"),
    "emulate": ("device", "user_agent"), "set_header": ("name", "value"),
    "set_cookie": ("name", "value", "domain"), "block": ("patterns",),
    "dns": ("host", "address"), "measure_start": ("name",), "measure_stop": ("name",),
}
# fmt: on
# Actions whose bare scalar argument (`- click: "#a"`) fills their first key (wait_for and
# set_viewport read it their own way); the rest need a mapping.
_SCALAR_ACTIONS = frozenset(_FIELDS) - {"fill", "select", "set_header", "set_cookie", "dns"}
_INT_FIELDS = frozenset({"width", "height", "ms"})
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 token: header and cookie names
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)", re.IGNORECASE)
_SIZE = re.compile(r"(\d{1,9})\s*[x×]\s*(\d{1,9})", re.IGNORECASE)  # bounded: int() is safe
_DURATION = re.compile(r"(\d{1,9}(?:\.\d{1,9})?)\s*(ms|s)?", re.IGNORECASE)
_TAG = "tag:yaml.org,2002:"


class ScriptError(ValueError):
    """A script refusal: ``line`` is 1-based (or None), ``reason`` says what is wrong."""

    def __init__(self, line: int | None, reason: str) -> None:
        super().__init__(line, reason)
        self.line = line
        self.reason = reason

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}" if self.line is not None else self.reason


def validate_url(url: str, *, allow_relative: bool = True) -> str:
    """Return ``url`` stripped if it is absolute http(s) with a host, or (when ``allow_relative``)
    a path starting with a single "/". Anything else raises ScriptError with ``line=None``."""
    if not isinstance(url, str) or not url.strip():
        raise ScriptError(None, "missing URL")
    candidate = url.strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in candidate):
        raise ScriptError(None, "URL contains control characters")
    if candidate.startswith("/"):
        # Browsers read "//host" and "/\host" as another host, not as a path on this one.
        if candidate.startswith(("//", "/\\")):
            raise ScriptError(None, "scheme-relative URL is not allowed; write http:// or https://")
        if not allow_relative:
            raise ScriptError(None, "a relative URL is not allowed here; use http:// or https://")
        return candidate
    try:
        parts = urlsplit(candidate)
        host, _ = parts.hostname, parts.port
    except ValueError as exc:
        raise ScriptError(None, f"malformed URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if not scheme:
        raise ScriptError(None, "URL must start with http://, https:// or '/'")
    if scheme not in ("http", "https"):
        raise ScriptError(None, f"URL scheme '{scheme}' is not allowed (only http(s) or '/path')")
    if not host:
        raise ScriptError(None, "URL has no host")
    return candidate


def parse_script(text: str, fmt: str = "auto") -> list[dict[str, Any]]:
    """Parse a scenario script into validated step dicts (see the module docstring).

    ``fmt`` is "yaml", "gherkin" or "auto" (Given/When/Then when the first non-blank,
    non-comment line starts with Feature:/Scenario:/Given/When/Then/And/But). Raises
    ScriptError for any invalid step, an empty script, or unbalanced measure_start/stop."""
    if fmt not in ("auto", "yaml", "gherkin"):
        raise ValueError(f"fmt must be 'yaml', 'gherkin' or 'auto', not {fmt!r}")
    if fmt == "auto":
        fmt = "gherkin" if _looks_like_gherkin(text) else "yaml"
    steps = _parse_yaml(text) if fmt == "yaml" else _parse_gherkin(text)
    _check_measures(steps)
    return steps


def split_setup(steps: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Separate browser-context setup from the journey's actions.

    Returns ``(setup, actions)``. emulate/set_header/set_cookie/block/dns steps go to setup
    wherever they appear; set_viewport does only before the first non-setup step. Later
    values win (headers compared case-insensitively); a cookie's ``domain`` may be None,
    meaning the scenario URL's host. ``actions`` keeps the remaining step dicts in order."""
    setup: dict[str, Any] = dict(viewport=None, device=None, user_agent=None)
    setup.update(headers={}, cookies=[], block=[], dns={})
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
        else:
            actions.append(step)
    return setup, actions


@dataclass
class _Args:
    """Raw arguments of one step, with the line of each (YAML mappings span several lines)."""

    action: str
    line: int
    values: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    from_yaml: bool = False

    def fail(self, reason: str, key: str | None = None) -> NoReturn:
        raise ScriptError(self.lines.get(key or "", self.line), reason)

    def text(self, key: str, *, required: bool = True, strip: bool = True) -> str | None:
        value = self.values.get(key)
        if value is None:
            if not required:
                return None
            hint = ""
            if self.from_yaml and key == "selector" and key in self.values:  # `click: #a`
                hint = " (in YAML, quote selectors starting with '#': click: \"#id\")"
            self.fail(f"missing {key} for {self.action}{hint}", key)
        if not isinstance(value, str):
            self.fail(f"{self.action} {key} must be text", key)
        if self.action != "fill" and any(ch in value for ch in "\r\n\0"):  # fill: textareas
            self.fail(f"{self.action} {key} must not contain line breaks", key)
        if strip:
            value = value.strip()
            if not value:
                self.fail(f"missing {key} for {self.action}", key)
        return value

    def integer(self, key: str, low: int, high: int, what: str) -> int:
        value = self.values.get(key)
        if value is None:
            self.fail(f"missing {key} for {self.action}", key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(f"{what} must be a whole number from {low} to {high}, got {value!r}", key)
        return value

    def one_of(self, keys: tuple[str, ...]) -> str:
        given = [k for k in keys if self.values.get(k) is not None]
        if len(given) != 1:
            self.fail(f"{self.action} needs exactly one of {', '.join(keys)}")
        return given[0]


def _build(a: _Args) -> dict[str, Any]:
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
        key = a.one_of(_FIELDS["wait_for"])
        if key == "selector":
            step["selector"] = a.text("selector")
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
        key = a.one_of(_FIELDS["emulate"])
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
    else:  # measure_start / measure_stop
        step["name"] = a.text("name")
    step["line"] = a.line
    return step


def _patterns(a: _Args) -> list[str]:
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


def _duration_ms(number: str, unit: str | None) -> int | str:
    """Milliseconds for "1.5" + "s" (no unit: ms); the raw text when not a whole number of ms,
    which the wait_for check then refuses."""
    ms = Decimal(number) * (1000 if unit and unit.lower().startswith("s") else 1)
    return int(ms) if ms == ms.to_integral_value() else f"{number} {unit or ''}".strip()


def _check_measures(steps: list[dict[str, Any]]) -> None:
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


def _parse_yaml(text: str) -> list[dict[str, Any]]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ScriptError(line, f"invalid YAML: {exc.problem or exc.context}") from exc
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise ScriptError(line, f"invalid YAML: {exc.reason}") from exc
    if root is None:
        raise ScriptError(None, "script has no steps")
    node: Node | None = root
    if isinstance(root, MappingNode):
        node = next((v for k, v in root.value if k.value == "steps"), None)
    if not isinstance(node, SequenceNode):
        where = node if node is not None else root
        raise ScriptError(_ln(where), "expected a list of steps or a mapping with a 'steps' list")
    if not node.value:
        raise ScriptError(_ln(node), "script has no steps")
    loader = yaml.SafeLoader("")  # only to construct int scalars with YAML's own rules
    return [_yaml_step(item, loader) for item in node.value]


def _ln(node: Node) -> int:
    return node.start_mark.line + 1  # type: ignore[no-any-return]


def _yaml_step(node: Node, loader: yaml.SafeLoader) -> dict[str, Any]:
    line = _ln(node)
    if not isinstance(node, MappingNode) or not node.value:
        raise ScriptError(line, 'a step must be one action and its argument, e.g. - click: "#a"')
    if len(node.value) > 1:
        keys = ", ".join(str(k.value) for k, _ in node.value if isinstance(k, ScalarNode))
        reason = f"step has several keys ({keys}); write one action per step, arguments indented"
        raise ScriptError(line, reason)
    key, arg = node.value[0]
    action = key.value if isinstance(key, ScalarNode) else "?"
    if action not in ACTIONS:
        raise ScriptError(line, f"unknown action {action!r}")
    a = _Args(action, line, from_yaml=True)
    if isinstance(arg, MappingNode):
        for k, v in arg.value:
            name = k.value if isinstance(k, ScalarNode) else "?"
            if name not in _FIELDS[action]:
                expected = ", ".join(_FIELDS[action])
                raise ScriptError(_ln(k), f"unknown key {name!r} for {action} ({expected})")
            if name in a.values:
                raise ScriptError(_ln(k), f"duplicate key {name!r} for {action}")
            a.values[name], a.lines[name] = _yaml_value(v, a, name, loader), _ln(v)
    elif isinstance(arg, SequenceNode) and action == "block":
        a.values["patterns"] = _yaml_value(arg, a, "patterns", loader)
    elif isinstance(arg, SequenceNode):
        raise ScriptError(_ln(arg), f"{action} takes a single value or a mapping, not a list")
    else:
        _yaml_scalar_form(a, arg, loader)
    return _build(a)


def _yaml_value(node: Node, a: _Args, name: str, loader: yaml.SafeLoader) -> Any:
    """A scalar as the text written (so "007" and "yes" stay text), ints for integer fields."""
    if name == "patterns" and isinstance(node, SequenceNode):
        return [_yaml_value(item, a, "pattern", loader) for item in node.value]
    if not isinstance(node, ScalarNode):
        kind = "list" if isinstance(node, SequenceNode) else "mapping"
        raise ScriptError(_ln(node), f"{a.action} {name} must be a single value, not a {kind}")
    if node.tag == _TAG + "null":
        return None
    if node.tag == _TAG + "bool" and name == "network_idle":
        return bool(loader.construct_yaml_bool(node))
    if node.tag == _TAG + "int" and name in _INT_FIELDS:
        try:
            return int(loader.construct_yaml_int(node))
        except ValueError:  # beyond int()'s digit limit: certainly out of range
            return node.value
    return node.value


def _yaml_scalar_form(a: _Args, arg: Node, loader: yaml.SafeLoader) -> None:
    """Fill ``a`` from a bare argument: `- click: "#a"`, `- wait_for: 500`, `- set_viewport: 9x9`"""
    value = _yaml_value(arg, a, "ms" if a.action == "wait_for" else "value", loader)
    text = value.strip() if isinstance(value, str) else ""
    if a.action in _SCALAR_ACTIONS - {"wait_for", "set_viewport"}:
        a.values[_FIELDS[a.action][0]] = value
    elif a.action == "wait_for":
        duration = _DURATION.fullmatch(text)
        if value is None:
            pass  # refused by _build: needs exactly one of selector, network_idle, ms
        elif isinstance(value, int) or arg.tag != _TAG + "str":
            a.values["ms"] = value  # an int, or a float/bool that _build refuses
        elif text.lower().replace(" ", "_") in ("network_idle", "networkidle"):
            a.values["network_idle"] = True
        elif duration:  # CSS selectors cannot start with a digit, so "500" / "2s" are waits
            a.values["ms"] = _duration_ms(*duration.groups())
        else:
            a.values["selector"] = value
    elif a.action == "set_viewport" and (size := _SIZE.fullmatch(text)):
        a.values.update(width=int(size[1]), height=int(size[2]))
    else:
        required = [k for k in _FIELDS[a.action] if k != "domain"]
        a.fail(f"{a.action} needs a mapping with {', '.join(required)}")


_KEYWORD = re.compile(r"(?:given|when|then|and|but)\s+(.*)", re.IGNORECASE)
_HEADER = re.compile(r"(?:feature|scenario):", re.IGNORECASE)
_DETECT = re.compile(r"(?:feature:|scenario:|(?:given|when|then|and|but)\b)", re.IGNORECASE)


# One phrase per row: action ;; hint shown in errors ;; pattern. In patterns a space means
# "some whitespace", "<name>" a double-quoted argument (\" escapes a quote), <N> a number
# with its unit, <W>x<H> a viewport size.
_PHRASE_TABLE = r"""
navigate ;; I open "<url>" ;; I (?:open|navigate to|go to|am on|visit) "<url>"
click ;; I click "<sel>" ;; I (?:click|tap)(?: on)? "<sel>"
fill ;; I fill "<sel>" with "<value>" ;; I fill(?: in)? "<sel>" with "<value>"
fill ;; I type "<value>" into "<sel>" ;; I (?:type|enter) "<value>" in(?:to)? "<sel>"
press ;; I press "<key>" ;; I press "<key>"(?: (?:in|on) "<sel>")?
select ;; I select "<value>" from "<sel>" ;; I (?:select|choose) "<value>" (?:from|in) "<sel>"
wait_for ;; I wait for "<sel>" ;; I wait for "<sel>"(?: to appear)?
wait_for ;; I wait for network idle ;; I wait for (?:the )?network(?: to be)? idle
wait_for ;; I wait until the network is idle ;; I wait until the network is idle
wait_for ;; I wait <N> ms ;; I wait (?:for )?<N>(?P<unit>ms|milliseconds?)
wait_for ;; I wait <N> seconds ;; I wait (?:for )?<N>(?P<unit>s|secs?|seconds?)
set_viewport ;; the viewport is <W>x<H> ;; the viewport is <W>x<H>
set_viewport ;; I use a viewport of <W>x<H> ;; I (?:use a viewport of|set the viewport to) <W>x<H>
emulate ;; I emulate "<device>" ;; I emulate(?: the device)? "<device>"
emulate ;; I use the user agent "<ua>" ;; I (?:use|set) the user agent(?: to)? "<user_agent>"
set_header ;; the header "<name>" is "<value>" ;; the header "<name>" is "<value>"
set_header ;; I set the header "<name>" to "<value>" ;; I set the header "<name>" to "<value>"
set_cookie ;; the cookie "<name>" is "<value>" ;; the cookie "<name>" is "<value>"<DOM>
set_cookie ;; I set the cookie "<name>" to "<value>" ;; I set the cookie "<name>" to "<value>"<DOM>
block ;; I block "<pattern>" ;; I block "<patterns>"
dns ;; "<host>" resolves to "<address>" ;; (?:the host )?"<host>" resolves to "<address>"
measure_start ;; I start measuring "<name>" ;; I start measuring "<name>"
measure_stop ;; I stop measuring "<name>" ;; I stop measuring "<name>"
"""
_MACROS = {
    "<N>": r"(?P<n>\d{1,9}(?:\.\d{1,9})?)\s*",
    "<W>x<H>": r"(?P<width>\d{1,9})\s*[x×]\s*(?P<height>\d{1,9})",
    "<DOM>": r'(?: (?:for|on) "<domain>")?',
}


def _compile(pattern: str) -> re.Pattern[str]:
    for macro, expansion in _MACROS.items():
        pattern = pattern.replace(macro, expansion)
    pattern = re.sub(
        r'"<(\w+)>"', r'"(?P<\1>(?:[^"\\\\]|\\\\.)*)"', pattern.replace("<sel>", "<selector>")
    )
    return re.compile(pattern.replace(" ", r"\s+"), re.IGNORECASE)


_ROWS = [[cell.strip() for cell in row.split(";;")] for row in _PHRASE_TABLE.strip().splitlines()]
_COMPILED = [(_compile(pattern), action) for action, _, pattern in _ROWS]
GHERKIN_PHRASES: tuple[str, ...] = tuple(hint for _, hint, _ in _ROWS)


def _looks_like_gherkin(text: str) -> bool:
    lines = (line.strip() for line in text.splitlines())
    first = next((line for line in lines if line and not line.startswith("#")), "")
    return bool(_DETECT.match(first))


def _parse_gherkin(text: str) -> list[dict[str, Any]]:
    steps = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#") or _HEADER.match(line):
            continue
        keyword = _KEYWORD.fullmatch(line)
        steps.append(_gherkin_step(keyword[1].strip() if keyword else "", line, number))
    return steps


def _gherkin_step(body: str, line: str, number: int) -> dict[str, Any]:
    for pattern, action in _COMPILED:
        match = pattern.fullmatch(body)
        if not match:
            continue
        # The network-idle phrases are the only ones without arguments.
        values: dict[str, Any] = {} if pattern.groupindex else {"network_idle": True}
        for name, raw in match.groupdict().items():
            if raw is not None and name in _INT_FIELDS:
                values[name] = int(raw)
            elif raw is not None and name in _FIELDS[action]:
                values[name] = re.sub(r"\\(.)", r"\1", raw)  # undo \" and \\ escapes
        if match.groupdict().get("n") is not None:
            values["ms"] = _duration_ms(match["n"], match["unit"])
        return _build(_Args(action, number, values))
    if not body:
        reason = f"unrecognised step: {line!r}; start each step with Given/When/Then/And/But"
        raise ScriptError(number, reason)
    shape = re.sub(r'"(?:[^"\\]|\\.)*"', '"<x>"', body)
    options = [re.sub(r'"<\w+>"', '"<x>"', t) for t in GHERKIN_PHRASES]
    close = difflib.get_close_matches(shape, options, n=3, cutoff=0.0)
    hint = "; ".join(GHERKIN_PHRASES[options.index(c)] for c in close)
    raise ScriptError(number, f"unrecognised step: {line!r}; closest phrases: {hint}")
