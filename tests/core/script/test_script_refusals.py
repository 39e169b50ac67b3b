"""core.script refusals: every broken script is refused with its line and the reason;
validate_url lets only http(s) through."""

import pickle

import pytest

from core.script import ScriptError, validate_url

from .test_script import refusal

# --- refusals name the line and the reason --------------------------------------------------

HINT_CLICK = 'I click "<sel>"; I block "<pattern>"; I see "<sel>"'

REFUSALS = [
    # nesting PyYAML's recursive composer would crash on (1,000 levels was a 500)
    (
        "- navigate:\n" + "".join("  " * (n + 1) + f"k{n}:\n" for n in range(1000)),
        21,
        "invalid YAML: nested more than 20 levels deep",
    ),
    ("- navigate: " + "[" * 1000 + "]" * 1000, 1, "invalid YAML: nested more than 20 levels deep"),
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
        'closest phrases: I wait <N> ms; I wait for text "<text>"; I wait <N> seconds',
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
    ("- wait_for:", 1, "wait_for needs exactly one of selector, network_idle, ms, text"),
    (
        "- wait_for: {selector: '#a', ms: 5}",
        1,
        "wait_for needs exactly one of selector, network_idle, ms, text",
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
