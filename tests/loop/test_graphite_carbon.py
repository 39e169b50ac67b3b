"""A real carbon-cache receives the outbox: documented names, right values, each point once,
also when carbon dies in the middle of a batch."""

import socket
import struct
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from scenarios.models import GraphitePoint, Location, Run, Scenario
from scenarios.runs import graphite as outbox
from scenarios.runs.store import store_result
from scenarios.runs.tasks import push_graphite_outbox
from tests.factories import page, req
from tests.loop.conftest import Loop
from tests.loop.services import Carbon, wait_until

# The two requests of the run below, as totals: the page's document and a third-party script.
DOCUMENT = {"requests": 1, "body_bytes": 3000, "transfer_bytes": 3300, "time_ms": 40.0}
AD = {"requests": 1, "body_bytes": 1500, "transfer_bytes": 1700, "time_ms": 5.5}


# Named metrics of the run and of its measured step, as the agent adds them to the document
# (docs/result-document.md, "Named metrics"), and the paths they go to under the run's base.
NAMED = {
    "user.chat_ready": ("user.chat_ready", 412.3),
    "request.create_chat.duration_ms": ("request.create_chat.duration_ms", 215.5),
    "custom.cart_items": ("custom.cart_items", -3),
    "cpu.js_heap_used_bytes": ("cpu.js_heap_used_bytes", 1843200),
    "ws.chat.reply_ms": ("ws.chat.reply_ms", 101.5),
    "backend.api.p95": ("backend.api.p95", 180.25),
}
STEP_OWN = {
    "request.search.ttfb_ms": ("step.search_box.request.search.ttfb_ms", 80.5),
    "cpu.script_ms": ("step.search_box.cpu.script_ms", 12.5),
}


def result_document(started: datetime, ttfb: float) -> dict[str, Any]:
    """A small run with members of every group the names cover, named metrics of its own
    and of its step, and an LCP it did not measure."""
    document = page(
        scenario="shop",
        location="eu-west",
        started_at=started,
        requests=[
            req("www.example.localhost", "/", 0.0, 40.0, kind="document", bytes=3300, body=3000),
            req("ads.other.localhost", "/ad.js", 50.0, 5.5, bytes=1700, body=1500),
        ],
        ttfb=ttfb,
        fcp=80.5,
        dcl=70.5,
        load=120.5,
        steps=[("search box", 500.0, 230.5)],
    )
    document["metrics"].update({name: value for name, (_, value) in NAMED.items()})
    document["steps"][0]["metrics"] = {name: value for name, (_, value) in STEP_OWN.items()}
    return document


def expected_points(base: str, ttfb: float) -> dict[str, float]:
    """Every path (README's scheme) the document above yields, with its value."""
    points = {
        f"{base}.dns": 0.0,
        f"{base}.connect": 0.0,
        f"{base}.ttfb": ttfb,
        f"{base}.fcp": 80.5,
        f"{base}.cls": 0.0,
        f"{base}.tbt": 0.0,
        f"{base}.dom_content_loaded": 70.5,
        f"{base}.load": 120.5,
        f"{base}.fully_loaded": 120.5,
        f"{base}.requests": 2.0,
        f"{base}.transfer_bytes": 5000.0,
        f"{base}.body_bytes": 4500.0,
        f"{base}.step.search_box.duration_ms": 230.5,
        **{f"{base}.{path}": float(value) for path, value in NAMED.values()},
        **{f"{base}.{path}": float(value) for path, value in STEP_OWN.values()},
    }
    groups = {
        "party.first": DOCUMENT,
        "party.third": AD,
        "domain.www_example_localhost": DOCUMENT,
        "domain.ads_other_localhost": AD,
        "entity.other_localhost": AD,
        "type.html": DOCUMENT,
        "type.js": AD,
    }
    for group, totals in groups.items():
        for metric in ("requests", "transfer_bytes", "body_bytes", "time_ms"):
            points[f"{base}.{group}.{metric}"] = float(totals[metric])
        points[f"{base}.{group}.blocking_ms"] = 0.0
    return points


@pytest.fixture(scope="module")
def carbon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Carbon]:
    server = Carbon(Path(tmp_path_factory.mktemp("carbon"))).start()
    yield server
    server.stop()


@pytest.fixture
def graphite(carbon: Carbon) -> Iterator[Carbon]:
    with override_settings(
        GRAPHITE_HOST="127.0.0.1", GRAPHITE_PORT=carbon.port, GRAPHITE_PREFIX="perfite"
    ):
        yield carbon


def stored_run(
    slug: str, ttfb: float, seconds_ago: int, kind: str = Run.KIND_SCHEDULED, now: Any = None
) -> tuple[Run, int]:
    """A run of scenario ``slug`` in eu-west stored with the document above, started
    ``seconds_ago`` before ``now`` (default: the present); (run, stamp)."""
    location = Location.objects.get_or_create(name="eu-west")[0]
    scenario = Scenario.objects.get_or_create(
        slug=slug, defaults={"name": slug, "url": "http://www.example.localhost/", "paused": True}
    )[0]
    started = ((now or timezone.now()) - timedelta(seconds=seconds_ago)).replace(microsecond=0)
    run = Run.objects.create(scenario=scenario, location=location, kind=kind)
    assert store_result(run.pk, result_document(started, ttfb), None, agent_name="a")
    return run, int(started.timestamp())


def wait_for_whisper(carbon: Carbon, points: dict[str, float], stamp: int) -> None:
    def written() -> bool:
        try:
            return all(carbon.values(path, stamp) for path in points)
        except FileNotFoundError:
            return False

    wait_until(
        written,
        30,
        "carbon-cache to write the whisper files",
        lambda: carbon.process.output() if carbon.process else "",
    )


@pytest.mark.django_db(transaction=True)
def test_carbon_writes_the_documented_names_with_the_run_values(
    loop: Loop, graphite: Carbon
) -> None:
    run, stamp = stored_run("shop", 12.5, 30)
    points = expected_points("perfite.shop.eu-west.chromium.native", 12.5)
    # 12 page metrics, the step's duration, 5 fields of 7 groups, 6 named metrics of the
    # run and 2 of its step.
    assert len(points) == 12 + 1 + 5 * 7 + 6 + 2
    assert GraphitePoint.objects.count() == len(points)
    assert push_graphite_outbox() == len(points)
    wait_for_whisper(graphite, points, stamp)
    for path, value in points.items():
        assert graphite.whisper_file(path).is_file()
        assert graphite.values(path, stamp) == [(stamp, value)], path
    assert not GraphitePoint.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_points_stored_while_carbon_is_down_arrive_once_when_it_returns(
    loop: Loop, graphite: Carbon
) -> None:
    graphite.stop()
    stamps = {}
    for i, ttfb in enumerate((10.5, 20.5, 30.5)):
        run, stamps[ttfb] = stored_run("outage", ttfb, 60 - 10 * i)
    per_run = len(expected_points("perfite.outage.eu-west.chromium.native", 0.0))
    assert push_graphite_outbox() == 0  # refused: every point stays queued, with the reason
    assert GraphitePoint.objects.count() == 3 * per_run
    assert not GraphitePoint.objects.filter(last_error="").exists()

    graphite.start()
    assert push_graphite_outbox() == 3 * per_run
    assert not GraphitePoint.objects.exists()
    assert push_graphite_outbox() == 0
    for ttfb, stamp in stamps.items():
        points = expected_points("perfite.outage.eu-west.chromium.native", ttfb)
        wait_for_whisper(graphite, points, stamp)
        for path, value in points.items():
            assert (stamp, value) in graphite.values(path, stamp), path
    sent = {key: n for key, n in graphite.lines.items() if key[0].startswith("perfite.outage.")}
    assert len(sent) == 3 * per_run
    assert set(sent.values()) == {1}


class DyingCarbon:
    """In front of carbon, a carbon that dies in the middle of every batch (the probe's): it
    reads ``cut_after`` bytes of a connection, hands them to carbon (which keeps their
    complete lines), then resets the connection (SO_LINGER 0)."""

    def __init__(self, carbon_port: int, cut_after: int = 3000) -> None:
        self.carbon_port = carbon_port
        self.cut_after = cut_after
        self.cuts = 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            data = b""
            while len(data) < self.cut_after and (chunk := conn.recv(self.cut_after - len(data))):
                data += chunk
            with socket.create_connection(("127.0.0.1", self.carbon_port)) as upstream:
                upstream.sendall(data)
                upstream.shutdown(socket.SHUT_WR)
                while upstream.recv(4096):
                    pass
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
            self.cuts += 1

    def stop(self) -> None:
        self.server.shutdown(socket.SHUT_RDWR)
        self.server.close()
        self.thread.join(10)


@pytest.mark.django_db(transaction=True)
def test_batches_cut_mid_way_by_a_dying_carbon_all_arrive_when_a_good_one_takes_them(
    loop: Loop, graphite: Carbon
) -> None:
    runs = {ttfb: stored_run("cut", ttfb, 120 - 10 * i) for i, ttfb in enumerate((1.5, 2.5, 3.5))}
    expected = {
        (path, stamp): value
        for ttfb, (_run, stamp) in runs.items()
        for path, value in expected_points("perfite.cut.eu-west.chromium.native", ttfb).items()
    }
    assert (
        GraphitePoint.objects.count()
        == len(expected)
        == 3 * len(expected_points("perfite.cut.eu-west.chromium.native", 0))
    )

    dying = DyingCarbon(graphite.port)
    try:
        with override_settings(GRAPHITE_PORT=dying.port):
            for _ in range(3):
                with pytest.raises(OSError):
                    outbox.push_outbox(batch_size=100)
    finally:
        dying.stop()
    assert dying.cuts == 3
    assert GraphitePoint.objects.count() == len(expected)  # nothing taken for delivered
    # Each cut connection handed carbon the first lines of the same batch.
    early = {key: n for key, n in graphite.lines.items() if key[0].startswith("perfite.cut.")}
    assert 0 < len(early) < 100 and set(early.values()) == {3}

    assert outbox.push_outbox(batch_size=100) == len(expected)
    assert not GraphitePoint.objects.exists()
    for ttfb, (_run, stamp) in runs.items():
        wait_for_whisper(
            graphite, expected_points("perfite.cut.eu-west.chromium.native", ttfb), stamp
        )
    # Every point is in whisper with its value, once: the early lines were written 4 times,
    # and carbon kept one value per (path, timestamp).
    for (path, stamp), value in expected.items():
        assert [v for t, v in graphite.values(path, stamp) if t == stamp] == [value], path
    sent = {key: n for key, n in graphite.lines.items() if key[0].startswith("perfite.cut.")}
    assert set(sent) == set(expected)
    assert {key: n for key, n in sent.items() if n > 1} == {key: 4 for key in early}


@pytest.mark.django_db(transaction=True)
def test_two_runs_in_one_second_keep_their_own_rows_and_graphite_the_last_value(
    loop: Loop, graphite: Carbon
) -> None:
    now = timezone.now()
    first, stamp = stored_run("twin", 10.5, 30, now=now)
    second, same = stored_run("twin", 20.5, 30, now=now)
    stored_run("twin", 30.5, 30, kind=Run.KIND_CI, now=now)
    assert same == stamp
    assert outbox.push_outbox() == 3 * len(
        expected_points("perfite.twin.eu-west.chromium.native", 0)
    )
    wait_for_whisper(graphite, {"perfite.twin.eu-west.chromium.native.ttfb": 0}, stamp)
    wait_for_whisper(graphite, {"perfite.ci.twin.eu-west.chromium.native.ttfb": 0}, stamp)
    # One (path, timestamp), one value in Graphite: the last written. The database has both.
    assert graphite.values("perfite.twin.eu-west.chromium.native.ttfb", stamp) == [(stamp, 20.5)]
    assert list(
        Run.objects.filter(scenario__slug="twin", kind=Run.KIND_SCHEDULED)
        .order_by("pk")
        .values_list("pk", "ttfb")
    ) == [(first.pk, 10.5), (second.pk, 20.5)]
    # A CI run of the same second has its own series: it takes nothing from the monitoring one.
    assert graphite.values("perfite.ci.twin.eu-west.chromium.native.ttfb", stamp) == [(stamp, 30.5)]
