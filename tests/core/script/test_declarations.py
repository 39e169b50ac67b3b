"""Metric declarations in scripts: named requests, WebSockets, backend series and JS values."""

import pytest

from core.script import ScriptError, parse_script, split_setup
from core.script.declarations import (
    expression_problem,
    request_matches,
    text_matches,
    url_matches,
)

DECLARATION_ACTIONS = frozenset(
    {"request_metric", "websocket_metric", "backend_metric", "evaluate"}
)

YAML = """\
- request_metric:
    name: create_chat
    match: POST */api/chats
- request_metric: {name: init, match: "re:/api/init\\\\b"}
- websocket_metric: {name: chat, url: "*/ws/echo*", reply: "re:^pong"}
- websocket_metric: {name: feed, url: "*/ws/feed"}
- backend_metric: {name: api.p95, target: "stats.timers.api.upper_95"}
- navigate: /chat
- measure_start: send
- evaluate: {name: items, expression: "document.querySelectorAll('li').length"}
- measure_stop: send
"""

GHERKIN = """\
Given the request "create_chat" matches "POST */api/chats"
And the request "init" matches "re:/api/init\\\\b"
And the websocket "chat" matches "*/ws/echo*" with replies matching "re:^pong"
And the websocket "feed" matches "*/ws/feed"
And the backend series "api.p95" is "stats.timers.api.upper_95"
When I open "/chat"
And I start measuring "send"
And I record "items" as "document.querySelectorAll('li').length"
And I stop measuring "send"
"""


@pytest.mark.parametrize("text", [YAML, GHERKIN], ids=["yaml", "gherkin"])
def test_declarations_become_the_runs_setup_and_evaluate_stays_in_the_journey(text: str) -> None:
    setup, actions = split_setup(parse_script(text))
    assert setup["requests"] == [
        {"name": "create_chat", "method": "POST", "pattern": "*/api/chats"},
        {"name": "init", "method": None, "pattern": "re:/api/init\\b"},
    ]
    assert setup["websockets"] == [
        {"name": "chat", "pattern": "*/ws/echo*", "reply": "re:^pong"},
        {"name": "feed", "pattern": "*/ws/feed", "reply": None},
    ]
    assert setup["backend"] == [{"name": "api.p95", "target": "stats.timers.api.upper_95"}]
    evaluate = {
        "action": "evaluate",
        "name": "items",
        "expression": "document.querySelectorAll('li').length",
    }
    assert [{k: v for k, v in a.items() if k != "line"} for a in actions] == [
        {"action": "navigate", "url": "/chat"},
        {"action": "measure_start", "name": "send"},
        evaluate,
        {"action": "measure_stop", "name": "send"},
    ]
    assert [a["line"] for a in actions] == [6, 7, 8, 9] if text is GHERKIN else [8, 9, 10, 11]


def test_a_lower_case_word_before_the_pattern_is_not_a_method() -> None:
    steps = parse_script('- request_metric: {name: a, match: "get */x"}\n- navigate: /')
    assert split_setup(steps)[0]["requests"] == [{"name": "a", "method": "GET", "pattern": "*/x"}]
    steps = parse_script('- request_metric: {name: a, match: "LOOK */x"}\n- navigate: /')
    assert split_setup(steps)[0]["requests"] == [
        {"name": "a", "method": None, "pattern": "LOOK */x"}
    ]


REFUSALS: list[tuple[str, int, str]] = [
    (
        '- navigate: /\n- request_metric: {name: "Create Chat", match: "*"}',
        2,
        "request_metric: invalid metric name 'Create Chat': use lower-case letters, digits, "
        "'_', '-' and '.' between them",
    ),
    (
        "- navigate: /\n- evaluate: {name: a..b, expression: '1'}",
        2,
        "evaluate: invalid metric name 'a..b': use lower-case letters, digits, '_', '-' and "
        "'.' between them",
    ),
    (
        "- navigate: /\n- backend_metric: {name: " + "x" * 65 + ", target: a.b}",
        2,
        "backend_metric: metric name 'xxxxxxxxxxxxxxxxxxxx'… is longer than 64 characters",
    ),
    (
        '- navigate: /\n- evaluate:\n    name: n\n    expression: "foo(1"',
        4,
        "evaluate n: '(' at character 4 is never closed",
    ),
    (
        "- navigate: /\n- evaluate: {name: n, expression: 'return 1'}",
        2,
        "evaluate n: 'return' starts a statement; write an expression (e.g. an arrow "
        "function call)",
    ),
    (
        "- navigate: /\n- evaluate: {name: n, expression: '\"abc'}",
        2,
        "evaluate n: unterminated string at character 1",
    ),
    (
        "- navigate: /\n- evaluate: {name: n, expression: " + "1" * 2001 + "}",
        2,
        "evaluate n: expression is longer than 2000 characters",
    ),
    (
        '- request_metric: {name: a, match: "re:(x"}\n- navigate: /',
        1,
        "request_metric match: invalid regular expression: missing ), unterminated "
        "subpattern at position 0",
    ),
    (
        '- websocket_metric: {name: a, url: "*/ws", reply: "re:[x"}\n- navigate: /',
        1,
        "websocket_metric reply: invalid regular expression: unterminated character set "
        "at position 0",
    ),
    (
        '- request_metric: {name: a, match: "*/x"}\n- navigate: /\n'
        '- request_metric: {name: a, match: "*/y"}',
        3,
        "request_metric 'a' is already declared on line 1",
    ),
    (
        "- navigate: /\n- evaluate: {name: n, expression: '1'}\n"
        "- evaluate: {name: n, expression: '2'}",
        3,
        "evaluate 'n' is already declared on line 2",
    ),
    ("- navigate: /\n- evaluate: {name: n}", 2, "missing expression for evaluate"),
    ("- navigate: /\n- request_metric: x", 2, "request_metric needs a mapping with name, match"),
]


@pytest.mark.parametrize(("text", "line", "reason"), REFUSALS)
def test_bad_declarations_are_refused_with_the_line_and_the_reason(
    text: str, line: int, reason: str
) -> None:
    with pytest.raises(ScriptError) as caught:
        parse_script(text)
    assert (caught.value.line, caught.value.reason) == (line, reason)


def test_the_same_name_in_two_kinds_is_no_clash() -> None:
    text = (
        '- request_metric: {name: chat, match: "*/chat"}\n'
        '- websocket_metric: {name: chat, url: "*/ws"}\n'
        "- navigate: /\n- evaluate: {name: chat, expression: '1'}\n"
    )
    assert len(parse_script(text)) == 4


@pytest.mark.parametrize(
    "expression",
    [
        "document.querySelectorAll('li').length",
        "window.__x ?? 3",
        "a / b / 2",
        "/\\)/.test(location.href) ? 1 : 0",
        "`${1 + 2}`.length",
        "(async () => { const r = await fetch('/x'); return r.status })()",
        "[1, 2, 3].reduce((a, b) => a + b, 0) // the sum",
        "performance.getEntriesByName('x')[0]?.duration",
        "/* a comment ( */ 1",
    ],
)
def test_modern_expressions_pass_the_syntax_check(expression: str) -> None:
    assert expression_problem(expression) is None


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("(1", "'(' at character 1 is never closed"),
        ("f(1))", "unexpected ')' at character 5"),
        ("[1, {a: 2]", "unexpected ']' at character 10"),
        ("`abc", "unterminated template at character 1"),
        ("1 /* x", "unterminated comment at character 3"),
        ("x.match(/abc)", "unterminated regular expression at character 9"),
        (
            "let a = 1",
            "'let' starts a statement; write an expression (e.g. an arrow function call)",
        ),
    ],
)
def test_broken_expressions_name_the_problem(expression: str, problem: str) -> None:
    assert expression_problem(expression) == problem


@pytest.mark.parametrize(
    ("pattern", "url", "matches"),
    [
        ("*/api/chats", "http://api.example.com/api/chats", True),
        ("*/api/chats", "http://api.example.com/api/chats?page=2", True),  # query left off
        ("*/api/chats", "http://api.example.com/api/chats/7?page=2", False),
        ("*/api/chats?page=2", "http://api.example.com/api/chats?page=3", False),
        ("*/api/chats*", "http://api.example.com/api/chats?page=2", True),
        ("http://a.com/?x=[1]", "http://a.com/?x=[1]", True),  # only * is special
        ("http://a.com/?x", "http://a.com/ax", False),
        ("re:/api/chats\\b", "https://x.com/api/chats/7", True),
        ("re:^/api", "https://x.com/api", False),
    ],
)
def test_a_pattern_is_a_glob_over_the_whole_url_or_a_searched_regex(
    pattern: str, url: str, matches: bool
) -> None:
    assert url_matches(pattern, url) is matches


def test_a_request_declaration_matches_its_method_or_any() -> None:
    post = {"name": "create_chat", "method": "POST", "pattern": "*/api/chats"}
    anything = {"name": "chats", "method": None, "pattern": "*/api/chats"}
    url = "http://api.example.com/api/chats"
    assert [request_matches(post, m, url) for m in ("POST", "post", "GET")] == [True, True, False]
    assert [request_matches(anything, m, url) for m in ("POST", "GET")] == [True, True]


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [
        ("message:*", "message:hello", True),
        ("message:*", "a message:hello", False),
        ("re:^message:", "message:hello", True),
        ("re:^message:", "a message:", False),
    ],
)
def test_a_reply_pattern_matches_a_frames_text_the_same_way(
    pattern: str, text: str, matches: bool
) -> None:
    assert text_matches(pattern, text) is matches


def test_a_frames_text_keeps_its_question_mark() -> None:
    assert text_matches("ping", "ping?x") is False
