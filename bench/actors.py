"""Bench for journeys with actors (issue 14): the wall time of a two-actor run of the demo
site's support chat against the slower of its two actors' journeys run alone.

    python bench/actors.py [--runs 10] [--quiet-ms 2000 500] [--no-write]

The two-actor run: the operator and the visitor, each in its own context of one warm
browser, wait for each other, the operator accepts, the visitor sends a message and the
operator answers, each message held 300 ms by the relay, both measured across the pages. An
actor's journey alone is the same page and the same steps as a one-page run, its counterpart
played by a raw WebSocket client in this process that answers as the other page would (with
the same relay delays), so the alone run waits for the same messages. Variants are
interleaved, in turn first, and each run has a room of its own. The ratio is the two-actor
run's median over the slower alone median, per network-quiet setting (the agent's default,
2000 ms, first).

Prints the figures and writes the "Actors" section of bench/RESULTS.md unless ``--no-write``.
"""

import argparse
import base64
import itertools
import os
import socket
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import commit, setup_django, write_section  # noqa: E402

setup_django()

from agents.measuring import measure  # noqa: E402
from agents.pool import BrowserPool  # noqa: E402
from core.netpolicy import AddressPolicy  # noqa: E402
from core.script import parse_script  # noqa: E402
from core.spec import SpecOptions, build_spec  # noqa: E402
from demosite import websocket  # noqa: E402
from demosite.content import WWW  # noqa: E402
from demosite.server import DemoSite  # noqa: E402

DELAY_MS = 300
TARGET = 1.3
TWO = """
actors:
  operator: /support/operator?room={room}&relay_delay={delay}
  visitor: /support/visitor?room={room}&relay_delay={delay}
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
"""
# Each actor's own steps, as a one-page run (its counterpart: StandIn).
ALONE = {
    "operator": """
- wait_for: '#chat[data-peer="present"]'
- click: "#accept"
- wait_for: {text: "hello operator"}
- fill: {selector: "#message", value: "hello visitor"}
- click: "#send"
""",
    "visitor": """
- wait_for: '#chat[data-peer="present"]'
- wait_for: {text: "Welcome"}
- fill: {selector: "#message", value: "hello operator"}
- click: "#send"
- wait_for: {text: "hello visitor"}
""",
}
# What the stand-in for a role answers to each frame it gets.
ANSWERS = {
    "visitor": {"accept": "message:hello operator"},
    "operator": {"joined:visitor": "accept", "message:hello operator": "message:hello visitor"},
}


class StandIn:
    """The other party of an actor run alone: a raw relay client of ``role`` in ``room``
    that sends what the other page would (ANSWERS) when it gets each frame."""

    def __init__(self, site: DemoSite, room: str, role: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", site.port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /relay?room={room}&role={role}&relay_delay={DELAY_MS} HTTP/1.1\r\n"
                f"Host: {WWW}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        self.stream = self.sock.makefile("rb")
        while self.stream.readline() not in (b"\r\n", b""):
            pass
        self.answers = ANSWERS[role]
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while (frame := websocket.read_frame(self.stream, require_mask=False)) is not None:
                answer = self.answers.get(frame.payload.decode())
                if answer:
                    self.sock.sendall(
                        websocket.encode_frame(websocket.TEXT, answer.encode(), mask=b"perf")
                    )
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        self.sock.shutdown(socket.SHUT_RDWR)  # ends the reader's blocking read
        self.sock.close()
        self.thread.join(5)


def spec_of(site: DemoSite, script: str, url: str, quiet_ms: int) -> dict[str, Any]:
    return build_spec(
        url=url,
        steps=parse_script(script),
        first_party=[],
        dns={},
        block=[],
        options=SpecOptions(quiet_ms=quiet_ms, step_timeout_ms=15_000, run_timeout_ms=60_000),
    )


def run_once(site: DemoSite, pool: BrowserPool, variant: str, quiet_ms: int, room: str) -> float:
    """Seconds of one run of ``variant`` (``two`` or an actor alone), checked to succeed."""
    stand_in = None
    if variant == "two":
        script = TWO.replace("{room}", room).replace("{delay}", str(DELAY_MS))
        spec = spec_of(site, script, site.url("/"), quiet_ms)
    else:
        other = "visitor" if variant == "operator" else "operator"
        stand_in = StandIn(site, room, other)
        url = site.url(f"/support/{variant}?room={room}&relay_delay={DELAY_MS}")
        spec = spec_of(site, ALONE[variant], url, quiet_ms)
    try:
        start = time.perf_counter()
        result = measure(spec, pool).result
        seconds = time.perf_counter() - start
    finally:
        if stand_in is not None:
            stand_in.close()
    assert result["status"] == "succeeded", (variant, result["error"])
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--quiet-ms", type=int, nargs="+", default=[2000, 500])
    parser.add_argument("--no-write", action="store_true", help="do not touch RESULTS.md")
    args = parser.parse_args()
    load = os.getloadavg()
    site = DemoSite().start()
    pool = BrowserPool(policy=AddressPolicy.parse(["127.0.0.0/8"]))
    variants = ("two", "operator", "visitor")
    rooms = (f"bench-{n}" for n in itertools.count())
    seconds: dict[tuple[int, str], list[float]] = {}
    try:
        for variant in variants:  # warm every path once
            run_once(site, pool, variant, args.quiet_ms[-1], next(rooms))
        for quiet in args.quiet_ms:
            for index in range(args.runs):
                turn = variants[index % 3 :] + variants[: index % 3]
                for variant in turn:
                    took = run_once(site, pool, variant, quiet, next(rooms))
                    seconds.setdefault((quiet, variant), []).append(took)
    finally:
        pool.close()
        site.stop()
    ratios = {}
    lines = [
        f"Command: `python bench/actors.py --runs {args.runs}` at commit {commit()} (demo "
        f"site's support chat on loopback, {DELAY_MS} ms relay delay each way; one warm "
        "Chromium; variants interleaved, a room each).",
        "",
        "| network quiet | two actors median s | operator alone median s | visitor alone "
        "median s | ratio to the slower alone |",
        "|---|---|---|---|---|",
    ]
    for quiet in args.quiet_ms:
        medians = {v: statistics.median(seconds[(quiet, v)]) for v in variants}
        slower = max(medians["operator"], medians["visitor"])
        ratios[quiet] = medians["two"] / slower
        lines.append(
            f"| {quiet} ms | {medians['two']:.3f} | {medians['operator']:.3f} | "
            f"{medians['visitor']:.3f} | {medians['two'] / slower:.3f}x |"
        )
    verdict = ", ".join(
        f"{'met' if ratio <= TARGET else 'not met'} at {quiet} ms quiet ({ratio:.2f}x)"
        for quiet, ratio in ratios.items()
    )
    lines += [
        "",
        f"Target: a two-actor run costs at most {TARGET}x the wall time of the slower actor's "
        f"journey run alone: {verdict}. What the second actor adds is browser work: its "
        "context, its first page (loaded after the first actor's, so each page's metrics are "
        "its own), its own steps (in the order written: the alone run's counterpart is a raw "
        "WebSocket client answering at once, not a page clicking), and closing its context "
        "(its HAR). The relay's delays and the network quiet are waited once either way, so "
        "the ratio falls as the machine's browser work gets cheaper and rises with its load: "
        "on a 2-core machine that others load, each of those browser calls takes several "
        "times as long as on an idle one.",
        "",
        f"Load average {load[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
        f"({os.cpu_count()} CPUs, shared).",
    ]
    print("\n".join(lines))
    if not args.no_write:
        write_section("Actors", "\n".join(lines))


if __name__ == "__main__":
    main()
