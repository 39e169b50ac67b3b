"""The virtual users of one share of a load test: their journeys on one warm browser.

Each user runs ``agents.measuring.measure`` on the spec (one page or actors), in a
fresh context of the one browser the share warmed, all of them at once on the pool's thread
(agents.crowd). ``continuous`` users repeat the journey back to back; ``parallel`` users
start each round together, navigate together (agents.start_line) and wait for one another
before the next round (core.load.plan). Each finished journey
becomes an iteration (core.load.iteration) in :attr:`Users.done`, which the share's
reporting thread drains.

Stopping (:meth:`Users.stop`, from any thread) closes every context of the browser within a
fraction of a second, so journeys waiting on their pages end at once; what they were
measuring then is not an iteration and is dropped. A user also stops when the browser it
shares is gone: every journey after that could only fail.
"""

import contextlib
import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

from agents import crowd
from agents.browser import BrowserPool
from agents.engines import DEFAULT, InfrastructureError
from agents.measuring import measure
from agents.start_line import GatedBrowser, StartLine, Ticket
from core.load.iteration import iteration
from core.load.plan import PARALLEL

# The longest a share's rehearsal (Users.rehearse) may take: it warms, it does not measure.
REHEARSAL_MS = 15_000


class _SharedBrowser:
    """The pool as ``measure`` sees it during a load test: always the share's one warm
    browser (never a relaunch: two users relaunching at once would leave one behind), and no
    address-policy proxy report (one proxy serves every user at once, so a run's report would
    hold the others' connections; the proxy still checks every connection)."""

    def __init__(self, pool: BrowserPool, browser: Any, ticket: Ticket | None = None) -> None:
        self._pool = pool
        self._browser = browser
        self._ticket = ticket

    def call(self, func: Callable[..., Any], *args: Any) -> Any:
        return self._pool.call(func, *args)

    def browser(self, dns: dict[str, str] | None = None, name: str = DEFAULT) -> Any:
        if not self._browser.is_connected():
            raise InfrastructureError("the browser the virtual users share is gone")
        if self._ticket is not None:
            return GatedBrowser(self._browser, self._ticket)
        return self._browser

    def proxy(self, dns: dict[str, str] | None = None, name: str = DEFAULT) -> None:
        return None

    @property
    def playwright(self) -> Any:
        return self._pool.playwright

    def leave(self) -> None:
        """The journey is over: a start line no longer waits for it."""
        if self._ticket is not None:
            self._ticket.close()

    def __getattr__(self, name: str) -> Any:  # whatever else a newer measure asks of a pool
        return getattr(self._pool, name)


class Users:
    """``users`` virtual users numbered from ``first_user``, measuring ``spec`` on ``pool``,
    ``kind`` continuous or parallel, for ``seconds`` or ``iterations`` (per user)."""

    def __init__(
        self,
        pool: BrowserPool,
        spec: dict[str, Any],
        *,
        users: int,
        first_user: int = 0,
        kind: str = "continuous",
        seconds: float | None = None,
        iterations: int | None = None,
    ) -> None:
        self.pool = pool
        self.spec = spec
        self.users = users
        self.first_user = first_user
        self.kind = kind
        self.seconds = seconds
        self.iterations = iterations
        self.done: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self.running = 0  # users inside their journeys' loop (written on the pool's thread)
        self.failure = ""  # why the users stopped early, "" when they did not
        self._stop = threading.Event()
        self._browser: Any = None
        self._deadline = float("inf")

    def warm(self) -> None:
        """Launch the browser the users will share (on the pool's thread: ``pool.call``)."""
        setup = self.spec.get("setup") or {}
        self._browser = self.pool.browser(
            setup.get("dns") or {}, self.spec.get("browser") or DEFAULT
        )

    def rehearse(self) -> None:
        """One unmeasured load of the journey's first page on the warm browser (on the
        pool's thread, after :meth:`warm`; its steps are left out and it may take at most
        REHEARSAL_MS): what only a browser's first page costs (its renderer and helper
        processes starting, caches filling) is then paid before the users start, and not by
        their first iterations nor by their memory."""
        if self._browser is None:
            raise RuntimeError("warm the browser first")
        spec = {
            **self.spec,
            "steps": [],
            "run_timeout_ms": min(int(self.spec.get("run_timeout_ms", REHEARSAL_MS)), REHEARSAL_MS),
            "step_timeout_ms": min(
                int(self.spec.get("step_timeout_ms", REHEARSAL_MS)), REHEARSAL_MS
            ),
        }
        try:
            measure(spec, _SharedBrowser(self.pool, self._browser))  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - the users' own journeys will say it again
            if not self._browser.is_connected():
                raise InfrastructureError(f"the browser died in its first journey: {exc}") from exc

    def stop(self, why: str = "") -> None:
        """Stop every user now (any thread); ``why``, when given, is kept as the failure."""
        if why and not self.failure:
            self.failure = why
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def drain(self) -> list[dict[str, Any]]:
        """The iterations finished since the last drain, in order."""
        found = []
        with contextlib.suppress(queue.Empty):
            while True:
                found.append(self.done.get_nowait())
        return found

    def run(self) -> None:
        """Run the users until their seconds or iterations are done or they are stopped (on
        the pool's thread, after :meth:`warm`)."""
        if self._browser is None:
            raise RuntimeError("warm the browser first")
        if self.seconds is not None:
            self._deadline = time.monotonic() + self.seconds
        shared = _SharedBrowser(self.pool, self._browser)
        numbers = range(self.first_user, self.first_user + self.users)
        if self.kind == PARALLEL:
            rounds = 0
            while self._more(rounds):
                line = StartLine(self.users)
                self._together([partial(self._journey, self._at(line), n) for n in numbers])
                rounds += 1
        else:
            self._together([partial(self._loop, shared, n) for n in numbers])

    def _at(self, line: StartLine) -> _SharedBrowser:
        """The pool for one journey of a parallel round: its first navigation waits at
        ``line``."""
        return _SharedBrowser(self.pool, self._browser, Ticket(line, self._stop.is_set))

    def _together(self, jobs: list[Callable[[], None]]) -> None:
        self.running = len(jobs)
        try:
            crowd.together(
                self.pool.playwright, jobs, should_stop=self._stop.is_set, on_stop=self._close
            )
        finally:
            self.running = 0

    def _more(self, done: int) -> bool:
        """Whether a user that has made ``done`` journeys starts another."""
        if self._stop.is_set() or time.monotonic() >= self._deadline:
            return False
        return self.iterations is None or done < self.iterations

    def _loop(self, shared: _SharedBrowser, user: int) -> None:
        done = 0
        while self._more(done):
            self._journey(shared, user)
            done += 1

    def _journey(self, shared: _SharedBrowser, user: int) -> None:
        started = datetime.now(UTC).isoformat()
        began = time.monotonic()
        try:
            result = measure(self.spec, shared).result  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - a journey the agent could not measure
            result = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
        finally:
            shared.leave()
        if self._stop.is_set():
            return  # cut short by the stop: not a measurement
        if not self._browser.is_connected():
            self.stop("the browser the virtual users share stopped during the load test")
            return
        elapsed = (time.monotonic() - began) * 1000
        self.done.put(iteration(result, user=user, started_at=started, duration_ms=elapsed))

    def _close(self) -> None:
        """Close every context of the shared browser: the journeys in them end now."""
        for context in list(self._browser.contexts):
            with contextlib.suppress(Exception):
                context.close()
