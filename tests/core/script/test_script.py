"""core.script: YAML and Given/When/Then parsing, line-numbered validation, setup split."""

from typing import Any

import pytest

from core.script import (
    ACTIONS,
    GHERKIN_PHRASES,
    SETUP_ACTIONS,
    ScriptError,
    parse_script,
    split_setup,
)
from tests.core.script.test_declarations import DECLARATION_ACTIONS


def without_lines(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in step.items() if k != "line"} for step in steps]


def only_step(text: str, fmt: str) -> dict[str, Any]:
    steps = without_lines(parse_script(text, fmt))
    assert len(steps) == 1
    return steps[0]


def refusal(text: str, fmt: str = "auto") -> tuple[int | None, str]:
    with pytest.raises(ScriptError) as caught:
        parse_script(text, fmt)
    return caught.value.line, caught.value.reason


SEARCH_YAML = """\
# the search journey
steps:
  - navigate: /
  - fill: {selector: "#q", value: shoes}
  - click: "#search"
  - wait_for: "#results"
  - measure_start: search
  - measure_stop: search
"""

SEARCH_GHERKIN = """\
Feature: Shop search
  # the search journey
  Scenario: a shopper searches for shoes

    Given I open "/"
    When I fill "#q" with "shoes"
    And I click "#search"
    Then I wait for "#results"
    And I start measuring "search"
    But I stop measuring "search"
"""

SEARCH_STEPS = [
    {"action": "navigate", "url": "/"},
    {"action": "fill", "selector": "#q", "value": "shoes"},
    {"action": "click", "selector": "#search"},
    {"action": "wait_for", "selector": "#results"},
    {"action": "measure_start", "name": "search"},
    {"action": "measure_stop", "name": "search"},
]


# --- the two forms ------------------------------------------------------------------------


def test_yaml_and_gherkin_forms_of_the_search_journey_give_the_same_steps() -> None:
    yaml_steps = parse_script(SEARCH_YAML)
    gherkin_steps = parse_script(SEARCH_GHERKIN)
    assert without_lines(yaml_steps) == SEARCH_STEPS
    assert without_lines(gherkin_steps) == SEARCH_STEPS


def test_each_step_records_its_source_line() -> None:
    assert [s["line"] for s in parse_script(SEARCH_YAML)] == [3, 4, 5, 6, 7, 8]
    assert [s["line"] for s in parse_script(SEARCH_GHERKIN)] == [5, 6, 7, 8, 9, 10]


def test_a_top_level_list_is_a_yaml_script_and_other_top_level_keys_are_ignored() -> None:
    listed = "- navigate: /\n- click: '#a'\n"
    mapped = "name: demo\nsteps:\n  - navigate: /\n  - click: '#a'\nbudgets: {lcp: 2500}\n"
    expected = [{"action": "navigate", "url": "/"}, {"action": "click", "selector": "#a"}]
    assert without_lines(parse_script(listed)) == expected
    assert without_lines(parse_script(mapped)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('Given I open "/"', "gherkin"),
        ('# comment\n\ngiven I open "/"', "gherkin"),
        ('Feature: x\nWhen I click "#a"', "gherkin"),
        ('Scenario: x\nThen I wait for "#a"', "gherkin"),
        ('And I open "/"', "gherkin"),
        ('But I open "/"', "gherkin"),
        ("- navigate: /", "yaml"),
        ("# Given a comment\nsteps:\n  - navigate: /", "yaml"),
    ],
)
def test_auto_format_detects_gherkin_by_its_first_meaningful_line(text: str, expected: str) -> None:
    assert parse_script(text) == parse_script(text, expected)


def test_an_explicit_format_is_obeyed() -> None:
    assert refusal('Given I open "/"', "yaml") == (
        1,
        "expected a list of steps or a mapping with a 'steps' list",
    )
    assert refusal("- navigate: /", "gherkin")[0] == 1


def test_an_unknown_format_is_a_programming_error_not_a_script_error() -> None:
    with pytest.raises(ValueError) as caught:
        parse_script("- navigate: /", "xml")
    assert type(caught.value) is ValueError
    assert str(caught.value) == "fmt must be 'yaml', 'gherkin' or 'auto', not 'xml'"


def test_action_sets_are_exposed() -> None:
    assert {
        "set_viewport",
        "emulate",
        "set_header",
        "set_cookie",
        "block",
        "dns",
        "request_metric",
        "websocket_metric",
        "backend_metric",
    } == SETUP_ACTIONS
    assert (
        SETUP_ACTIONS
        | {
            "navigate",
            "click",
            "fill",
            "press",
            "select",
            "wait_for",
            "measure_start",
            "measure_stop",
            "evaluate",
        }
        == ACTIONS
    )


# --- every action, YAML form ----------------------------------------------------------------

YAML_CASES: list[tuple[str, dict[str, Any]]] = [
    ("- navigate: /", {"action": "navigate", "url": "/"}),
    (
        "- navigate: https://shop.example.com/cart?x=1",
        {"action": "navigate", "url": "https://shop.example.com/cart?x=1"},
    ),
    ("- navigate: {url: /checkout}", {"action": "navigate", "url": "/checkout"}),
    ('- click: "#search"', {"action": "click", "selector": "#search"}),
    ("- click: {selector: button.buy}", {"action": "click", "selector": "button.buy"}),
    (
        '- fill: {selector: "#q", value: shoes}',
        {"action": "fill", "selector": "#q", "value": "shoes"},
    ),
    # Values are taken as written: no YAML int/bool coercion, no stripping.
    (
        "- fill: {selector: '#zip', value: 007}",
        {"action": "fill", "selector": "#zip", "value": "007"},
    ),
    (
        "- fill: {selector: '#ok', value: yes}",
        {"action": "fill", "selector": "#ok", "value": "yes"},
    ),
    ("- fill: {selector: '#q', value: ''}", {"action": "fill", "selector": "#q", "value": ""}),
    (
        "- fill: {selector: '#q', value: ' a '}",
        {"action": "fill", "selector": "#q", "value": " a "},
    ),
    (
        "- fill:\n    selector: textarea\n    value: |\n      line one\n      line two\n",
        {"action": "fill", "selector": "textarea", "value": "line one\nline two\n"},
    ),
    ("- press: Enter", {"action": "press", "key": "Enter", "selector": None}),
    ("- press: {key: Tab, selector: '#q'}", {"action": "press", "key": "Tab", "selector": "#q"}),
    ("- press: 1", {"action": "press", "key": "1", "selector": None}),
    (
        "- select: {selector: '#size', value: 42}",
        {"action": "select", "selector": "#size", "value": "42"},
    ),
    ('- wait_for: "#results"', {"action": "wait_for", "selector": "#results"}),
    ("- wait_for: 500", {"action": "wait_for", "ms": 500}),
    ("- wait_for: '250'", {"action": "wait_for", "ms": 250}),
    ("- wait_for: 250ms", {"action": "wait_for", "ms": 250}),
    ("- wait_for: 2s", {"action": "wait_for", "ms": 2000}),
    ("- wait_for: 1.5 s", {"action": "wait_for", "ms": 1500}),
    ("- wait_for: network_idle", {"action": "wait_for", "network_idle": True}),
    ("- wait_for: network idle", {"action": "wait_for", "network_idle": True}),
    ("- wait_for: {selector: .done}", {"action": "wait_for", "selector": ".done"}),
    ("- wait_for: {ms: 100}", {"action": "wait_for", "ms": 100}),
    ("- wait_for: {network_idle: true}", {"action": "wait_for", "network_idle": True}),
    (
        "- set_viewport: {width: 375, height: 812}",
        {"action": "set_viewport", "width": 375, "height": 812},
    ),
    ("- set_viewport: 1280x720", {"action": "set_viewport", "width": 1280, "height": 720}),
    ("- emulate: iPhone 13", {"action": "emulate", "device": "iPhone 13"}),
    ("- emulate: {device: Pixel 7}", {"action": "emulate", "device": "Pixel 7"}),
    (
        "- emulate: {user_agent: Perfite/1.0 (+https://perfite.example)}",
        {"action": "emulate", "user_agent": "Perfite/1.0 (+https://perfite.example)"},
    ),
    (
        "- set_header: {name: X-Test, value: 1}",
        {"action": "set_header", "name": "X-Test", "value": "1"},
    ),
    (
        "- set_cookie: {name: consent, value: 'yes'}",
        {"action": "set_cookie", "name": "consent", "value": "yes", "domain": None},
    ),
    (
        "- set_cookie: {name: s, value: abc, domain: .example.com}",
        {"action": "set_cookie", "name": "s", "value": "abc", "domain": ".example.com"},
    ),
    ("- block: doubleclick.net", {"action": "block", "patterns": ["doubleclick.net"]}),
    (
        "- block: [a.com, '*://ads.example.com/*']",
        {"action": "block", "patterns": ["a.com", "*://ads.example.com/*"]},
    ),
    ("- block: {patterns: [x.com]}", {"action": "block", "patterns": ["x.com"]}),
    ("- block: {patterns: x.com}", {"action": "block", "patterns": ["x.com"]}),
    (
        "- dns: {host: www.example.com, address: 127.0.0.1}",
        {"action": "dns", "host": "www.example.com", "address": "127.0.0.1"},
    ),
    # Host names are case-insensitive and may end in a dot; addresses are normalised.
    (
        "- dns: {host: API.Example.COM., address: '0:0::1'}",
        {"action": "dns", "host": "api.example.com", "address": "::1"},
    ),
    (
        "- dns:\n    host: localhost\n    address: ::1",
        {"action": "dns", "host": "localhost", "address": "::1"},
    ),
]


@pytest.mark.parametrize(("text", "expected"), YAML_CASES)
def test_yaml_step_forms_parse_to_their_step(text: str, expected: dict[str, Any]) -> None:
    assert only_step(text, "yaml") == expected


def test_yaml_measure_steps_parse_in_pairs() -> None:
    text = "- measure_start: checkout\n- measure_start: {name: pay}\n"
    text += "- measure_stop: {name: pay}\n- measure_stop: checkout\n"
    assert parse_script(text) == [
        {"action": "measure_start", "name": "checkout", "line": 1},
        {"action": "measure_start", "name": "pay", "line": 2},
        {"action": "measure_stop", "name": "pay", "line": 3},
        {"action": "measure_stop", "name": "checkout", "line": 4},
    ]


def test_a_closed_measure_name_may_be_started_again() -> None:
    text = "- measure_start: a\n- measure_stop: a\n- measure_start: a\n- measure_stop: a\n"
    assert [s["line"] for s in parse_script(text)] == [1, 2, 3, 4]


# --- every phrase, Given/When/Then form ----------------------------------------------------

GHERKIN_CASES: list[tuple[str, dict[str, Any]]] = [
    ('Given I open "/"', {"action": "navigate", "url": "/"}),
    (
        'Given I navigate to "https://a.example/x"',
        {"action": "navigate", "url": "https://a.example/x"},
    ),
    ('Given I go to "/b"', {"action": "navigate", "url": "/b"}),
    ('Given I am on "/c"', {"action": "navigate", "url": "/c"}),
    ('Given I visit "/d"', {"action": "navigate", "url": "/d"}),
    ('When I click "#a"', {"action": "click", "selector": "#a"}),
    ('When I click on "#a"', {"action": "click", "selector": "#a"}),
    ('When I tap "#a"', {"action": "click", "selector": "#a"}),
    ('When I tap on "#a"', {"action": "click", "selector": "#a"}),
    ('When I fill "#q" with "shoes"', {"action": "fill", "selector": "#q", "value": "shoes"}),
    (
        'When I fill in "#q" with "red shoes"',
        {"action": "fill", "selector": "#q", "value": "red shoes"},
    ),
    ('When I type "shoes" into "#q"', {"action": "fill", "selector": "#q", "value": "shoes"}),
    ('When I type "shoes" in "#q"', {"action": "fill", "selector": "#q", "value": "shoes"}),
    ('When I enter "shoes" into "#q"', {"action": "fill", "selector": "#q", "value": "shoes"}),
    ('When I press "Enter"', {"action": "press", "key": "Enter", "selector": None}),
    ('When I press "Enter" in "#q"', {"action": "press", "key": "Enter", "selector": "#q"}),
    ('When I press "Tab" on "#q"', {"action": "press", "key": "Tab", "selector": "#q"}),
    ('When I select "42" from "#size"', {"action": "select", "selector": "#size", "value": "42"}),
    ('When I choose "42" from "#size"', {"action": "select", "selector": "#size", "value": "42"}),
    ('When I select "42" in "#size"', {"action": "select", "selector": "#size", "value": "42"}),
    ('Then I wait for "#results"', {"action": "wait_for", "selector": "#results"}),
    ('Then I wait for "#results" to appear', {"action": "wait_for", "selector": "#results"}),
    ("Then I wait for network idle", {"action": "wait_for", "network_idle": True}),
    ("Then I wait for the network to be idle", {"action": "wait_for", "network_idle": True}),
    ("Then I wait until the network is idle", {"action": "wait_for", "network_idle": True}),
    ("Then I wait 500 ms", {"action": "wait_for", "ms": 500}),
    ("Then I wait for 500 ms", {"action": "wait_for", "ms": 500}),
    ("Then I wait 500ms", {"action": "wait_for", "ms": 500}),
    ("Then I wait 250 milliseconds", {"action": "wait_for", "ms": 250}),
    ("Then I wait 2 seconds", {"action": "wait_for", "ms": 2000}),
    ("Then I wait 1 second", {"action": "wait_for", "ms": 1000}),
    ("Then I wait for 1.5 s", {"action": "wait_for", "ms": 1500}),
    ("Then I wait 3 secs", {"action": "wait_for", "ms": 3000}),
    ("Given the viewport is 375x812", {"action": "set_viewport", "width": 375, "height": 812}),
    (
        "Given I use a viewport of 1280 x 720",
        {"action": "set_viewport", "width": 1280, "height": 720},
    ),
    (
        "Given I set the viewport to 800×600",
        {"action": "set_viewport", "width": 800, "height": 600},
    ),
    ('Given I emulate "iPhone 13"', {"action": "emulate", "device": "iPhone 13"}),
    ('Given I emulate the device "Pixel 7"', {"action": "emulate", "device": "Pixel 7"}),
    (
        'Given I use the user agent "Perfite/1.0"',
        {"action": "emulate", "user_agent": "Perfite/1.0"},
    ),
    ('Given I set the user agent to "Bot"', {"action": "emulate", "user_agent": "Bot"}),
    ('Given the header "X-Test" is "1"', {"action": "set_header", "name": "X-Test", "value": "1"}),
    (
        'Given I set the header "Authorization" to "Bearer abc"',
        {"action": "set_header", "name": "Authorization", "value": "Bearer abc"},
    ),
    (
        'Given the cookie "consent" is "yes"',
        {"action": "set_cookie", "name": "consent", "value": "yes", "domain": None},
    ),
    (
        'Given I set the cookie "session" to "abc"',
        {"action": "set_cookie", "name": "session", "value": "abc", "domain": None},
    ),
    (
        'Given I set the cookie "s" to "v" for ".example.com"',
        {"action": "set_cookie", "name": "s", "value": "v", "domain": ".example.com"},
    ),
    (
        'Given the cookie "s" is "v" on "shop.example.com"',
        {"action": "set_cookie", "name": "s", "value": "v", "domain": "shop.example.com"},
    ),
    ('Given I block "doubleclick.net"', {"action": "block", "patterns": ["doubleclick.net"]}),
    (
        'Given I block "*://ads.example.com/*"',
        {"action": "block", "patterns": ["*://ads.example.com/*"]},
    ),
    (
        'Given "www.example.com" resolves to "127.0.0.1"',
        {"action": "dns", "host": "www.example.com", "address": "127.0.0.1"},
    ),
    (
        'Given the host "api.example.com" resolves to "::1"',
        {"action": "dns", "host": "api.example.com", "address": "::1"},
    ),
    # Keywords and phrase words are case-insensitive; quoted arguments keep their case.
    ('WHEN i CLICK ON "#Buy"', {"action": "click", "selector": "#Buy"}),
    ('when  I   click   "#a"  ', {"action": "click", "selector": "#a"}),
    # \" is a literal quote inside an argument.
    ('When I click "input[name=\\"q\\"]"', {"action": "click", "selector": 'input[name="q"]'}),
    ("When I click \"input[name='q']\"", {"action": "click", "selector": "input[name='q']"}),
]


@pytest.mark.parametrize(("text", "expected"), GHERKIN_CASES)
def test_gherkin_phrases_parse_to_their_step(text: str, expected: dict[str, Any]) -> None:
    assert only_step(text, "gherkin") == expected


def test_gherkin_measure_phrases_parse_in_pairs() -> None:
    text = 'Given I start measuring "checkout"\nThen I stop measuring "checkout"'
    assert parse_script(text) == [
        {"action": "measure_start", "name": "checkout", "line": 1},
        {"action": "measure_stop", "name": "checkout", "line": 2},
    ]


def test_every_action_has_a_yaml_case_and_a_gherkin_phrase() -> None:
    yaml_actions = {expected["action"] for _, expected in YAML_CASES}
    gherkin_actions = {expected["action"] for _, expected in GHERKIN_CASES}
    # The metric declarations' cases are in test_declarations.py.
    own = {"measure_start", "measure_stop", *DECLARATION_ACTIONS}
    assert yaml_actions | own == ACTIONS
    assert gherkin_actions | own == ACTIONS
    assert GHERKIN_PHRASES == (
        'the actor "<name>" starts on "<url>"',
        'I open "<url>"',
        'I click "<sel>"',
        'I fill "<sel>" with "<value>"',
        'I type "<value>" into "<sel>"',
        'I press "<key>"',
        'I select "<value>" from "<sel>"',
        'I wait for "<sel>"',
        'I see "<sel>"',
        'I wait for text "<text>"',
        "I wait for network idle",
        "I wait until the network is idle",
        "I wait <N> ms",
        "I wait <N> seconds",
        "the viewport is <W>x<H>",
        "I use a viewport of <W>x<H>",
        'I emulate "<device>"',
        'I use the user agent "<ua>"',
        'the header "<name>" is "<value>"',
        'I set the header "<name>" to "<value>"',
        'the cookie "<name>" is "<value>"',
        'I set the cookie "<name>" to "<value>"',
        'I block "<pattern>"',
        '"<host>" resolves to "<address>"',
        'I start measuring "<name>"',
        'I stop measuring "<name>"',
        'I stop measuring "<name>" when text "<text>" appears',
        'I stop measuring "<name>" when "<sel>" appears',
        'I stop measuring "<name>" when a frame matching "<frame>" arrives',
        'the request "<name>" matches "<match>"',
        'the websocket "<name>" matches "<url>"',
        'the backend series "<name>" is "<target>"',
        'I record "<name>" as "<expression>"',
    )


def test_navigate_is_not_required() -> None:
    assert without_lines(parse_script("- click: '#accept-cookies'")) == [
        {"action": "click", "selector": "#accept-cookies"}
    ]


# --- split_setup ----------------------------------------------------------------------------


def test_split_setup_hoists_context_steps_and_keeps_actions_in_order() -> None:
    steps = parse_script(
        """\
- set_viewport: {width: 375, height: 812}
- emulate: iPhone 13
- set_header: {name: X-Env, value: test}
- navigate: /
- set_cookie: {name: consent, value: "yes", domain: .example.com}
- click: "#search"
- block: [doubleclick.net, "*://ads.example.com/*"]
- dns: {host: www.example.com, address: 127.0.0.1}
- set_viewport: 1024x768
- emulate: {user_agent: Perfite/1.0}
- wait_for: network_idle
"""
    )
    setup, actions = split_setup(steps)
    assert setup == {
        "viewport": {"width": 375, "height": 812},
        "device": "iPhone 13",
        "user_agent": "Perfite/1.0",
        "headers": {"X-Env": "test"},
        "cookies": [{"name": "consent", "value": "yes", "domain": ".example.com"}],
        "block": ["doubleclick.net", "*://ads.example.com/*"],
        "dns": {"www.example.com": "127.0.0.1"},
        "requests": [],
        "websockets": [],
        "backend": [],
    }
    assert actions == [
        {"action": "navigate", "url": "/", "line": 4},
        {"action": "click", "selector": "#search", "line": 6},
        {"action": "set_viewport", "width": 1024, "height": 768, "line": 9},
        {"action": "wait_for", "network_idle": True, "line": 11},
    ]


def test_split_setup_of_no_steps_is_an_empty_context() -> None:
    assert split_setup([]) == (
        {
            "viewport": None,
            "device": None,
            "user_agent": None,
            "headers": {},
            "cookies": [],
            "block": [],
            "dns": {},
            "requests": [],
            "websockets": [],
            "backend": [],
        },
        [],
    )


def test_split_setup_later_values_win_and_duplicates_collapse() -> None:
    steps = parse_script(
        """\
Given the viewport is 375x812
And the viewport is 1280x720
And the header "x-env" is "a"
And I set the header "X-Env" to "b"
And I block "a.com"
And I block "a.com"
And "db.example" resolves to "10.0.0.1"
And "db.example" resolves to "10.0.0.2"
And the cookie "a" is "1"
And the cookie "a" is "2"
When I open "/"
"""
    )
    setup, actions = split_setup(steps)
    assert setup["viewport"] == {"width": 1280, "height": 720}
    assert setup["headers"] == {"X-Env": "b"}
    assert setup["block"] == ["a.com"]
    assert setup["dns"] == {"db.example": "10.0.0.2"}
    assert setup["cookies"] == [
        {"name": "a", "value": "1", "domain": None},
        {"name": "a", "value": "2", "domain": None},
    ]
    assert actions == [{"action": "navigate", "url": "/", "line": 11}]


def test_a_viewport_after_a_measure_start_stays_an_action() -> None:
    steps = parse_script("- measure_start: m\n- set_viewport: 375x812\n- measure_stop: m\n", "yaml")
    setup, actions = split_setup(steps)
    assert setup["viewport"] is None
    assert [s["action"] for s in actions] == ["measure_start", "set_viewport", "measure_stop"]
