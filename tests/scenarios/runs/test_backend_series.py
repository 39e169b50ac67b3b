"""Backend series: each declared Graphite target read over a stored run's window from a render
API (a real HTTP server on loopback here), its mean kept with the run; whatever Graphite does
is a reason on that metric, never a change to the run."""

import gzip
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from scenarios.models import GraphitePoint, Incident, Location, Run, Scenario, Threshold
from scenarios.runs import backend, tasks
from scenarios.runs.store import store_result
from scenarios.runs.tasks import fetch_backend_series
from tests.factories import T0, page
from tests.scenarios.alerts.conftest import eager_celery  # noqa: F401 - a fixture

START = int(T0.timestamp())  # the run below starts 0.25 s after T0 and ends 11.4 s after it
UNTIL = START + 12
TARGET = "stats.timers.api.upper_95"


@dataclass
class Answer:
    """What the render API sends: ``length`` False leaves Content-Length out (the body ends
    when the connection closes), ``gzip`` compresses it with Content-Encoding: gzip."""

    body: bytes
    status: int = 200
    length: bool = True
    gzip: bool = False


@dataclass
class RenderApi:
    """A Graphite render API on loopback. Request n (from 0) for a target gets
    ``by_target[target]`` when set, else ``answers[min(n, len - 1)]``."""

    url: str = ""
    answers: list[Answer] = field(default_factory=list)
    by_target: dict[str, Answer] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)
    queries: list[dict[str, list[str]]] = field(default_factory=list)


def series(*points: tuple[float | None, int], target: str = TARGET) -> bytes:
    """A render answer holding one series of (value, timestamp) datapoints."""
    return json.dumps([{"target": target, "datapoints": [list(p) for p in points]}]).encode()


@pytest.fixture
def render_api(settings: Any) -> Iterator[RenderApi]:
    """The render API, configured as PERFITE_BACKEND_GRAPHITE_URL (with a trailing slash, as
    an operator may write it)."""
    api = RenderApi(answers=[Answer(series((1.0, START)))])
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            parts = urlsplit(self.path)
            query = parse_qs(parts.query, keep_blank_values=True)
            with lock:
                count = len(api.queries)
                api.paths.append(parts.path)
                api.queries.append(query)
            target = query.get("target", [""])[0]
            answer = api.by_target.get(target) or api.answers[min(count, len(api.answers) - 1)]
            body = gzip.compress(answer.body) if answer.gzip else answer.body
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            if answer.gzip:
                self.send_header("Content-Encoding", "gzip")
            if answer.length:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a client that stopped reading an oversized answer: expected here

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_port}/"
    settings.PERFITE_BACKEND_GRAPHITE_URL = api.url
    settings.PERFITE_BACKEND_MARGIN_S = 0
    yield api
    server.shutdown()
    server.server_close()


def declaring(*declarations: str) -> Scenario:
    """A scenario whose script declares ``declarations`` (YAML lines) and opens its page."""
    return Scenario.objects.create(
        name="Chat",
        slug="chat",
        url="http://www.example.com/",
        script_format=Scenario.FORMAT_YAML,
        script="".join(f"- {line}\n" for line in declarations) + "- navigate: /chat\n",
    )


def stored_run(scenario: Scenario, status: str = "succeeded") -> Run:
    """A run of ``scenario`` whose result (0.25 s to 11.4 s after T0) is stored."""
    location, _ = Location.objects.get_or_create(name="eu")
    run = Run.objects.create(scenario=scenario, location=location)
    result = page(
        started_at=T0 + timedelta(milliseconds=250),
        finished_at=T0 + timedelta(milliseconds=11_400),
        status=status,
        error=None if status == "succeeded" else "net::ERR_TIMED_OUT",
    )
    assert store_result(run.pk, result, None) is True
    run.refresh_from_db()
    return run


P95 = f"backend_metric: {{name: api.p95, target: {TARGET}}}"


def test_it_stores_the_mean_of_the_non_null_points_over_the_runs_window(
    db: None, render_api: RenderApi
) -> None:
    render_api.answers = [
        Answer(series((100.0, START + 1), (None, START + 2), (200, START + 3), (330.0, UNTIL)))
    ]
    run = stored_run(declaring(P95))
    before = dict(run.result or {})

    assert backend.fetch_for_run(run.pk) == 0  # our own Graphite is off
    run.refresh_from_db()

    assert render_api.paths == ["/render"]
    assert render_api.queries == [
        {"target": [TARGET], "from": [str(START)], "until": [str(UNTIL)], "format": ["json"]}
    ]
    result = run.result or {}
    assert result["metrics"]["backend.api.p95"] == 210.0
    assert result["backend"] == {
        "api.p95": {
            "target": TARGET,
            "from": START,
            "until": UNTIL,
            "points": [[START + 1, 100.0], [START + 3, 200.0], [UNTIL, 330.0]],
            "error": None,
        }
    }
    assert result["metric_errors"] == {}
    written = ("metrics", "backend", "metric_errors")
    assert {k: v for k, v in result.items() if k not in written} == {
        k: v for k, v in before.items() if k not in written
    }
    assert {k: v for k, v in result["metrics"].items() if k != "backend.api.p95"} == before[
        "metrics"
    ]
    assert run.status == Run.SUCCEEDED


def test_the_margin_widens_the_window_on_both_sides(
    db: None, render_api: RenderApi, settings: Any
) -> None:
    settings.PERFITE_BACKEND_MARGIN_S = 30
    run = stored_run(declaring(P95))

    backend.fetch_for_run(run.pk)
    run.refresh_from_db()

    assert render_api.queries[0]["from"] == [str(START - 30)]
    assert render_api.queries[0]["until"] == [str(UNTIL + 30)]
    block = (run.result or {})["backend"]["api.p95"]
    assert (block["from"], block["until"]) == (START - 30, UNTIL + 30)


def test_the_target_reaches_graphite_exactly_as_declared(db: None, render_api: RenderApi) -> None:
    odd = """sumSeries(stats.{a,b}.p95)&from=0#x + "q" %41 é"""
    scenario = declaring(f"backend_metric: {{name: odd, target: '{odd}'}}")
    run = stored_run(scenario)

    backend.fetch_for_run(run.pk)

    assert render_api.queries == [
        {"target": [odd], "from": [str(START)], "until": [str(UNTIL)], "format": ["json"]}
    ]


def test_each_series_gets_its_own_value_or_reason(db: None, render_api: RenderApi) -> None:
    render_api.by_target = {
        TARGET: Answer(series((12.5, START + 5))),
        "stats.gone": Answer(b"[]"),
    }
    run = stored_run(declaring(P95, "backend_metric: {name: gone, target: stats.gone}"))

    backend.fetch_for_run(run.pk)
    run.refresh_from_db()

    result = run.result or {}
    assert {k: v for k, v in result["metrics"].items() if k.startswith("backend.")} == {
        "backend.api.p95": 12.5
    }
    assert result["metric_errors"] == {"backend.gone": "no series matches the target"}
    assert result["backend"]["gone"] == {
        "target": "stats.gone",
        "from": START,
        "until": UNTIL,
        "points": [],
        "error": "no series matches the target",
    }


def test_a_later_fetch_replaces_the_value_with_the_reason_and_back(
    db: None, render_api: RenderApi
) -> None:
    run = stored_run(declaring(P95))
    render_api.answers = [Answer(series((7.0, START)))]
    backend.fetch_for_run(run.pk)
    render_api.answers = [Answer(series((None, START)))]

    backend.fetch_for_run(run.pk)
    run.refresh_from_db()
    result = run.result or {}
    assert "backend.api.p95" not in result["metrics"]
    assert result["metric_errors"] == {"backend.api.p95": "no points in the window"}

    render_api.answers = [Answer(series((9.0, START)))]
    backend.fetch_for_run(run.pk)
    run.refresh_from_db()
    result = run.result or {}
    assert result["metrics"]["backend.api.p95"] == 9.0
    assert result["metric_errors"] == {}


TWO = [{"target": "a", "datapoints": [[1, START]]}, {"target": "b", "datapoints": [[2, START]]}]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (Answer(b"<html>oops</html>"), "Graphite's answer is not JSON"),
        (Answer(b"\xff\xfe\x00garbage"), "Graphite's answer is not JSON"),
        (Answer(b"[" * 100_000), "Graphite's answer is not JSON"),
        (Answer(b'{"error": "x"}'), "Graphite's answer is not a list of series"),
        (Answer(b"[]"), "no series matches the target"),
        (
            Answer(json.dumps(TWO).encode()),
            "the target gives 2 series; combine them into one (e.g. averageSeries(…))",
        ),
        (Answer(b'[{"target": "x"}]'), "Graphite's series has no list of datapoints"),
        (Answer(b'[{"datapoints": [[1]]}]'), "datapoint 0 is not a [value, timestamp] pair"),
        (Answer(b'[{"datapoints": [[1, "now"]]}]'), "datapoint 0 has no integer timestamp"),
        (
            Answer(b'[{"datapoints": [[1, 5], ["fast", 6]]}]'),
            "datapoint 1 has a value that is not a number",
        ),
        (Answer(b'[{"datapoints": [[true, 5]]}]'), "datapoint 0 has a value that is not a number"),
        (
            Answer(b'[{"datapoints": [[NaN, 5]]}]'),
            "Graphite's answer holds NaN, which is not a finite number",
        ),
        (
            Answer(b'[{"datapoints": [[-Infinity, 5]]}]'),
            "Graphite's answer holds -Infinity, which is not a finite number",
        ),
        (Answer(b'[{"datapoints": [[1e300, 5]]}]'), "datapoint 0 has a value beyond ±1e+15"),
        (Answer(series((None, START), (None, START + 10)), status=200), "no points in the window"),
        (
            Answer(series(*[(1.0, START + i) for i in range(1001)])),
            "more than 1000 points in the window",
        ),
        (
            Answer(b" " * 1_000_001 + b"[]"),
            "Graphite's answer is larger than 1000000 bytes",
        ),
        (
            Answer(b" " * 1_000_001 + b"[]", length=False),
            "Graphite's answer is larger than 1000000 bytes",
        ),
        (
            Answer(b" " * 20_000_000 + b"[]", gzip=True),
            "Graphite's answer is larger than 1000000 bytes",
        ),
        (
            Answer(b"Invalid target\x00\n  at line 1", status=400),
            "Graphite answered HTTP 400: Invalid target at line 1",
        ),
        (Answer(b"", status=302), "Graphite answered HTTP 302"),
    ],
)
def test_an_answer_that_is_not_one_usable_series_is_the_metrics_reason_at_once(
    db: None, render_api: RenderApi, answer: Answer, reason: str
) -> None:
    render_api.answers = [answer]
    run = stored_run(declaring(P95))

    # Not a reason that may go away: recorded on the first try, without asking again.
    backend.fetch_for_run(run.pk, final=False)
    run.refresh_from_db()

    result = run.result or {}
    assert len(render_api.queries) == 1
    assert "backend.api.p95" not in result["metrics"]
    assert result["metric_errors"] == {"backend.api.p95": reason}
    assert result["backend"]["api.p95"]["error"] == reason
    assert result["backend"]["api.p95"]["points"] == []
    assert run.status == Run.SUCCEEDED


def test_graphite_answering_503_is_asked_again_then_the_reason_recorded(
    db: None, render_api: RenderApi
) -> None:
    render_api.answers = [Answer(b"busy", status=503)]
    run = stored_run(declaring(P95))

    fetch_backend_series.apply((run.pk,))
    run.refresh_from_db()

    assert fetch_backend_series.max_retries == 8  # PERFITE_BACKEND_RETRIES' default
    assert len(render_api.queries) == 9
    result = run.result or {}
    assert result["metric_errors"] == {"backend.api.p95": "Graphite answered HTTP 503: busy"}
    assert "backend.api.p95" not in result["metrics"]
    assert run.status == Run.SUCCEEDED


def test_graphite_back_after_two_503s_gives_the_value(db: None, render_api: RenderApi) -> None:
    busy = Answer(b"busy", status=503)
    render_api.answers = [busy, busy, Answer(series((4.0, START), (6.0, START + 10)))]
    run = stored_run(declaring(P95))

    fetch_backend_series.apply((run.pk,))
    run.refresh_from_db()

    assert len(render_api.queries) == 3
    result = run.result or {}
    assert result["metrics"]["backend.api.p95"] == 5.0
    assert result["metric_errors"] == {}


def test_graphite_refusing_connections_is_recorded_after_the_retries_and_the_run_stands(
    db: None, settings: Any
) -> None:
    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.PERFITE_BACKEND_GRAPHITE_URL = f"http://127.0.0.1:{port}"
    run = stored_run(declaring(P95))
    with pytest.raises(backend.GraphiteUnreachable, match="^api.p95: could not reach Graphite"):
        backend.fetch_for_run(run.pk, final=False)
    run.refresh_from_db()
    assert "backend" not in (run.result or {})  # a try that will be repeated writes nothing

    fetch_backend_series.apply((run.pk,))
    run.refresh_from_db()

    reason = "could not reach Graphite (ConnectionRefusedError: Connection refused)"
    result = run.result or {}
    assert result["metric_errors"] == {"backend.api.p95": reason}
    assert result["backend"]["api.p95"] == {
        "target": TARGET,
        "from": START,
        "until": UNTIL,
        "points": [],
        "error": reason,
    }
    assert (run.status, run.error) == (Run.SUCCEEDED, "")


def test_without_a_render_url_the_reason_is_recorded_and_nobody_is_asked(
    db: None, render_api: RenderApi, settings: Any
) -> None:
    settings.PERFITE_BACKEND_GRAPHITE_URL = ""
    run = stored_run(declaring(P95))

    backend.fetch_for_run(run.pk, final=False)
    run.refresh_from_db()

    reason = "no Graphite render URL is configured (PERFITE_BACKEND_GRAPHITE_URL)"
    assert render_api.queries == []
    assert (run.result or {})["metric_errors"] == {"backend.api.p95": reason}
    assert (run.result or {})["backend"]["api.p95"]["error"] == reason


@pytest.mark.parametrize("status", ["succeeded", "failed", "timed_out"])
@pytest.mark.usefixtures("eager_celery")
def test_storing_a_run_that_declares_backend_series_fetches_them(
    db: None, render_api: RenderApi, status: str, django_capture_on_commit_callbacks: Any
) -> None:
    render_api.answers = [Answer(series((3.0, START + 1)))]
    scenario = declaring(P95)

    with django_capture_on_commit_callbacks(execute=True):
        run = stored_run(scenario, status)
    run.refresh_from_db()

    assert len(render_api.queries) == 1
    assert (run.result or {})["metrics"]["backend.api.p95"] == 3.0
    assert run.status == status


@pytest.mark.usefixtures("eager_celery")
def test_storing_a_run_without_backend_series_asks_graphite_nothing(
    db: None, render_api: RenderApi, django_capture_on_commit_callbacks: Any
) -> None:
    scenario = declaring("request_metric: {name: chats, match: POST */api/chats}")

    with django_capture_on_commit_callbacks(execute=True):
        run = stored_run(scenario)
    run.refresh_from_db()

    assert render_api.queries == []
    assert "backend" not in (run.result or {})


def test_the_values_go_to_our_graphite_without_the_runs_other_points_again(
    db: None, render_api: RenderApi, settings: Any
) -> None:
    run = stored_run(declaring(P95))  # stored while our Graphite was off: no page points
    settings.GRAPHITE_HOST = "127.0.0.1"

    queued = backend.fetch_for_run(run.pk)

    paths = list(GraphitePoint.objects.values_list("path", flat=True))
    assert queued == len(paths)
    assert [p for p in paths if "backend" not in p] == []


def test_the_window_is_whole_seconds_and_never_ends_before_it_starts() -> None:
    assert backend.window(T0 + timedelta(microseconds=1), T0 + timedelta(seconds=2), 0) == (
        START,
        START + 2,
    )
    assert backend.window(T0, T0 + timedelta(seconds=1, microseconds=1), 5) == (
        START - 5,
        START + 7,
    )
    assert backend.window(T0 + timedelta(seconds=9), T0, 0) == (START + 9, START + 9)
    assert backend.window(None, T0, 0) is None


@pytest.mark.usefixtures("eager_celery")
def test_a_fetch_lost_with_the_broker_is_queued_again_by_the_sweep(
    db: None, render_api: RenderApi, django_capture_on_commit_callbacks: Any
) -> None:
    render_api.answers = [Answer(series((7.0, START + 1)))]
    with django_capture_on_commit_callbacks(execute=False):  # the broker was down: never queued
        lost = stored_run(declaring(P95))
    with django_capture_on_commit_callbacks(execute=False):
        recent = stored_run(Scenario.objects.get(slug="chat"))
    plain = stored_run(
        Scenario.objects.create(
            name="Plain", slug="plain", url="http://www.example.com/", script="- navigate: /"
        )
    )
    now = timezone.now()
    Run.objects.filter(pk__in=[lost.pk, plain.pk]).update(finished_at=now - timedelta(minutes=30))
    Run.objects.filter(pk=recent.pk).update(finished_at=now - timedelta(minutes=5))

    assert backend.unfetched() == [lost.pk]
    assert tasks.fetch_lost_backend_series() == 1
    lost.refresh_from_db()

    assert (lost.result or {})["metrics"]["backend.api.p95"] == 7.0
    assert backend.unfetched() == []


@pytest.mark.usefixtures("eager_celery")
def test_a_threshold_on_a_backend_series_judges_the_run_once_its_series_arrive(
    db: None, render_api: RenderApi, django_capture_on_commit_callbacks: Any
) -> None:
    render_api.answers = [Answer(series((300.0, START + 1)))]
    scenario = declaring(P95)
    th = Threshold(
        scenario=scenario,
        kind=Threshold.ABSOLUTE,
        metric="backend.api.p95",
        value=200,
        window_runs=1,
    )
    th.full_clean()
    th.save()

    with django_capture_on_commit_callbacks(execute=True):
        stored_run(scenario)

    assert [(i.threshold_id, i.resolved_at) for i in Incident.objects.all()] == [(th.pk, None)]
