"""Metric declarations in a script: named requests, named WebSockets, backend series and JS
values (``evaluate``), each validated with its line, and the whole-script name checks.

- ``request_metric``: ``name`` and ``match``, ``[METHOD ]pattern`` (``POST */api/chats``);
- ``websocket_metric``: ``name``, ``url`` (pattern) and an optional ``reply`` pattern a
  received text frame must match to count as the reply to the frame sent before it;
- ``backend_metric``: ``name`` and a Graphite ``target`` (a render query);
- ``evaluate``: ``name`` and a JavaScript ``expression`` returning a number, evaluated where
  the step stands in the journey (so inside a measured step, it is that step's value too).

A pattern is a glob over the whole URL (``*`` matches any characters, ``/`` included, and
nothing else is special; the query string is part of the URL, so ``*/api/chats*`` also
matches ``/api/chats?x=1``) or ``re:`` and a regular expression searched in it; a ``reply``
pattern is matched the same way against the received frame's first 200 characters
(:func:`url_matches`). Names follow core.metrics.names.
"""

import re
from collections.abc import Mapping
from typing import Any

from core.metrics.names import name_problem
from core.script.args import StepArgs
from core.script.errors import ScriptError

DECLARATIONS = frozenset({"request_metric", "websocket_metric", "backend_metric"})
"""Declarations that configure what a run measures (setup, wherever they stand)."""

MAX_EXPRESSION = 2000  # characters of one JS expression
MAX_PATTERN = 500
MAX_TARGET = 1000
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_METHOD = re.compile(r"([A-Za-z]+)\s+(\S.*)")


def build_declaration(a: StepArgs, step: dict[str, Any]) -> None:
    """Fill ``step`` for a declaration or an ``evaluate`` step from ``a``; ScriptError with
    the line of the offending key otherwise."""
    name = a.text("name") or ""
    if problem := name_problem(name):
        a.fail(f"{a.action}: {problem}", "name")
    step["name"] = name
    if a.action == "request_metric":
        match = a.text("match") or ""
        method, pattern = None, match
        if (found := _METHOD.fullmatch(match)) and found[1].upper() in METHODS:
            method, pattern = found[1].upper(), found[2].strip()
        step["method"] = method
        step["pattern"] = checked_pattern(a, pattern, "match")
    elif a.action == "websocket_metric":
        step["pattern"] = checked_pattern(a, a.text("url") or "", "url")
        reply = a.text("reply", required=False)
        step["reply"] = None if reply is None else checked_pattern(a, reply, "reply")
    elif a.action == "backend_metric":
        target = a.text("target") or ""
        if len(target) > MAX_TARGET:
            a.fail(f"backend target is longer than {MAX_TARGET} characters", "target")
        step["target"] = target
    else:  # evaluate
        expression = a.text("expression") or ""
        if len(expression) > MAX_EXPRESSION:
            a.fail(
                f"evaluate {name}: expression is longer than {MAX_EXPRESSION} characters",
                "expression",
            )
        if problem := expression_problem(expression):
            a.fail(f"evaluate {name}: {problem}", "expression")
        step["expression"] = expression


def url_matches(pattern: str, url: str) -> bool:
    """Whether ``url`` matches a declaration's pattern: a glob over the whole URL in which
    ``*`` matches any characters (``/`` included) and nothing else is special, or ``re:``
    and a regular expression searched in it. A glob without ``?`` also matches the URL with
    its query string left off (``POST */api/chats`` names ``…/api/chats?draft=1`` too). A
    ``reply`` pattern is matched against a frame's text with :func:`text_matches`."""
    if pattern.startswith("re:") or "?" in pattern:
        return text_matches(pattern, url)
    return text_matches(pattern, url) or text_matches(pattern, url.split("?", 1)[0])


def text_matches(pattern: str, text: str) -> bool:
    """Whether ``text`` matches ``pattern`` (a whole-text glob where only ``*`` is special,
    or ``re:`` and a regular expression searched in it)."""
    if pattern.startswith("re:"):
        return re.search(pattern[3:], text) is not None
    return re.fullmatch(".*".join(map(re.escape, pattern.split("*"))), text, re.DOTALL) is not None


def request_matches(declaration: Mapping[str, Any], method: str, url: str) -> bool:
    """Whether a request (``method``, ``url``) is one a ``request_metric`` declaration
    (``name``, ``method`` or None for any, ``pattern``) names."""
    wanted = declaration.get("method")
    if wanted and str(method).upper() != wanted:
        return False
    return url_matches(str(declaration.get("pattern") or ""), url)


def checked_pattern(a: StepArgs, pattern: str, key: str) -> str:
    """``pattern`` (of ``key``) if it is short enough and, for ``re:``, compiles; refused with
    the line of ``key`` otherwise."""
    if len(pattern) > MAX_PATTERN:
        a.fail(f"{a.action} {key} is longer than {MAX_PATTERN} characters", key)
    if pattern.startswith("re:"):
        try:
            re.compile(pattern[3:])
        except re.error as exc:
            a.fail(f"{a.action} {key}: invalid regular expression: {exc}", key)
    return pattern


_CLOSERS = {")": "(", "]": "[", "}": "{"}


def expression_problem(text: str) -> str | None:
    """Why ``text`` cannot be a JavaScript expression, as far as can be told without a
    JavaScript engine: brackets that do not pair, an unterminated string, template or
    comment, or a statement keyword where an expression belongs. None when it may be one
    (the browser has the last word: its SyntaxError is that metric's error in the run)."""
    if re.match(r"\s*(?:return|var|let|const|if|for|while|function\s*\()\b", text):
        word = text.split()[0]
        return f"'{word}' starts a statement; write an expression (e.g. an arrow function call)"
    stack: list[tuple[str, int]] = []
    i, n = 0, len(text)
    previous = ""  # the last significant character: tells a regex literal from a division
    while i < n:
        ch = text[i]
        if ch in "\"'`":
            end = _string_end(text, i)
            if end < 0:
                return f"unterminated {'template' if ch == '`' else 'string'} at character {i + 1}"
            i, previous = end + 1, ch
            continue
        if text.startswith("//", i):
            i = n if (nl := text.find("\n", i)) < 0 else nl
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                return f"unterminated comment at character {i + 1}"
            i = end + 2
            continue
        if ch == "/" and (not previous or previous in "(,=:[!&|?{};+-*%<>~^"):
            end = _regex_end(text, i)
            if end < 0:
                return f"unterminated regular expression at character {i + 1}"
            i, previous = end + 1, "/"
            continue
        if ch in "([{":
            stack.append((ch, i))
        elif ch in ")]}":
            if not stack or stack[-1][0] != _CLOSERS[ch]:
                return f"unexpected '{ch}' at character {i + 1}"
            stack.pop()
        if not ch.isspace():
            previous = ch
        i += 1
    if stack:
        opener, at = stack[-1]
        return f"'{opener}' at character {at + 1} is never closed"
    return None


def _string_end(text: str, start: int) -> int:
    quote, i = text[start], start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return i
        if text[i] == "\n" and quote != "`":
            return -1
        i += 1
    return -1


def _regex_end(text: str, start: int) -> int:
    i, in_class = start + 1, False
    while i < len(text) and text[i] != "\n":
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "[":
            in_class = True
        elif text[i] == "]":
            in_class = False
        elif text[i] == "/" and not in_class:
            return i
        i += 1
    return -1


def check_declarations(steps: list[dict[str, Any]]) -> None:
    """Refuse a name declared twice for the same kind of metric (on the second's line)."""
    seen: dict[tuple[str, str], int] = {}
    for step in steps:
        action = step["action"]
        if action not in DECLARATIONS and action != "evaluate":
            continue
        key = (action, step["name"])
        if key in seen:
            raise ScriptError(
                step["line"],
                f"{action} {step['name']!r} is already declared on line {seen[key]}",
            )
        seen[key] = step["line"]
