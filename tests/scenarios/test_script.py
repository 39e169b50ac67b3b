"""scenarios.script: YAML and Given/When/Then parsing, validation with line numbers, setup split."""

import pickle
from typing import Any

import pytest

from scenarios.script import (
    ACTIONS,
    GHERKIN_PHRASES,
    SETUP_ACTIONS,
    ScriptError,
    parse_script,
    split_setup,
    validate_url,
)


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
    assert {"set_viewport", "emulate", "set_header", "set_cookie", "block", "dns"} == SETUP_ACTIONS
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
    assert yaml_actions | {"measure_start", "measure_stop"} == ACTIONS
    assert gherkin_actions | {"measure_start", "measure_stop"} == ACTIONS
    assert GHERKIN_PHRASES == (
        'I open "<url>"',
        'I click "<sel>"',
        'I fill "<sel>" with "<value>"',
        'I type "<value>" into "<sel>"',
        'I press "<key>"',
        'I select "<value>" from "<sel>"',
        'I wait for "<sel>"',
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
    )


# --- refusals name the line and the reason --------------------------------------------------

HINT_CLICK = 'I click "<sel>"; I block "<pattern>"; I open "<url>"'

REFUSALS = [
    # unknown action / unrecognised phrase
    ("- navigate: /\n- clik: '#a'", 2, "unknown action 'clik'"),
    (
        'Given I open "/"\nWhen I clik "#a"',
        2,
        f"unrecognised step: 'When I clik \"#a\"'; closest phrases: {HINT_CLICK}",
    ),
    (
        'Given I open "/"\n\nThen I wait 5 minutes',
        3,
        "unrecognised step: 'Then I wait 5 minutes'; "
        "closest phrases: I wait <N> ms; I wait <N> seconds; I wait for network idle",
    ),
    (
        'Feature: x\nI click "#a"',
        2,
        "unrecognised step: 'I click \"#a\"'; start each step with Given/When/Then/And/But",
    ),
    # missing or empty selector
    (
        "- navigate: /\n- click: #search",
        2,
        "missing selector for click (in YAML, quote selectors starting with '#': click: \"#id\")",
    ),
    ("- click: ''", 1, "missing selector for click"),
    ("- fill: {value: x}", 1, "missing selector for fill"),
    ("- navigate: /\n- fill:\n    selector: '  '\n    value: x\n", 3, "missing selector for fill"),
    ('Given I open "/"\nWhen I click ""', 2, "missing selector for click"),
    ('When I select "42" from " "', 1, "missing selector for select"),
    ("- fill: {selector: '#q'}", 1, "missing value for fill"),
    ("- press: {selector: '#q'}", 1, "missing key for press"),
    # refused URLs
    (
        "- navigate: /\n- navigate: javascript:alert(1)",
        2,
        "URL scheme 'javascript' is not allowed (only http(s) or '/path')",
    ),
    (
        'Given I open "/"\nWhen I go to "file:///etc/passwd"',
        2,
        "URL scheme 'file' is not allowed (only http(s) or '/path')",
    ),
    (
        "- navigate: 'data:text/html,<script>x</script>'",
        1,
        "URL scheme 'data' is not allowed (only http(s) or '/path')",
    ),
    (
        "- navigate: ftp://example.com/",
        1,
        "URL scheme 'ftp' is not allowed (only http(s) or '/path')",
    ),
    (
        'Given I open "about:blank"',
        1,
        "URL scheme 'about' is not allowed (only http(s) or '/path')",
    ),
    (
        "- navigate: //evil.example/x",
        1,
        "scheme-relative URL is not allowed; write http:// or https://",
    ),
    ("- navigate: shop.example.com", 1, "URL must start with http://, https:// or '/'"),
    ("- navigate:", 1, "missing url for navigate"),
    # bad YAML syntax: the line of the problem
    (
        "- navigate: /\n- click: '#a'\n  - fill: x\n",
        3,
        "invalid YAML: expected <block end>, but found '-'",
    ),
    (
        "- navigate: /\n- fill: {selector: '#q', value: x\n- click: a\n",
        3,
        "invalid YAML: expected ',' or '}', but got ':'",
    ),
    (
        "- navigate: /\n- click: a\n\tfoo: bar\n",
        3,
        "invalid YAML: found character '\\t' that cannot start any token",
    ),
    ("- navigate: /\n- click: a\x07\n", 2, "invalid YAML: special characters are not allowed"),
    # measures
    (
        "- navigate: /\n- measure_stop: search",
        2,
        "measure_stop 'search' has no matching measure_start",
    ),
    (
        'Given I open "/"\nAnd I start measuring "a"\nAnd I start measuring "b"\n'
        'And I stop measuring "b"',
        2,
        "measure 'a' is started but never stopped",
    ),
    (
        "- measure_start: a\n- click: '#x'\n- measure_start: a\n- measure_stop: a",
        3,
        "measure 'a' is already started on line 1",
    ),
    # dns
    ("- dns: {host: www.example.com, address: 1.2.3}", 1, "invalid IP address '1.2.3' for dns"),
    (
        'Given I open "/"\nAnd "www.example.com" resolves to "localhost"',
        2,
        "invalid IP address 'localhost' for dns",
    ),
    ("- dns: {host: bad_host, address: 1.2.3.4}", 1, "invalid host name 'bad_host' for dns"),
    ("- dns: {host: 1.2.3.4, address: 1.2.3.4}", 1, "invalid host name '1.2.3.4' for dns"),
    # viewport
    (
        "- set_viewport: {width: 0, height: 812}",
        1,
        "viewport width must be a whole number from 1 to 10000, got 0",
    ),
    (
        "- set_viewport: {width: 375, height: 10001}",
        1,
        "viewport height must be a whole number from 1 to 10000, got 10001",
    ),
    (
        "- set_viewport: {width: '375', height: 812}",
        1,
        "viewport width must be a whole number from 1 to 10000, got '375'",
    ),
    (
        "- set_viewport: {width: true, height: 812}",
        1,
        "viewport width must be a whole number from 1 to 10000, got 'true'",
    ),
    (
        'Given I open "/"\nAnd the viewport is 0x812',
        2,
        "viewport width must be a whole number from 1 to 10000, got 0",
    ),
    ("- set_viewport: wide", 1, "set_viewport needs a mapping with width, height"),
    ("- set_viewport: {width: 375}", 1, "missing height for set_viewport"),
    # waits
    ("- wait_for: 0", 1, "wait time in ms must be a whole number from 1 to 600000, got 0"),
    ("- wait_for: -5", 1, "wait time in ms must be a whole number from 1 to 600000, got -5"),
    ("- wait_for: 1.5", 1, "wait time in ms must be a whole number from 1 to 600000, got '1.5'"),
    (
        "- wait_for: 700000",
        1,
        "wait time in ms must be a whole number from 1 to 600000, got 700000",
    ),
    ("Then I wait 0 ms", 1, "wait time in ms must be a whole number from 1 to 600000, got 0"),
    (
        "Then I wait 0.0001 seconds",
        1,
        "wait time in ms must be a whole number from 1 to 600000, got '0.0001 seconds'",
    ),
    ("- wait_for:", 1, "wait_for needs exactly one of selector, network_idle, ms"),
    (
        "- wait_for: {selector: '#a', ms: 5}",
        1,
        "wait_for needs exactly one of selector, network_idle, ms",
    ),
    ("- wait_for: {network_idle: false}", 1, "wait_for network_idle must be true"),
    # wrong argument types and shapes
    ("- click: ['#a', '#b']", 1, "click takes a single value or a mapping, not a list"),
    ("- fill: '#q'", 1, "fill needs a mapping with selector, value"),
    ("- dns: www.example.com", 1, "dns needs a mapping with host, address"),
    (
        "- fill: {selector: {css: '#q'}, value: x}",
        1,
        "fill selector must be a single value, not a mapping",
    ),
    ("- navigate: {url: [/a]}", 1, "navigate url must be a single value, not a list"),
    ("- click: {selector: '#a', extra: 1}", 1, "unknown key 'extra' for click (selector)"),
    ("- click: {selector: '#a', selector: '#b'}", 1, "duplicate key 'selector' for click"),
    (
        "- navigate: /\n- click: '#a'\n  fill: x\n",
        2,
        "step has several keys (click, fill); write one action per step, arguments indented",
    ),
    (
        "- navigate: /\n- just a string",
        2,
        'a step must be one action and its argument, e.g. - click: "#a"',
    ),
    ("- emulate: {device: a, user_agent: b}", 1, "emulate needs exactly one of device, user_agent"),
    # headers, cookies, blocks
    ('Given the header "Bad Header" is "x"', 1, "invalid header name 'Bad Header'"),
    (
        '- set_header: {name: X-A, value: "a\\nb"}',
        1,
        "set_header value must not contain line breaks",
    ),
    ("- set_cookie: {name: a, value: 'b;c'}", 1, "cookie value must not contain ';'"),
    (
        "- set_cookie: {name: a, value: b, domain: 'bad domain'}",
        1,
        "invalid cookie domain 'bad domain'",
    ),
    ("- block: []", 1, "missing patterns for block"),
    ("- block: ['a b']", 1, "invalid block pattern 'a b'"),
    # empty scripts and wrong top-level shapes
    ("steps: []", 1, "script has no steps"),
    ("https://example.com", 1, "expected a list of steps or a mapping with a 'steps' list"),
    ("name: x\nurl: /", 1, "expected a list of steps or a mapping with a 'steps' list"),
]


@pytest.mark.parametrize(("text", "line", "reason"), REFUSALS)
def test_refusals_name_the_line_and_the_reason(text: str, line: int, reason: str) -> None:
    assert refusal(text) == (line, reason)


@pytest.mark.parametrize("text", ["", "\n  \n", "# nothing yet\n", "Feature: empty\n# later\n"])
def test_an_empty_script_is_refused_without_a_line(text: str) -> None:
    assert refusal(text) == (None, "script has no steps")


def test_a_refusal_reads_as_line_and_reason_and_survives_pickling() -> None:
    error = ScriptError(4, "unknown action 'clik'")
    assert str(error) == "line 4: unknown action 'clik'"
    assert str(ScriptError(None, "script has no steps")) == "script has no steps"
    assert isinstance(error, ValueError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.line, copy.reason, str(copy)) == (4, "unknown action 'clik'", str(error))


def test_navigate_is_not_required() -> None:
    assert without_lines(parse_script("- click: '#accept-cookies'")) == [
        {"action": "click", "selector": "#accept-cookies"}
    ]


# --- validate_url ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/a?b=1#c", "https://example.com/a?b=1#c"),
        ("HTTP://Example.com:8080", "HTTP://Example.com:8080"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000/"),
        ("http://[::1]:8000/", "http://[::1]:8000/"),
        ("  /search?q=shoes  ", "/search?q=shoes"),
    ],
)
def test_validate_url_accepts_http_and_paths(url: str, expected: str) -> None:
    assert validate_url(url) == expected


@pytest.mark.parametrize(
    ("url", "allow_relative", "reason"),
    [
        (
            "javascript:alert(1)",
            True,
            "URL scheme 'javascript' is not allowed (only http(s) or '/path')",
        ),
        (
            "JavaScript:alert(1)",
            True,
            "URL scheme 'javascript' is not allowed (only http(s) or '/path')",
        ),
        ("file:///etc/passwd", True, "URL scheme 'file' is not allowed (only http(s) or '/path')"),
        ("data:text/html,hi", True, "URL scheme 'data' is not allowed (only http(s) or '/path')"),
        ("about:blank", True, "URL scheme 'about' is not allowed (only http(s) or '/path')"),
        ("ws://example.com", True, "URL scheme 'ws' is not allowed (only http(s) or '/path')"),
        ("java\nscript:alert(1)", True, "URL contains control characters"),
        ("/\\evil.example", True, "scheme-relative URL is not allowed; write http:// or https://"),
        ("search?q=1", True, "URL must start with http://, https:// or '/'"),
        ("https:///path", True, "URL has no host"),
        ("http://[::1", True, "malformed URL: Invalid IPv6 URL"),
        ("http://example.com:99999/", True, "malformed URL: Port out of range 0-65535"),
        ("   ", True, "missing URL"),
        ("/relative", False, "a relative URL is not allowed here; use http:// or https://"),
    ],
)
def test_validate_url_refuses_everything_else(url: str, allow_relative: bool, reason: str) -> None:
    with pytest.raises(ScriptError) as caught:
        validate_url(url, allow_relative=allow_relative)
    assert (caught.value.line, caught.value.reason) == (None, reason)


def test_validate_url_allows_absolute_urls_when_relative_ones_are_refused() -> None:
    assert validate_url("https://example.com", allow_relative=False) == "https://example.com"


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
