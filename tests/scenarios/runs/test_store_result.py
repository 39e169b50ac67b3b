"""Storing a measured run: HAR sanitised, metrics in columns, per-host rows, idempotent."""

import gzip
import json

import pytest

from agents.browser import measure
from core.metrics import HOST, page_names
from core.result.validate import ResultError
from core.script import parse_script, split_setup
from scenarios.models import Location, Run, RunHost, Scenario
from scenarios.runs.store import store_result


@pytest.fixture
def run(db) -> Run:
    location = Location.objects.create(name="local")
    scenario = Scenario.objects.create(
        name="Home", slug="home", url="http://www.example.localhost/"
    )
    return Run.objects.create(scenario=scenario, location=location)


@pytest.fixture
def measured(site, browser_pool):
    steps = parse_script(
        "- set_cookie: {name: session, value: c00kie-s3cret}\n"
        '- set_header: {name: Authorization, value: "Bearer t0ken-s3cret"}\n'
    )
    setup, actions = split_setup(steps)
    spec = {"url": site.url("/"), "setup": setup, "steps": actions, "quiet_ms": 300}
    return measure(spec, browser_pool)


def test_stored_har_has_no_cookie_or_authorization_values(run, measured) -> None:
    raw = json.dumps(measured.har)
    assert "c00kie-s3cret" in raw and "t0ken-s3cret" in raw  # the browser really sent them
    assert store_result(run.pk, measured.result, measured.har, filmstrip=measured.filmstrip) is True
    run.refresh_from_db()
    with run.har.open("rb") as handle:
        stored = gzip.decompress(handle.read()).decode()
    assert "c00kie-s3cret" not in stored and "t0ken-s3cret" not in stored
    assert len(json.loads(stored)["log"]["entries"]) == len(measured.result["requests"])
    assert run.har_size == run.har.size


def test_metrics_go_to_columns_and_hosts_to_rows(run, measured) -> None:
    store_result(run.pk, measured.result, measured.har, filmstrip=measured.filmstrip)
    run.refresh_from_db()
    metrics = measured.result["metrics"]
    assert run.status == Run.SUCCEEDED
    assert (run.ttfb, run.lcp, run.requests, run.transfer_bytes, run.third_party_bytes) == (
        metrics["ttfb"],
        metrics["lcp"],
        metrics["requests"],
        metrics["transfer_bytes"],
        metrics["third_party_bytes"],
    )
    rows = {h.host: h for h in RunHost.objects.filter(run=run)}
    assert set(rows) == set(measured.result["hosts"])
    ads = measured.result["hosts"]["ads.other.localhost"]
    assert (rows["ads.other.localhost"].party, rows["ads.other.localhost"].transfer_bytes) == (
        "third",
        ads["transfer_bytes"],
    )


def test_the_same_delivery_twice_is_stored_once(run, measured) -> None:
    assert store_result(run.pk, measured.result, measured.har, filmstrip=measured.filmstrip) is True
    assert (
        store_result(run.pk, measured.result, measured.har, filmstrip=measured.filmstrip) is False
    )
    assert RunHost.objects.filter(run=run).count() == len(measured.result["hosts"])


def test_a_malformed_result_stores_nothing(run) -> None:
    with pytest.raises(ResultError, match="status"):
        store_result(run.pk, {"status": "great", "metrics": {}}, None)
    with pytest.raises(ResultError, match="metrics.lcp"):
        store_result(run.pk, {"status": "succeeded", "metrics": {"lcp": "slow"}}, None)
    run.refresh_from_db()
    assert run.result is None and run.status == Run.QUEUED and not run.har


def test_the_stored_har_agrees_with_the_runs_numbers(run, measured) -> None:
    assert store_result(run.pk, measured.result, measured.har, filmstrip=measured.filmstrip) is True
    run.refresh_from_db()
    with run.har.open("rb") as handle:
        entries = json.loads(gzip.decompress(handle.read()))["log"]["entries"]
    requests = measured.result["requests"]
    assert len(entries) == len(requests) == run.requests
    assert sum(e["response"]["_transferSize"] for e in entries) == run.transfer_bytes
    assert [e["time"] for e in entries] == [r["duration_ms"] for r in requests]
    # Playwright reports ssl on plain http and -1 for "not applicable": neither survives.
    assert all(e["timings"]["ssl"] == 0 for e in entries)
    assert all(v >= 0 for e in entries for k, v in e["timings"].items() if k != "comment")
    document = entries[0]["timings"]
    assert (document["dns"], document["connect"]) == (
        requests[0]["timings"]["dns"],
        requests[0]["timings"]["connect"],
    )


def test_every_registry_column_and_host_field_is_a_database_column() -> None:
    # A registry entry marked as a column without its field (and migration) would be set as a
    # plain attribute and silently never stored.
    run_columns = {field.name for field in Run._meta.concrete_fields}
    host_columns = {field.name for field in RunHost._meta.concrete_fields}
    assert set(page_names(column=True)) - run_columns == set()
    assert set(HOST.field_names()) - host_columns == set()


def test_a_firefox_run_is_stored_with_what_it_cannot_measure_left_empty(run, site) -> None:
    from agents.engines import firefox
    from agents.pool import BrowserPool

    if not firefox.available():
        pytest.fail(firefox.MISSING, pytrace=False)
    pool = BrowserPool()
    try:
        spec = {"url": site.url("/"), "browser": "firefox", "quiet_ms": 300}
        measured = measure(spec, pool)
    finally:
        pool.close()
    assert measured.result["status"] == "succeeded", measured.result["error"]
    assert store_result(run.pk, measured.result, measured.har) is True
    run.refresh_from_db()
    assert run.status == Run.SUCCEEDED
    assert (run.transfer_bytes, run.tbt, run.cls) == (None, None, None)
    assert run.requests == measured.result["metrics"]["requests"] == 8
    rows = {h.host: h for h in RunHost.objects.filter(run=run)}
    assert {h: (r.requests, r.body_bytes) for h, r in rows.items()} == {
        h: (t["requests"], t["body_bytes"]) for h, t in measured.result["hosts"].items()
    }
    assert all(r.transfer_bytes is None and r.blocking_ms is None for r in rows.values())
    with run.har.open("rb") as handle:
        stored = json.loads(gzip.decompress(handle.read()))
    sizes = [e["response"]["_transferSize"] for e in stored["log"]["entries"]]
    assert sizes and all(size == -1 for size in sizes[: len(measured.result["requests"])])
