"""The Graphite outbox deletes a batch only once carbon confirmed it by closing the connection
in order after reading it all: a carbon reset mid-batch, one that never closes, or one that
closed before the batch arrived leaves the batch queued, and it arrives later.

The receivers here are in-process stand-ins speaking the plaintext protocol;
tests/loop/test_graphite_carbon.py does the same against a real carbon-cache.
"""

import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import override_settings

from scenarios.models import GraphitePoint
from scenarios.runs import graphite

STAMP = 1_700_000_000


class FakeCarbon:
    """A plaintext-protocol receiver on loopback, one connection at a time. Connection number
    n (from 1) gets the behaviour ``modes.get(n, "good")``:

    - ``good``: read to the end, keep the lines, close (what carbon does);
    - ``reset``: read ``cut_after`` bytes, keep their complete lines, then reset the connection
      (SO_LINGER 0), as the probe's carbon dying mid-batch;
    - ``hold``: read to the end, keep the lines, never close (until the test ends);
    - ``closed``: close its side at once and read nothing, with a receive buffer too small
      for a batch.
    """

    def __init__(self, modes: dict[int, str], cut_after: int = 3000) -> None:
        self.modes = modes
        self.cut_after = cut_after
        self.lines: Counter[tuple[str, float, int]] = Counter()
        self.connections: list[str] = []
        self.server = socket.socket()
        if "closed" in modes.values():  # accepted sockets inherit it
            self.server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.port = int(self.server.getsockname()[1])
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            mode = self.modes.get(len(self.connections) + 1, "good")
            self.connections.append(mode)
            if mode == "closed":
                conn.shutdown(socket.SHUT_WR)
                self.stopped.wait(30)
            elif mode == "reset":
                self._keep(self._read(conn, self.cut_after))
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                self._keep(self._read(conn, None))
                if mode == "hold":
                    self.stopped.wait(30)
            conn.close()

    @staticmethod
    def _read(conn: socket.socket, limit: int | None) -> bytes:
        data = b""
        while limit is None or len(data) < limit:
            chunk = conn.recv(65536 if limit is None else limit - len(data))
            if not chunk:
                break
            data += chunk
        return data

    def _keep(self, data: bytes) -> None:
        for line in data.split(b"\n")[:-1]:  # the last piece is an unfinished line: carbon drops it
            path, value, stamp = line.decode().split()
            self.lines[(path, float(value), int(stamp))] += 1

    def stop(self) -> None:
        self.stopped.set()
        self.server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() would not
        self.server.close()
        self.thread.join(10)


Starter = Callable[[dict[int, str]], FakeCarbon]


@pytest.fixture
def carbon_with() -> Iterator[Starter]:
    """Starts FakeCarbons (with GRAPHITE_HOST set); stops them after the test."""
    started: list[FakeCarbon] = []

    def start(modes: dict[int, str]) -> FakeCarbon:
        fake = FakeCarbon(modes)
        started.append(fake)
        return fake

    with override_settings(GRAPHITE_HOST="127.0.0.1"):
        yield start
    for fake in started:
        fake.stop()


def queue_points(n: int) -> dict[tuple[str, int], float]:
    """``n`` points in the outbox; returns {(path, timestamp): value}."""
    points = {
        (f"perfite.shop.eu-west.chromium.native.step.s{i}.duration_ms", STAMP): i + 0.5
        for i in range(n)
    }
    GraphitePoint.objects.bulk_create(
        GraphitePoint(path=path, value=value, timestamp=stamp)
        for (path, stamp), value in points.items()
    )
    return points


def received(fake: FakeCarbon) -> dict[tuple[str, int], float]:
    return {(path, stamp): value for path, value, stamp in fake.lines}


@pytest.mark.django_db
def test_batches_cut_mid_way_stay_queued_and_every_point_arrives_from_a_good_carbon(
    carbon_with: Starter, settings: Any
) -> None:
    points = queue_points(700)
    cutting = carbon_with({1: "reset", 2: "reset", 3: "reset"})
    settings.GRAPHITE_PORT = cutting.port
    for _ in range(3):  # the probe's carbon: every connection cut after 3,000 bytes
        with pytest.raises(OSError):
            graphite.push_outbox(batch_size=300)
    assert cutting.connections == ["reset", "reset", "reset"]
    assert GraphitePoint.objects.count() == 700
    assert set(GraphitePoint.objects.values_list("attempts", flat=True)) == {0, 3}
    assert GraphitePoint.objects.filter(attempts=3).count() == 300  # the first batch, 3 tries
    # The cut connections did hand over their first lines: those will arrive twice.
    assert 0 < len(cutting.lines) < 300

    good = carbon_with({})
    settings.GRAPHITE_PORT = good.port
    assert graphite.push_outbox(batch_size=300) == 700
    assert good.connections == ["good", "good", "good"]
    assert received(good) == points
    assert set(good.lines.values()) == {1}
    assert not GraphitePoint.objects.exists()


@pytest.mark.django_db
def test_a_carbon_dying_in_the_second_batch_loses_nothing(
    carbon_with: Starter, settings: Any
) -> None:
    points = queue_points(700)
    fake = carbon_with({2: "reset"})
    settings.GRAPHITE_PORT = fake.port
    with pytest.raises(OSError):
        graphite.push_outbox(batch_size=300)
    assert GraphitePoint.objects.count() == 400  # the first batch was confirmed, and only it
    assert graphite.push_outbox(batch_size=300) == 400
    assert fake.connections == ["good", "reset", "good", "good"]
    assert received(fake) == points
    assert not GraphitePoint.objects.exists()


@pytest.mark.django_db
def test_a_carbon_that_never_closes_does_not_confirm_its_batch(
    carbon_with: Starter, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue_points(10)
    monkeypatch.setattr(graphite, "CONFIRM_TIMEOUT_S", 0.5)
    fake = carbon_with({1: "hold"})
    settings.GRAPHITE_PORT = fake.port
    with pytest.raises(TimeoutError, match="did not close the connection within 0.5 s"):
        graphite.push_outbox()
    assert len(fake.lines) == 10  # it read them, but never said so: they are sent again
    assert set(GraphitePoint.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_a_carbon_that_closed_before_the_batch_arrived_does_not_confirm_it(
    carbon_with: Starter, settings: Any
) -> None:
    queue_points(1000)  # far more than the 4 KiB it could take without reading
    fake = carbon_with({1: "closed"})
    settings.GRAPHITE_PORT = fake.port
    with pytest.raises(ConnectionAbortedError, match="before it had the batch"):
        graphite.push_outbox()
    assert GraphitePoint.objects.count() == 1000


@pytest.mark.django_db
def test_a_refused_connection_keeps_the_points_with_the_reason(settings: Any) -> None:
    queue_points(5)
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        settings.GRAPHITE_HOST, settings.GRAPHITE_PORT = unused.getsockname()
        with pytest.raises(ConnectionRefusedError):
            graphite.push_outbox()
    assert set(GraphitePoint.objects.values_list("attempts", "last_error")) == {
        (1, "[Errno 111] Connection refused")
    }
