"""The YAML form of a script: a list of one-action steps (or a mapping with a ``steps`` list,
and ``actors``: name → first page URL).

In a script with actors a step is addressed to one by its name: ``- operator: {click: "#a"}``
(the step as a mapping under the actor's name) or ``- operator: click "#a"`` (the action and
its argument in one line; ``- visitor: wait_for text "Welcome"`` names the key).

Read through PyYAML's node tree rather than its objects so every refusal names the line of
the offending key or value, and scalars stay the text written ("007" and "yes" are text)
except where a key takes a whole number or a boolean.
"""

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from core.script.actions import ACTIONS, FIELDS, INT_FIELDS, SCALAR_ACTIONS
from core.script.actors import declare
from core.script.args import StepArgs
from core.script.errors import ScriptError
from core.script.steps import build_step, duration_ms

_SIZE = re.compile(r"(\d{1,9})\s*[x×]\s*(\d{1,9})", re.IGNORECASE)  # bounded: int() is safe
_DURATION = re.compile(r"(\d{1,9}(?:\.\d{1,9})?)\s*(ms|s)?", re.IGNORECASE)
_TAG = "tag:yaml.org,2002:"
_COMPACT = re.compile(r"([a-z_]+)(?:\s+(.*?))?\s*", re.DOTALL)  # `click "#a"`, `wait_for text "x"`
_KEYED = re.compile(r"([a-z_]+)\s+(.+)", re.DOTALL)
# A script nests 3 levels (steps, a step, its arguments); PyYAML's composer recurses once per
# level, so a document nested near Python's recursion limit would crash it.
MAX_DEPTH = 20


def read_yaml(text: str) -> list[dict[str, Any]]:
    """The validated steps of a YAML script; ScriptError for invalid YAML, a document that is
    not a list of steps, an empty list, or any invalid step."""
    try:
        _check_depth(text)
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
    actors: list[dict[str, Any]] = []
    if isinstance(root, MappingNode):
        node = next((v for k, v in root.value if k.value == "steps"), None)
        declared = next((v for k, v in root.value if k.value == "actors"), None)
        actors = _actors(declared) if declared is not None else []
    if not isinstance(node, SequenceNode):
        where = node if node is not None else root
        raise ScriptError(_ln(where), "expected a list of steps or a mapping with a 'steps' list")
    if not node.value:
        raise ScriptError(_ln(node), "script has no steps")
    loader = yaml.SafeLoader("")  # only to construct int scalars with YAML's own rules
    names = [a["name"] for a in actors]
    return [*actors, *(_yaml_step(item, loader, names) for item in node.value)]


def _actors(node: Node) -> list[dict[str, Any]]:
    """The declarations of ``actors:``, a mapping of name → first page URL."""
    if not isinstance(node, MappingNode) or not node.value:
        raise ScriptError(_ln(node), "actors must map each actor's name to its first page's URL")
    found = []
    for key, value in node.value:
        if not isinstance(value, ScalarNode):
            raise ScriptError(_ln(value), f"actor {key.value!r}: give its first page's URL")
        found.append(declare(key.value, value.value, _ln(key)))
    return found


def _check_depth(text: str) -> None:
    """Raise ScriptError at the line where the YAML nests deeper than MAX_DEPTH. PyYAML's
    parser is iterative: its events can be counted at any depth."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                line = mark.line + 1 if mark is not None else None
                raise ScriptError(line, f"invalid YAML: nested more than {MAX_DEPTH} levels deep")
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            depth -= 1


def _ln(node: Node) -> int:
    return node.start_mark.line + 1  # type: ignore[no-any-return]


def _yaml_step(node: Node, loader: yaml.SafeLoader, actors: list[str]) -> dict[str, Any]:
    line = _ln(node)
    if not isinstance(node, MappingNode) or not node.value:
        raise ScriptError(line, 'a step must be one action and its argument, e.g. - click: "#a"')
    if len(node.value) > 1:
        keys = ", ".join(str(k.value) for k, _ in node.value if isinstance(k, ScalarNode))
        reason = f"step has several keys ({keys}); write one action per step, arguments indented"
        raise ScriptError(line, reason)
    key, arg = node.value[0]
    action = key.value if isinstance(key, ScalarNode) else "?"
    if action in actors:
        return {**_addressed(arg, loader), "actor": action, "line": line}
    if action not in ACTIONS:
        what = f"action or actor {action!r} (actors: {', '.join(actors)})" if actors else ""
        raise ScriptError(line, f"unknown {what or f'action {action!r}'}")
    a = StepArgs(action, line, from_yaml=True)
    if isinstance(arg, MappingNode):
        for k, v in arg.value:
            name = k.value if isinstance(k, ScalarNode) else "?"
            if name not in FIELDS[action]:
                expected = ", ".join(FIELDS[action])
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
    return build_step(a)


def _addressed(arg: Node, loader: yaml.SafeLoader) -> dict[str, Any]:
    """The step an actor's name is given: a one-action mapping, or its compact line."""
    if isinstance(arg, MappingNode):
        return _yaml_step(arg, loader, [])
    if not isinstance(arg, ScalarNode) or not isinstance(arg.value, str):
        raise ScriptError(_ln(arg), 'give the actor one step, e.g. operator: click "#accept"')
    line = _ln(arg)
    compact = _COMPACT.fullmatch(arg.value.strip())
    action = compact[1] if compact else arg.value.strip().split(" ")[0]
    if compact is None or action not in ACTIONS:
        raise ScriptError(line, f"unknown action {action!r}")
    a = StepArgs(action, line, from_yaml=True)
    rest = compact[2] or ""
    keyed = _KEYED.fullmatch(rest)
    if keyed and keyed[1] in FIELDS[action]:
        value, _ = _unquote(keyed[2])
        a.values[keyed[1]] = int(value) if keyed[1] in INT_FIELDS and value.isdigit() else value
        a.lines[keyed[1]] = line
    elif rest:
        value, quoted = _unquote(rest)
        tag = _TAG + "str" if quoted else loader.resolve(ScalarNode, value, (True, False))
        _yaml_scalar_form(a, ScalarNode(tag, value, arg.start_mark, arg.end_mark), loader)
    return build_step(a)


def _unquote(text: str) -> tuple[str, bool]:
    """A compact line's argument without its quotes (``\\"`` in double quotes is a quote),
    and whether it was quoted."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        inner = text[1:-1]
        return (re.sub(r"\\(.)", r"\1", inner) if text[0] == '"' else inner), True
    return text, False


def _yaml_value(node: Node, a: StepArgs, name: str, loader: yaml.SafeLoader) -> Any:
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
    if node.tag == _TAG + "int" and name in INT_FIELDS:
        try:
            return int(loader.construct_yaml_int(node))
        except ValueError:  # beyond int()'s digit limit: certainly out of range
            return node.value
    return node.value


def _yaml_scalar_form(a: StepArgs, arg: Node, loader: yaml.SafeLoader) -> None:
    """Fill ``a`` from a bare argument: `- click: "#a"`, `- wait_for: 500`, `- set_viewport: 9x9`"""
    value = _yaml_value(arg, a, "ms" if a.action == "wait_for" else "value", loader)
    text = value.strip() if isinstance(value, str) else ""
    if a.action in SCALAR_ACTIONS - {"wait_for", "set_viewport"}:
        a.values[FIELDS[a.action][0]] = value
    elif a.action == "wait_for":
        duration = _DURATION.fullmatch(text)
        if value is None:
            pass  # refused by build_step: needs exactly one of selector, network_idle, ms
        elif isinstance(value, int) or arg.tag != _TAG + "str":
            a.values["ms"] = value  # an int, or a float/bool that build_step refuses
        elif text.lower().replace(" ", "_") in ("network_idle", "networkidle"):
            a.values["network_idle"] = True
        elif duration:  # CSS selectors cannot start with a digit, so "500" / "2s" are waits
            a.values["ms"] = duration_ms(*duration.groups())
        else:
            a.values["selector"] = value
    elif a.action == "set_viewport" and (size := _SIZE.fullmatch(text)):
        a.values.update(width=int(size[1]), height=int(size[2]))
    else:
        required = [k for k in FIELDS[a.action] if k != "domain"]
        a.fail(f"{a.action} needs a mapping with {', '.join(required)}")
