"""Scripts with actors: declarations, steps addressed to an actor in YAML (a mapping or the
compact line) and in Given/When/Then (the third person), the stop conditions of a measure,
refusals with the line and the reason, and the split per actor the spec is built from."""

from typing import Any

import pytest

from core.script import ScriptError, parse_script, split_actors
from core.spec import SpecOptions, actor_spec, build_spec

YAML = """
actors:
  operator: /support/operator
  visitor: http://chat.example.com/widget
steps:
  - visitor: {set_viewport: 390x844}
  - visitor:
      set_cookie: {name: who, value: visitor}
  - operator: {wait_for: "#ready"}
  - operator: click "#accept"
  - visitor: wait_for text "Welcome"
  - visitor: measure_start sent
  - visitor:
      fill: {selector: "#msg", value: hello}
  - operator:
      measure_stop: {name: sent, text: hello}
  - operator: wait_for 500
  - dns: {host: chat.example.com, address: 127.0.0.1}
"""

STEPS: list[dict[str, Any]] = [
    {"action": "actor", "name": "operator", "url": "/support/operator", "line": 3},
    {"action": "actor", "name": "visitor", "url": "http://chat.example.com/widget", "line": 4},
    {"action": "set_viewport", "width": 390, "height": 844, "line": 6, "actor": "visitor"},
    {
        "action": "set_cookie",
        "name": "who",
        "value": "visitor",
        "domain": None,
        "line": 7,
        "actor": "visitor",
    },
    {"action": "wait_for", "selector": "#ready", "line": 9, "actor": "operator"},
    {"action": "click", "selector": "#accept", "line": 10, "actor": "operator"},
    {"action": "wait_for", "text": "Welcome", "line": 11, "actor": "visitor"},
    {"action": "measure_start", "name": "sent", "line": 12, "actor": "visitor"},
    {"action": "fill", "selector": "#msg", "value": "hello", "line": 13, "actor": "visitor"},
    {"action": "measure_stop", "name": "sent", "text": "hello", "line": 15, "actor": "operator"},
    {"action": "wait_for", "ms": 500, "line": 17, "actor": "operator"},
    {"action": "dns", "host": "chat.example.com", "address": "127.0.0.1", "line": 18},
]

GHERKIN = """Feature: support
Scenario: a message each way
  Given the actor "operator" starts on "/support/operator"
  And the actor "visitor" starts on "http://chat.example.com/widget"
  And the visitor uses a viewport of 390x844
  And the visitor sets the cookie "who" to "visitor"
  When the operator waits for "#ready"
  And the operator clicks "#accept"
  Then the visitor sees text "Welcome"
  When the visitor starts measuring "sent"
  And the visitor fills "#msg" with "hello"
  Then the operator stops measuring "sent" when text "hello" appears
  And the operator waits 500 ms
  And "chat.example.com" resolves to "127.0.0.1"
"""


def test_yaml_declares_actors_and_addresses_every_step_to_one() -> None:
    assert parse_script(YAML) == STEPS


def test_given_when_then_says_the_same_in_the_third_person() -> None:
    found = parse_script(GHERKIN)
    # The same steps, each on its own line.
    assert [{**s, "line": 0} for s in found] == [{**s, "line": 0} for s in STEPS]
    assert [s["line"] for s in found] == list(range(3, 15))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('the visitor presses "Enter"', {"action": "press", "key": "Enter", "selector": None}),
        ('the visitor goes to "/x"', {"action": "navigate", "url": "/x"}),
        ('the visitor is on "/x"', {"action": "navigate", "url": "/x"}),
        ('the visitor chooses "2" from "#n"', {"action": "select", "value": "2", "selector": "#n"}),
        (
            "the visitor's viewport is 800x600",
            {"action": "set_viewport", "width": 800, "height": 600},
        ),
        ('the visitor sees "#list li"', {"action": "wait_for", "selector": "#list li"}),
        (
            'the visitor stops measuring "m" when "#list li" appears',
            {"action": "measure_stop", "name": "m", "selector": "#list li"},
        ),
        (
            'the visitor stops measuring "m" when a frame matching "message:*" arrives',
            {"action": "measure_stop", "name": "m", "frame": "message:*"},
        ),
    ],
)
def test_third_person_phrases(text: str, expected: dict[str, Any]) -> None:
    head = 'Given the actor "operator" starts on "/a"\nAnd the actor "visitor" starts on "/b"\n'
    start = (
        'When the visitor starts measuring "m"\n' if expected["action"] == "measure_stop" else ""
    )
    steps = parse_script(head + start + "Then " + text)
    assert {k: v for k, v in steps[-1].items() if k != "line"} == {**expected, "actor": "visitor"}


@pytest.mark.parametrize(
    ("compact", "expected"),
    [
        ('click "#a b"', {"action": "click", "selector": "#a b"}),
        ("wait_for 2s", {"action": "wait_for", "ms": 2000}),
        ("wait_for network_idle", {"action": "wait_for", "network_idle": True}),
        ('wait_for text "say \\"hi\\""', {"action": "wait_for", "text": 'say "hi"'}),
        ("wait_for '#list li'", {"action": "wait_for", "selector": "#list li"}),
        ('press "Enter"', {"action": "press", "key": "Enter", "selector": None}),
        ("navigate /next", {"action": "navigate", "url": "/next"}),
        ("measure_start m", {"action": "measure_start", "name": "m"}),
    ],
)
def test_the_compact_line_is_the_action_and_its_argument(
    compact: str, expected: dict[str, Any]
) -> None:
    text = f"actors:\n  a: /a\n  b: /b\nsteps:\n  - b: {compact}\n"
    if expected["action"] == "measure_start":
        text += "  - b: measure_stop m\n"
    step = parse_script(text)[2]
    assert step == {**expected, "line": 5, "actor": "b"}


def test_a_script_without_actors_is_as_before() -> None:
    assert parse_script("- click: '#a'\n- wait_for: {text: Done}") == [
        {"action": "click", "selector": "#a", "line": 1},
        {"action": "wait_for", "text": "Done", "line": 2},
    ]


ACTORS = "actors:\n  operator: /a\n  visitor: /b\nsteps:\n"
TWO = 'Given the actor "operator" starts on "/a"\nAnd the actor "visitor" starts on "/b"\n'
REFUSALS = [
    (
        ACTORS + "  - click: '#a'",
        5,
        "this script has actors: address the step to one of operator, visitor",
    ),
    (
        ACTORS + "  - clerk: {click: '#a'}",
        5,
        "unknown action or actor 'clerk' (actors: operator, visitor)",
    ),
    (
        ACTORS + "  - operator: {dns: {host: a.example.com, address: 127.0.0.1}}",
        5,
        "dns belongs to the whole run (one browser for every actor): write it without an actor",
    ),
    (ACTORS + "  - operator: clik '#a'", 5, "unknown action 'clik'"),
    (ACTORS + "  - operator: fill '#a'", 5, "fill needs a mapping with selector, value"),
    (
        ACTORS + "  - operator: [click]",
        5,
        'give the actor one step, e.g. operator: click "#accept"',
    ),
    (
        ACTORS + "  - operator: {click: '#a', fill: x}",
        5,
        "step has several keys (click, fill); write one action per step, arguments indented",
    ),
    (
        "actors:\n  operator: /a\nsteps:\n  - operator: click '#a'",
        2,
        "declare at least two actors (a one-page script needs none)",
    ),
    (
        "actors:\n  Operator: /a\n  visitor: /b\nsteps:\n  - click: '#a'",
        2,
        "invalid actor name 'Operator': a lower-case letter, then lower-case letters, "
        "digits, _ or - (at most 32 characters)",
    ),
    (
        "actors:\n  click: /a\n  visitor: /b\nsteps:\n  - click: '#a'",
        2,
        "'click' cannot name an actor: it is a word scripts already use",
    ),
    (
        "actors:\n  viewport: /a\n  visitor: /b\nsteps:\n  - click: '#a'",
        2,
        "'viewport' cannot name an actor: it is a word scripts already use",
    ),
    (
        "actors:\n  a: javascript:x\n  b: /b\nsteps:\n  - b: click '#a'",
        2,
        "actor 'a': URL scheme 'javascript' is not allowed (only http(s) or '/path')",
    ),
    (
        "actors:\n  a: {url: /a}\n  b: /b\nsteps:\n  - b: click '#a'",
        2,
        "actor 'a': give its first page's URL",
    ),
    (
        "actors: [a, b]\nsteps:\n  - click: '#a'",
        1,
        "actors must map each actor's name to its first page's URL",
    ),
    (
        "actors:\n  a: /a\n  a: /b\nsteps:\n  - a: click '#a'",
        3,
        "actor 'a' is already declared on line 2",
    ),
    (
        "actors:\n" + "".join(f"  a{n}: /p\n" for n in range(9)) + "steps:\n  - a0: click '#a'",
        2,
        "at most 8 actors, got 9",
    ),
    (
        "- measure_start: m\n- measure_stop: {name: m, text: hi}",
        2,
        "a measure_stop that waits for a selector, text or frame needs actors; in a one-page "
        "script, wait_for it, then measure_stop",
    ),
    (
        ACTORS
        + "  - operator: measure_start m\n  - visitor:\n"
        + "      measure_stop: {name: m, text: a, selector: b}",
        7,
        "measure_stop waits for one of selector, text, frame, not several",
    ),
    (
        ACTORS
        + "  - operator: measure_start m\n  - visitor:\n"
        + "      measure_stop: {name: m, frame: 're:('}",
        7,
        "measure_stop frame: invalid regular expression: "
        "missing ), unterminated subpattern at position 0",
    ),
    (
        TWO + 'When the clerk clicks "#a"',
        3,
        "unknown actor 'clerk' in 'When the clerk clicks \"#a\"' (actors: operator, visitor)",
    ),
    (
        'When the clerk clicks "#a"',
        1,
        "unknown actor 'clerk' in 'When the clerk clicks \"#a\"' "
        '(declare it first: the actor "<name>" starts on "<url>")',
    ),
    (
        'Given the actor "operator" starts on "/a"\nWhen the operator clicks "#a"\n'
        'And the actor "visitor" starts on "/b"',
        3,
        "declare the actors before the first step",
    ),
    (
        TWO + 'When I click "#a"',
        3,
        "this script has actors: address the step to one of operator, visitor",
    ),
]


@pytest.mark.parametrize(("text", "line", "reason"), REFUSALS)
def test_refusals_name_the_line_and_the_reason(text: str, line: int, reason: str) -> None:
    with pytest.raises(ScriptError) as refused:
        parse_script(text)
    assert (refused.value.line, refused.value.reason) == (line, reason)


def test_split_actors_gives_the_run_each_actor_and_the_actions_in_order() -> None:
    setup, actors, actions = split_actors(STEPS)
    assert setup["dns"] == {"chat.example.com": "127.0.0.1"}
    assert [a["name"] for a in actors] == ["operator", "visitor"]
    operator, visitor = (a["setup"] for a in actors)
    assert (operator["viewport"], operator["cookies"]) == (None, [])
    assert visitor["viewport"] == {"width": 390, "height": 844}
    assert visitor["cookies"] == [{"name": "who", "value": "visitor", "domain": None}]
    assert [s["line"] for s in actions] == [9, 10, 11, 12, 13, 15, 17]


def test_the_spec_has_each_actors_absolute_first_page_and_setup() -> None:
    spec = build_spec(
        url="https://shop.example.com/base/",
        steps=STEPS,
        first_party=[],
        dns={"cdn.example.com": "10.0.0.1"},
        block=["ads.example.com"],
        options=SpecOptions(),
    )
    assert [(a["name"], a["url"]) for a in spec["actors"]] == [
        ("operator", "https://shop.example.com/support/operator"),
        ("visitor", "http://chat.example.com/widget"),
    ]
    assert spec["url"] == "https://shop.example.com/base/"
    assert spec["setup"]["dns"] == {"cdn.example.com": "10.0.0.1", "chat.example.com": "127.0.0.1"}
    assert [a["setup"]["block"] for a in spec["actors"]] == [["ads.example.com"]] * 2
    visitor = actor_spec(spec, spec["actors"][1])
    assert visitor["url"] == "http://chat.example.com/widget"
    assert visitor["setup"]["dns"] == spec["setup"]["dns"]
    assert visitor["setup"]["viewport"] == {"width": 390, "height": 844}
    assert [s["line"] for s in visitor["steps"]] == [11, 12, 13]
    assert "actors" not in visitor


def test_a_spec_without_actors_has_no_actors_key() -> None:
    spec = build_spec(
        url="https://shop.example.com/",
        steps=parse_script("- click: '#a'"),
        first_party=[],
        dns={},
        block=[],
        options=SpecOptions(),
    )
    assert "actors" not in spec
