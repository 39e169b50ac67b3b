"""The Given/When/Then form of a script: one phrase per line, matched against a phrase table.

Keywords are Given/When/Then/And/But (case-insensitive); Feature:/Scenario: lines, blank
lines and "#" comments are skipped. Arguments sit in double quotes (``\\"`` for a literal
quote). ``GHERKIN_PHRASES`` lists every phrase as shown to users; an unrecognised line is
refused with the three closest.

Actors are declared first (``Given the actor "operator" starts on "/console"``); a step is then
addressed to one by its name, in the third person: ``When the visitor fills "#msg" with
"hello"`` reads as ``I fill "#msg" with "hello"`` done by the visitor, ``And the visitor's
viewport is 390x844`` as ``the viewport is 390x844``.
"""

import difflib
import re
from typing import Any

from core.script.actions import FIELDS, INT_FIELDS
from core.script.actors import declare
from core.script.args import StepArgs
from core.script.errors import ScriptError
from core.script.steps import build_step, duration_ms

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
wait_for ;; I see "<sel>" ;; I see "<sel>"
wait_for ;; I wait for text "<text>" ;; I (?:wait for|see) text "<text>"(?: to appear)?
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
measure_stop ;; I stop measuring "<name>" when text "<text>" appears ;; I stop measuring "<name>" (?:when|once) text "<text>" appears
measure_stop ;; I stop measuring "<name>" when "<sel>" appears ;; I stop measuring "<name>" (?:when|once) "<sel>" appears
measure_stop ;; I stop measuring "<name>" when a frame matching "<frame>" arrives ;; I stop measuring "<name>" (?:when|once) a frame matching "<frame>" arrives
request_metric ;; the request "<name>" matches "<match>" ;; the request "<name>" matches "<match>"
websocket_metric ;; the websocket "<name>" matches "<url>" ;; the websocket "<name>" matches "<url>"<RE>
backend_metric ;; the backend series "<name>" is "<target>" ;; the backend series "<name>" is "<target>"
evaluate ;; I record "<name>" as "<expression>" ;; I (?:record|evaluate) "<name>" as "<expression>"
"""
_MACROS = {
    "<N>": r"(?P<n>\d{1,9}(?:\.\d{1,9})?)\s*",
    "<W>x<H>": r"(?P<width>\d{1,9})\s*[x×]\s*(?P<height>\d{1,9})",
    "<DOM>": r'(?: (?:for|on) "<domain>")?',
    "<RE>": r'(?: with replies matching "<reply>")?',
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
_DECLARE_HINT = 'the actor "<name>" starts on "<url>"'
_DECLARE = _compile('(?:the |an )?actor "<name>" (?:starts on|opens|is on) "<url>"')
GHERKIN_PHRASES: tuple[str, ...] = (_DECLARE_HINT, *(hint for _, hint, _ in _ROWS))
# "the visitor clicks …": the actor, then the phrase in the third person (or "'s" + the rest).
_ADDRESSED = re.compile(r"(?i:the)\s+([a-z][a-z0-9_-]*)(?:('s)\s+|\s+)(\S+)(.*)", re.DOTALL)


def looks_like_gherkin(text: str) -> bool:
    """True when the first non-blank, non-comment line starts with Feature:/Scenario: or a
    Given/When/Then/And/But keyword."""
    lines = (line.strip() for line in text.splitlines())
    first = next((line for line in lines if line and not line.startswith("#")), "")
    return bool(_DETECT.match(first))


def read_gherkin(text: str) -> list[dict[str, Any]]:
    """The validated steps of a Given/When/Then script (possibly none); ScriptError for a
    line no phrase matches or any invalid step."""
    steps: list[dict[str, Any]] = []
    actors: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#") or _HEADER.match(line):
            continue
        keyword = _KEYWORD.fullmatch(line)
        body = keyword[1].strip() if keyword else ""
        if declared := _DECLARE.fullmatch(body):
            if len(steps) > len(actors):
                raise ScriptError(number, "declare the actors before the first step")
            step = declare(_unescape(declared["name"]), _unescape(declared["url"]), number)
            actors.append(step["name"])
            steps.append(step)
            continue
        actor, body = _address(body, actors, line, number)
        step = _gherkin_step(body, line, number)
        steps.append({**step, "actor": actor} if actor else step)
    return steps


def _unescape(raw: str) -> str:
    return re.sub(r"\\(.)", r"\1", raw)


def _address(body: str, actors: list[str], line: str, number: int) -> tuple[str | None, str]:
    """``(actor, the phrase in the first person)`` for a line addressed to an actor (``the
    visitor fills …`` → ``I fill …``), ``(None, body)`` for any other line. A line that reads
    as addressed to an actor nobody declared is refused saying so."""
    found = _ADDRESSED.fullmatch(body)
    if found is None:
        return None, body
    name, possessive, verb, rest = found.groups()
    phrase = f"the {verb}{rest}" if possessive else f"I {_first_person(verb)}{rest}"
    if name in actors:
        return name, phrase
    if any(pattern.fullmatch(phrase) for pattern, _ in _COMPILED):
        known = f"actors: {', '.join(actors)}" if actors else f"declare it first: {_DECLARE_HINT}"
        raise ScriptError(number, f"unknown actor {name!r} in {line!r} ({known})")
    return None, body


def _first_person(verb: str) -> str:
    """``fills`` → ``fill``, ``presses`` → ``press``, ``goes`` → ``go``, ``is`` → ``am``."""
    lower = verb.lower()
    if lower == "is":
        return "am"
    if lower.endswith(("sses", "ches", "shes", "xes", "oes")):
        return verb[:-2]
    return verb[:-1] if lower.endswith("s") else verb


def _gherkin_step(body: str, line: str, number: int) -> dict[str, Any]:
    for pattern, action in _COMPILED:
        match = pattern.fullmatch(body)
        if not match:
            continue
        # The network-idle phrases are the only ones without arguments.
        values: dict[str, Any] = {} if pattern.groupindex else {"network_idle": True}
        for name, raw in match.groupdict().items():
            if raw is not None and name in INT_FIELDS:
                values[name] = int(raw)
            elif raw is not None and name in FIELDS[action]:
                values[name] = _unescape(raw)  # undo \" and \\ escapes
        if match.groupdict().get("n") is not None:
            values["ms"] = duration_ms(match["n"], match["unit"])
        return build_step(StepArgs(action, number, values))
    if not body:
        reason = f"unrecognised step: {line!r}; start each step with Given/When/Then/And/But"
        raise ScriptError(number, reason)
    shape = re.sub(r'"(?:[^"\\]|\\.)*"', '"<x>"', body)
    options = [re.sub(r'"<\w+>"', '"<x>"', t) for t in GHERKIN_PHRASES]
    close = difflib.get_close_matches(shape, options, n=3, cutoff=0.0)
    hint = "; ".join(GHERKIN_PHRASES[options.index(c)] for c in close)
    raise ScriptError(number, f"unrecognised step: {line!r}; closest phrases: {hint}")
