"""Named families (user timings, named requests, JS values, WebSockets, backend series), CPU
metrics, a step's own metrics, and the rule for names people give."""

import pytest

from core.metrics import (
    BYTES,
    COUNT,
    CUSTOM,
    MS,
    NUMBER,
    REQUEST,
    STEP,
    USER,
    UnknownMetric,
    format_value,
    metric,
    metric_problem,
    split_name,
)
from core.metrics.names import clean_name, name_problem


@pytest.mark.parametrize(
    ("name", "label", "unit"),
    [
        ("user.checkout_ready", "User timing checkout_ready", MS),
        ("user.chat.init", "User timing chat.init", MS),
        ("request.create_chat.duration_ms", "Request create_chat Duration", MS),
        ("request.create_chat.transfer_bytes", "Request create_chat Transfer", BYTES),
        ("request.create_chat.failed", "Request create_chat Failed", COUNT),
        ("custom.cart_items", "JS value cart_items", NUMBER),
        ("ws.chat.reply_ms", "WebSocket chat Reply", MS),
        ("ws.chat.received", "WebSocket chat Frames received", COUNT),
        ("backend.api.p95", "Backend api.p95", NUMBER),
        ("cpu.js_heap_used_bytes", "JS heap used", BYTES),
        ("cpu.dom_nodes", "DOM nodes", COUNT),
        ("step.checkout.duration_ms", "checkout duration", MS),
        ("step.check.out.user.ready", "check.out: User timing ready", MS),
        ("step.pay.request.charge.ttfb_ms", "pay: Request charge TTFB", MS),
        ("step.pay.cpu.script_ms", "pay: Script time", MS),
    ],
)
def test_every_named_metric_has_a_label_and_a_unit(name: str, label: str, unit: object) -> None:
    found = metric(name)
    assert (found.name, found.label, found.unit) == (name, label, unit)
    assert found.graphite or name.startswith("step.")


def test_a_steps_own_metric_splits_at_its_leftmost_inner_name() -> None:
    assert split_name("step.a.b.custom.n") == (STEP, "a.b", metric("custom.n"))
    family, member, field = split_name("step.s.request.r.count") or (None, "", None)
    assert (family, member, field and field.name) == (STEP, "s", "request.r.count")
    assert split_name("user.x") == (USER, "x", USER.value)
    assert split_name("request.a.b.count") == (REQUEST, "a.b", REQUEST.field("count"))
    assert split_name("custom.n") == (CUSTOM, "n", CUSTOM.value)
    assert split_name("cpu.script_ms") is None  # a page metric


@pytest.mark.parametrize(
    "name",
    ["user.", "request.x", "request.x.nope", "ws.x", "step.a.backend.x", "step.a.bogus", "custom"],
)
def test_names_the_registry_cannot_place_are_unknown(name: str) -> None:
    with pytest.raises(UnknownMetric):
        metric(name)


def test_a_js_value_prints_as_a_plain_signed_number() -> None:
    assert format_value("custom.n", -3.0) == "-3"
    assert format_value("custom.n", 0.125) == "0.125"
    assert format_value("custom.n", 1234.5) == "1,234.5"
    assert format_value("backend.x", None) == "—"


INVALID = "invalid metric name {!r}: use lower-case letters, digits, '_', '-' and '.' between them"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("create_chat", None),
        ("api.p95", None),
        ("a-b_c.9", None),
        ("", "a metric name must not be empty"),
        (
            "Chat",
            INVALID.format("Chat"),
        ),
        (
            ".a",
            INVALID.format(".a"),
        ),
        (
            "a.",
            INVALID.format("a."),
        ),
        (
            "a b",
            INVALID.format("a b"),
        ),
        (
            "a/b",
            INVALID.format("a/b"),
        ),
        ("x" * 65, "metric name 'xxxxxxxxxxxxxxxxxxxx'… is longer than 64 characters"),
    ],
)
def test_names_people_give_are_checked(name: str, problem: str | None) -> None:
    assert name_problem(name) == problem


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Chat ready", "chat_ready"),
        ("mark:first-paint", "mark_first-paint"),
        ("..x..y..", "x.y"),
        ("ÉTÉ", "_t_"),
        ("  ", None),
        ("...", None),
        ("a" * 80, "a" * 64),
    ],
)
def test_a_pages_own_label_is_made_a_valid_name(text: str, name: str | None) -> None:
    assert clean_name(text) == name


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("lcp", None),
        ("cpu.script_ms", None),
        ("user.chat.init", None),
        ("request.create_chat.ttfb_ms", None),
        ("host.cdn.example.com.transfer_bytes", None),
        ("step.check.out.duration_ms", None),
        ("step.pay.ws.chat.reply_ms", None),
        ("user.Chat", INVALID.format("Chat")),
        ("ws.a b.sent", INVALID.format("a b")),
        ("step.pay.custom.N", INVALID.format("N")),
        ("user." + "x" * 65, "metric name 'xxxxxxxxxxxxxxxxxxxx'… is longer than 64 characters"),
        ("visual_progress", "'visual_progress' is not a metric Perfite knows"),
        ("request.x", "'request.x' is not a metric Perfite knows"),
        ("step.pay.backend.x", "'step.pay.backend.x' is not a metric Perfite knows"),
    ],
)
def test_a_documents_metric_name_is_placed_and_its_named_members_follow_the_rule(
    name: str, problem: str | None
) -> None:
    assert metric_problem(name) == problem
