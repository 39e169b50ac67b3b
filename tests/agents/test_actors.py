"""A journey of two actors against a real Chromium: the demo site's support chat, an operator
and a visitor talking through its relay, which holds every message a set delay.

"Visitor sends → operator sees" and the reverse are measured steps that start on one page
(the click that sends) and stop on the other (the message shown). Both ends are the pages'
own times, so the relay's delay is an exact floor: the click comes before the send, the
relay holds the message at least that long, and the page shows it after it arrives.

Above the floor there is only what carries the message: two loopback hops through the
address-policy proxy, the relay's thread waking up, the page's handler and its DOM change,
a few milliseconds on a quiet machine (the agent's round trips are not in it: no end of the
step is taken by Python). On a loaded machine each hop can wait for a scheduler slice, and
the demo site shares this test process's interpreter with the agent. Such noise only ever
adds time, so the least of three runs shows what the path costs: within TOLERANCE_MS, which
is several scheduler slices more than the ~20 ms it costs on a quiet 2-core machine.
"""

from collections import Counter
from typing import Any
from urllib.parse import parse_qs

from agents.measuring import measure
from core.har.actors import actor_har
from core.script import parse_script
from core.spec import SpecOptions, build_spec
from demosite import content

TOLERANCE_MS = 100

CHAT = """
actors:
  operator: /support/operator?room={room}&relay_delay={to_visitor}
  visitor: /support/visitor?room={room}&relay_delay={to_operator}
steps:
  - operator: wait_for '#chat[data-peer="present"]'
  - visitor: wait_for '#chat[data-peer="present"]'
  - operator: click "#accept"
  - visitor: wait_for text "Welcome"
  - visitor:
      fill: {selector: "#message", value: "hello operator"}
  - visitor: measure_start to_operator
  - visitor: click "#send"
  - operator:
      measure_stop: {name: to_operator, text: "hello operator"}
  - operator:
      fill: {selector: "#message", value: "hello visitor"}
  - operator: measure_start to_visitor
  - operator: click "#send"
  - visitor:
      measure_stop: {name: to_visitor, text: "hello visitor"}
  - visitor: measure_start frame_to_operator
  - visitor: click "#send"
  - operator:
      measure_stop: {name: frame_to_operator, frame: "message:hello*"}
"""


def chat_spec(site: Any, room: str, to_operator: int, to_visitor: int) -> dict[str, Any]:
    script = (
        CHAT.replace("{room}", room)
        .replace("{to_operator}", str(to_operator))
        .replace("{to_visitor}", str(to_visitor))
    )
    return build_spec(
        url=site.url("/"),
        steps=parse_script(script),
        first_party=[],
        dns={},
        block=[],
        options=SpecOptions(quiet_ms=400, step_timeout_ms=10_000, run_timeout_ms=30_000),
    )


def steps_of(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    assert result["status"] == "succeeded", result["error"]
    return {step["name"]: step for step in result["steps"]}


def test_a_message_each_way_takes_the_relay_delay_as_the_pages_saw_it(
    site: Any, browser_pool: Any
) -> None:
    runs = [
        steps_of(measure(chat_spec(site, f"each-way-{n}", 300, 600), browser_pool).result)
        for n in range(3)
    ]
    for steps in runs:
        assert steps["to_operator"]["actors"] == ["visitor", "operator"]
        assert steps["to_visitor"]["actors"] == ["operator", "visitor"]
        assert steps["frame_to_operator"]["actors"] == ["visitor", "operator"]
        # The floor is exact: the relay held each message that long after the click sent it.
        assert steps["to_operator"]["duration_ms"] >= 300
        assert steps["to_visitor"]["duration_ms"] >= 600
        assert steps["frame_to_operator"]["duration_ms"] >= 300
        # Shown after it arrived: the frame's time comes first (same message, same clock).
        # (A frame step of its own, sent again: its own floor, above.)
    for name, delay in (("to_operator", 300), ("to_visitor", 600), ("frame_to_operator", 300)):
        least = min(steps[name]["duration_ms"] for steps in runs)
        assert least <= delay + TOLERANCE_MS, (name, [s[name]["duration_ms"] for s in runs])


SETUP = """
actors:
  operator: /support/operator?room={room}
  visitor: /support/visitor?room={room}
steps:
  - visitor: {set_viewport: 390x844}
  - visitor:
      set_cookie: {name: who, value: visitor}
  - operator:
      websocket_metric: {name: operator_socket, url: "*/relay?*"}
  - visitor:
      request_metric: {name: pages, match: "GET */support/*"}
  - operator: wait_for '#chat[data-peer="present"]'
  - visitor: wait_for '#chat[data-peer="present"]'
  - operator:
      evaluate: {name: operator_width, expression: "innerWidth"}
  - visitor:
      evaluate: {name: visitor_width, expression: "innerWidth"}
  - operator:
      evaluate: {name: operator_cookie, expression: "document.cookie.length"}
  - visitor:
      evaluate: {name: visitor_cookie, expression: "document.cookie.length"}
"""


def test_each_actor_has_its_own_context_requests_metrics_and_har(
    site: Any, browser_pool: Any
) -> None:
    script = SETUP.replace("{room}", "setup")
    spec = build_spec(
        url=site.url("/"),
        steps=parse_script(script),
        first_party=[],
        dns={},
        block=[],
        options=SpecOptions(quiet_ms=400, step_timeout_ms=10_000, run_timeout_ms=30_000),
    )
    measurement = measure(spec, browser_pool)
    result = measurement.result
    assert result["status"] == "succeeded", result["error"]
    metrics = result["metrics"]
    # Each context as its own setup made it: Playwright's default viewport is 1280 wide.
    assert metrics["custom.operator_width"] == 1280
    assert metrics["custom.visitor_width"] == 390
    assert (metrics["custom.operator_cookie"], metrics["custom.visitor_cookie"]) == (0, 11)
    # A named metric is declared for one actor and measured in its context only: the visitor
    # loaded one of the two pages its pattern names; the operator's socket got "joined:visitor"
    # (its context closes first, so it never sees the visitor leave).
    assert metrics["request.pages.count"] == 1
    assert metrics["ws.operator_socket.received"] == 1
    served = [s for s in site.log if s.path.startswith(("/support/", "/relay"))]
    roles = Counter(parse_qs(s.query)["role"][0] for s in served if s.path == "/relay")
    assert roles == {"operator": 1, "visitor": 1}
    by_actor = Counter(r["actor"] for r in result["requests"])
    assert by_actor == {"operator": 2, "visitor": 2}  # its page and its relay socket
    for actor in ("operator", "visitor"):
        [page] = [s for s in served if s.path == f"/support/{actor}"]
        [document] = [r for r in result["requests"] if r["actor"] == actor and r["status"] == 200]
        assert document["transfer_bytes"] == page.header_bytes + page.body_bytes
        part = next(a for a in result["actors"] if a["name"] == actor)
        assert part["metrics"]["requests"] == metrics[f"actor.{actor}.requests"] == 2
        assert part["metrics"]["body_bytes"] == content.SUPPORT_BYTES
        assert part["metrics"]["transfer_bytes"] == sum(
            r["transfer_bytes"] for r in result["requests"] if r["actor"] == actor
        )
        assert metrics[f"actor.{actor}.first_party_bytes"] == part["metrics"]["transfer_bytes"]
        assert part["hosts"]["www.example.localhost"]["requests"] == 2
        assert metrics[f"actor.{actor}.fcp"] == part["metrics"]["fcp"] > 0
        [declared] = [a["url"] for a in spec["actors"] if a["name"] == actor]
        assert [p["url"] for p in part["pages"]] == [declared]
    # The run's counts are both actors'; its page timings the first actor's.
    assert metrics["requests"] == 4
    assert metrics["body_bytes"] == 2 * content.SUPPORT_BYTES
    assert metrics["transfer_bytes"] == sum(
        a["metrics"]["transfer_bytes"] for a in result["actors"]
    )
    assert result["hosts"]["www.example.localhost"]["requests"] == 4
    assert metrics["fcp"] == metrics["actor.operator.fcp"]
    assert result["url"] == spec["actors"][0]["url"]
    # One HAR, each actor's pages and entries tagged, one actor's to be had again.
    har = measurement.har
    assert har is not None
    assert [p["_actor"] for p in har["log"]["pages"]] == ["operator", "visitor"]
    for actor in ("operator", "visitor"):
        own = actor_har(har, actor)["log"]
        urls = sorted(e["request"]["url"] for e in own["entries"])
        assert urls == sorted(r["url"] for r in result["requests"] if r["actor"] == actor)
    assert measurement.screenshot is not None  # the first actor's
    assert (
        result["metric_errors"]["actor.visitor.speed_index"]
        == "the filmstrip is the first actor's only"
    )


STUCK = """
actors:
  operator: /support/operator?room=stuck
  visitor: /support/visitor?room=stuck
steps:
  - visitor: measure_start never
  - visitor: click "#accept"
  - operator:
      measure_stop: {name: never, text: "no one writes this"}
"""


def test_a_stop_that_never_comes_times_out_naming_the_actor_and_the_line(
    site: Any, browser_pool: Any
) -> None:
    spec = build_spec(
        url=site.url("/"),
        steps=parse_script(STUCK),
        first_party=[],
        dns={},
        block=[],
        options=SpecOptions(quiet_ms=400, step_timeout_ms=1_500, run_timeout_ms=30_000),
    )
    result = measure(spec, browser_pool).result
    assert result["status"] == "timed_out"
    assert result["error"].startswith("line 8: operator: measure_stop"), result["error"]
    assert result["steps"] == []  # a measure that never stopped is no step
    assert [a["name"] for a in result["actors"]] == ["operator", "visitor"]
