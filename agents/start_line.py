"""The start line of a parallel round: each user's journey opens its context and page, then
waits there, and all of them navigate together once every user of the round has arrived.

"N start at once" means N requests reach the site at once. Opening a context, its page and
their DevTools sessions takes a user a moment on the shared Playwright thread, and N of them
one after the other would spread the first requests over seconds (on two busy cores, eight
users' first requests were up to three seconds apart, so the first had its answer before the
last was sent). Waiting before the first navigation, not in it, keeps that wait out of every
timing: the page's clock starts when its navigation does.

``agents.browser.measure`` is not changed for this: a user's journey gets the browser
through :class:`GatedBrowser`, whose contexts hand out pages whose first ``goto`` waits at
the line; everything else is the real Playwright objects'.
"""

import time
from typing import Any

WAIT_STEP_MS = 10
MAX_WAIT_S = 60.0  # a user that never arrives (its context failed) does not hold the rest


class StartLine:
    """Where ``users`` journeys meet before their first navigation."""

    def __init__(self, users: int) -> None:
        self.expected = users
        self.arrived = 0

    def leave(self) -> None:
        """A journey that ended without navigating: the others no longer wait for it."""
        self.expected -= 1

    def wait(self, page: Any, stopped: Any) -> None:
        """Arrive, and wait (yielding to the other users: ``page.wait_for_timeout``) until
        every expected journey has, ``stopped()`` says so, or MAX_WAIT_S have passed."""
        self.arrived += 1
        deadline = time.monotonic() + MAX_WAIT_S
        while self.arrived < self.expected and not stopped() and time.monotonic() < deadline:
            page.wait_for_timeout(WAIT_STEP_MS)


class Ticket:
    """One journey's place at the line: used by its first navigation only."""

    def __init__(self, line: StartLine, stopped: Any) -> None:
        self.line = line
        self.stopped = stopped
        self.used = False

    def use(self, page: Any) -> None:
        if not self.used:
            self.used = True
            self.line.wait(page, self.stopped)

    def close(self) -> None:
        """At the journey's end: if it never navigated, the line stops waiting for it."""
        if not self.used:
            self.used = True
            self.line.leave()


class _Page:
    def __init__(self, page: Any, ticket: Ticket) -> None:
        self._page = page
        self._ticket = ticket

    def goto(self, *args: Any, **kwargs: Any) -> Any:
        self._ticket.use(self._page)
        return self._page.goto(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._page, name)


def _real(page: Any) -> Any:
    return page._page if isinstance(page, _Page) else page


class _Context:
    def __init__(self, context: Any, ticket: Ticket) -> None:
        self._context = context
        self._ticket = ticket

    def new_page(self) -> _Page:
        return _Page(self._context.new_page(), self._ticket)

    def new_cdp_session(self, page: Any) -> Any:
        return self._context.new_cdp_session(_real(page))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


class GatedBrowser:
    """``browser`` as one journey of a parallel round sees it: its pages' first navigation
    waits at the round's start line (``ticket``)."""

    def __init__(self, browser: Any, ticket: Ticket) -> None:
        self._browser = browser
        self._ticket = ticket

    def new_context(self, *args: Any, **kwargs: Any) -> _Context:
        return _Context(self._browser.new_context(*args, **kwargs), self._ticket)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)
