"""Many journeys at once on one Playwright thread: each virtual user in a greenlet of its own.

Playwright's sync API waits for each call by handing the thread to its dispatcher fiber, the
greenlet that runs the event loop, until the call's answer comes (``wait_for_future`` in
playwright/_impl/_greenlets.py); that is how its own event handlers may block in sync calls.
A journey started in a greenlet whose parent is the dispatcher does the same: while one
waits for its page, the loop serves the others. So ``agents.browser.measure`` runs unchanged
for every user, all sharing one Playwright driver and one browser of the pool (a context
each), on the pool's one thread; no thread, no driver and no browser per user.

Measured against the alternatives the brief named (bench/load.py, bench/RESULTS.md, "Load
mode"): a thread per user, each with its own Playwright connected over CDP to one shared
Chromium, costs a driver process per user and contends for the GIL; the async API would need
a second copy of the measurement. It works the same for Firefox, which has no CDP endpoint to
share: its users share one Firefox too.

This module does not import Playwright: it uses the loop and dispatcher of the pool's running
Playwright (``_loop``, ``_dispatcher_fiber``, ``_sync``: the machinery above), which it was
written against (Playwright 1.65); bench/load.py and tests/agents/test_crowd.py run it.
"""

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from greenlet import greenlet

log = logging.getLogger(__name__)

Job = Callable[[], None]


def _start(job: Job) -> "asyncio.Future[None]":
    """Start ``job`` in a greenlet whose parent is the running dispatcher (the caller: this
    runs in the event loop); it runs until its first wait. The future settles when it ends."""
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def body() -> None:
        try:
            job()
        except BaseException as exc:  # handed to the awaiting crowd, which logs it
            future.set_exception(exc)
        else:
            future.set_result(None)

    greenlet(body).switch()
    return future


async def _crowd(
    jobs: Sequence[Job], should_stop: Callable[[], bool], on_stop: Job, every: float
) -> list[BaseException]:
    running = [_start(job) for job in jobs]
    stopped = False
    while True:
        done, pending = await asyncio.wait(running, timeout=every)
        if not pending:
            break
        if not stopped and should_stop():
            stopped = True
            try:
                await _start(on_stop)  # may make sync calls: a greenlet of its own
            except Exception as exc:  # the users still end, at their own timeouts
                log.warning("could not stop the virtual users at once: %s", exc)
    errors = [future.exception() for future in running]
    return [error for error in errors if error is not None]


def together(
    playwright: Any,
    jobs: Sequence[Job],
    *,
    should_stop: Callable[[], bool] = lambda: False,
    on_stop: Job = lambda: None,
    every: float = 0.2,
) -> list[BaseException]:
    """Run ``jobs`` at once, each in its own greenlet, on the thread of ``playwright`` (a
    running sync Playwright: call this on its thread, e.g. inside ``BrowserPool.call``), and
    return once every one has returned, with the exceptions of those that raised.

    Every ``every`` seconds ``should_stop()`` is asked; the first time it says yes,
    ``on_stop()`` runs once (in a greenlet, so it may call Playwright: e.g. close the users'
    contexts, so that journeys waiting on their pages end now rather than at their timeouts).
    The jobs must wait only through Playwright (``page.wait_for_timeout``, never
    ``time.sleep``): a job that blocks the thread blocks them all.
    """
    if not jobs:
        return []
    errors: list[BaseException] = playwright._sync(_crowd(jobs, should_stop, on_stop, every))
    for exc in errors:
        log.warning("a virtual user stopped on an error: %s: %s", type(exc).__name__, exc)
    return errors
