"""The document of a run with actors, from each actor's own (made by the real builder from a
small HAR: tests.factories): one time axis, the run's counts and splits, each actor's page
metrics, the steps across actors; its HAR; its checks and sanitising."""

from datetime import timedelta
from typing import Any

import pytest

from core.har.actors import actor_har, actors_in, merge_hars
from core.har.redact import sanitize_result
from core.metrics import ACTOR, BYTES, MS, is_known, label_of, metric_problem, split_name, unit_of
from core.result.actors import ActorPart, combine, merge_totals
from core.result.validate import ResultError, validate_result
from tests.factories import T0, measured, req

ORIGIN = T0.timestamp() * 1000.0
OPERATOR_URL = "http://www.example.localhost/console?token=s3cret"
VISITOR_URL = "http://chat.example.com/widget"


def parts() -> tuple[list[ActorPart], list[dict[str, Any]]]:
    """The operator's page (first party www.example.localhost, an ad of a third party) from
    T0, the visitor's (first party chat.example.com) 300 ms later; a step from the visitor's
    click at 1000 ms to the operator's page 300 ms later, in each document's own time."""
    operator = measured(
        url=OPERATOR_URL,
        requests=[
            req("www.example.localhost", "/console", 0, 100, kind="document", bytes=1200),
            req("static.example.localhost", "/app.js", 120, 30, bytes=1000),
            req("ads.other.localhost", "/ad.js", 130, 40, bytes=2000),
            req("chat.example.com", "/shared.css", 140, 20, kind="stylesheet", bytes=500),
        ],
        ttfb=50,
        fcp=180,
        lcp=220,
        steps=[("sent", 1000, 300)],
    )
    visitor = measured(
        url=VISITOR_URL,
        requests=[req("chat.example.com", "/widget", 0, 80, kind="document", bytes=1500)],
        ttfb=40,
        fcp=90,
        lcp=95,
        steps=[("sent", 700, 300)],
        started_at=T0 + timedelta(milliseconds=300),
    )
    marks = [
        {
            "name": "sent",
            "start": ORIGIN + 1000,
            "end": ORIGIN + 1300,
            "actor": "visitor",
            "stop_actor": "operator",
        }
    ]
    return [
        ActorPart("operator", OPERATOR_URL, operator.result, ORIGIN),
        ActorPart("visitor", VISITOR_URL, visitor.result, ORIGIN + 300),
    ], marks


def document() -> dict[str, Any]:
    found, marks = parts()
    return combine(found, marks, status="succeeded", error=None)


def test_page_timings_are_the_first_actors_and_counts_the_whole_runs() -> None:
    metrics = document()["metrics"]
    assert (metrics["ttfb"], metrics["fcp"], metrics["lcp"]) == (50.0, 180.0, 220.0)
    assert metrics["requests"] == 5
    assert metrics["transfer_bytes"] == 1200 + 1000 + 2000 + 500 + 1500
    assert (metrics["third_party_requests"], metrics["third_party_bytes"]) == (2, 2500)
    assert (metrics["first_party_requests"], metrics["first_party_bytes"]) == (3, 3700)


def test_each_actors_page_metrics_are_flat_actor_metrics_and_its_own_part() -> None:
    doc = document()
    metrics = doc["metrics"]
    assert (metrics["actor.operator.lcp"], metrics["actor.visitor.lcp"]) == (220.0, 95.0)
    assert metrics["actor.operator.third_party_bytes"] == 2500
    assert metrics["actor.visitor.first_party_bytes"] == 1500
    assert metrics["actor.visitor.requests"] == 1
    operator, visitor = doc["actors"]
    assert (operator["name"], operator["url"], operator["started_ms"]) == (
        "operator",
        OPERATOR_URL,
        0.0,
    )
    assert (visitor["name"], visitor["started_ms"]) == ("visitor", 300.0)
    assert visitor["metrics"]["lcp"] == 95.0 and "actor.visitor.lcp" not in visitor["metrics"]
    assert visitor["hosts"] == {
        "chat.example.com": {
            "requests": 1,
            "failed": 0,
            "body_bytes": 1500,
            "transfer_bytes": 1500,
            "time_ms": 80.0,
            "blocking_ms": 0.0,
            "party": "first",
            "entity": "example.com",
        }
    }
    assert [p["started_ms"] for p in visitor["pages"]] == [300.0]


def test_every_item_is_on_the_runs_time_axis_with_its_actor() -> None:
    doc = document()
    assert [(r["actor"], r["url"].rsplit("/", 1)[1], r["started_ms"]) for r in doc["requests"]] == [
        ("operator", "console", 0.0),
        ("operator", "app.js", 120.0),
        ("operator", "ad.js", 130.0),
        ("operator", "shared.css", 140.0),
        ("visitor", "widget", 300.0),
    ]
    assert [(p["actor"], p["started_ms"]) for p in doc["pages"]] == [
        ("operator", 0.0),
        ("visitor", 300.0),
    ]
    assert doc["url"] == OPERATOR_URL


def test_a_host_first_party_for_one_actor_is_first_party_for_the_run() -> None:
    hosts = document()["hosts"]
    # chat.example.com is the visitor's own site, a third party on the operator's page.
    assert hosts["chat.example.com"]["party"] == "first"
    assert hosts["chat.example.com"]["requests"] == 2
    assert hosts["chat.example.com"]["transfer_bytes"] == 2000
    assert document()["parties"]["third"]["requests"] == 2


def test_a_step_across_actors_is_a_step_of_the_run() -> None:
    assert document()["steps"] == [
        {
            "name": "sent",
            "started_ms": 1000.0,
            "duration_ms": 300.0,
            "metrics": {},
            "actors": ["visitor", "operator"],
        }
    ]


def test_metric_errors_of_each_actor_are_its_own() -> None:
    found, marks = parts()
    found[1].document["metric_errors"]["cls"] = "firefox cannot measure layout shifts"
    doc = combine(found, marks, status="succeeded", error=None)
    assert doc["metric_errors"] == {"actor.visitor.cls": "firefox cannot measure layout shifts"}


def test_the_combined_document_is_valid_and_a_bad_actor_part_is_refused() -> None:
    doc = document()
    assert validate_result(doc) is doc
    bad_name = {**doc, "actors": [{**doc["actors"][0], "name": "Op Erator"}]}
    with pytest.raises(ResultError, match=r"actors\[0\].name must be an actor's name"):
        validate_result(bad_name)
    bad_metric = {**doc, "actors": [{**doc["actors"][0], "metrics": {"user.x": 1}}]}
    with pytest.raises(ResultError, match=r"actors\[0\].metrics.user.x is not a page metric"):
        validate_result(bad_metric)
    bad_total = {**doc, "actors": [{**doc["actors"][0], "hosts": {"h": {"requests": -1}}}]}
    with pytest.raises(ResultError, match=r"actors\[0\].hosts.h.requests must be between"):
        validate_result(bad_total)


def test_sanitising_reaches_each_actors_urls() -> None:
    clean = sanitize_result(document())
    operator = clean["actors"][0]
    assert "s3cret" not in operator["url"] and "s3cret" not in operator["pages"][0]["url"]
    assert "s3cret" not in clean["url"] and "s3cret" not in clean["pages"][0]["url"]


def test_merge_totals_sums_fields_and_keeps_unknown_unknown() -> None:
    merged = merge_totals(
        [
            {"parties": {"first": {"requests": 1, "transfer_bytes": 10}}},
            {"parties": {"first": {"requests": 2, "transfer_bytes": None}}},
        ]
    )
    first = merged["parties"]["first"]
    assert (first["requests"], first["transfer_bytes"]) == (3, None)


def test_one_har_holds_each_actors_pages_and_entries_and_gives_each_back() -> None:
    operator = measured(url=OPERATOR_URL).har
    visitor = measured(url=VISITOR_URL).har
    operator["log"]["pages"] = [{"id": "page@1", "title": "console"}]
    visitor["log"]["pages"] = [{"id": "page@2", "title": "widget"}]
    har = merge_hars([("operator", operator), ("visitor", visitor)])
    assert [(p["id"], p["_actor"]) for p in har["log"]["pages"]] == [
        ("page@1", "operator"),
        ("page@2", "visitor"),
    ]
    assert [e["_actor"] for e in har["log"]["entries"]] == ["operator", "visitor"]
    assert har["log"]["creator"] == operator["log"]["creator"]
    assert actors_in(har) == ["operator", "visitor"]
    part = actor_har(har, "visitor")["log"]
    assert [e["request"]["url"] for e in part["entries"]] == [VISITOR_URL]
    assert [p["id"] for p in part["pages"]] == ["page@2"]
    assert actors_in(operator) == []


@pytest.mark.parametrize(
    ("name", "label", "unit"),
    [
        ("actor.operator.lcp", "Actor operator LCP", MS),
        ("actor.visitor.cpu.script_ms", "Actor visitor Script time", MS),
        ("actor.visitor.third_party_bytes", "Actor visitor Third-party bytes", BYTES),
    ],
)
def test_an_actors_page_metric_is_a_member_of_the_actor_family(
    name: str, label: str, unit: Any
) -> None:
    parts_ = split_name(name)
    assert parts_ is not None and parts_[0] is ACTOR
    assert (label_of(name), unit_of(name), metric_problem(name)) == (label, unit, None)


@pytest.mark.parametrize("name", ["actor.operator", "actor.operator.nope", "actor..lcp"])
def test_a_name_the_actor_family_cannot_place_is_unknown(name: str) -> None:
    assert not is_known(name)
