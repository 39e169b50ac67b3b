"""One measurement in any browser: the run itself, in a fresh context of a warm browser.

``measure()`` opens a fresh context (cold cache) on a warm browser of an agents.pool pool,
with HAR recording, runs the steps, waits for network quiet, closes the context and only then
assembles the result. Which browsers stay warm, and on which thread they are driven, is the
pool's business; it starts and stops them with ``start_playwright``, ``launch`` and
``shut_down``. What differs between browsers (where each is, how it launches and maps
hosts, its DevTools session, what it can measure) is its engine's (agents.engines); a
browser without DevTools gets ``_PageOnly`` in its place, and what it cannot measure is left
out of the result with the reason (core.result.absent). The pieces of a run (open a page's
context, open its first page, do a step, turn the browser's errors into the run's status,
finish and close the page) are public: a run with actors (agents.actors) is made of the same,
one page per actor. No ORM here: callers write the result afterwards.
"""

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, TypeVar

from playwright.sync_api import (
    Browser,
    BrowserContext,
    CDPSession,
    Page,
    Playwright,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from agents.cdp import CdpError, CdpSession
from agents.context_options import blocked, context_options
from agents.emulation import Emulation, apply_profile, refuse_profile
from agents.engines import DEFAULT, InfrastructureError, engine
from agents.filmstrip import Limits, Screencast, archive, develop_capture
from agents.journey import NAVIGATING, Journey, StepFailed, describe, now_ms, wait_quiet
from agents.js_values import page_error, page_value, settled
from agents.page_counters import PageCounters
from agents.proxy_errors import explain_run
from agents.proxy_lookup import restore_lookup_time
from agents.proxy_process import ProxyProcess
from agents.recording import Recording
from core.result.absent import unavailable
from core.result.build import build_result
from core.visual.filmstrip import Capture

T = TypeVar("T")


class BrowserPool(Protocol):
    """What ``measure`` needs of agents.pool.BrowserPool, which imports this module (so this
    module names the shape, not the class)."""

    def call(self, func: Callable[..., T], *args: Any) -> T: ...

    def browser(self, dns: dict[str, str] | None = None, name: str = DEFAULT) -> Browser: ...

    def proxy(
        self, dns: dict[str, str] | None = None, name: str = DEFAULT
    ) -> ProxyProcess | None: ...

    @property
    def playwright(self) -> Playwright | None: ...


COLLECTOR_JS = (Path(__file__).with_name("collector.js")).read_text()


def start_playwright() -> Playwright:
    """Start Playwright in the calling thread, which must make every later call on it."""
    return sync_playwright().start()


def pool_key(browser: str, dns: dict[str, str]) -> str:
    """The key a pool keeps one browser process per: the engine, and the DNS map (a process
    applies one map to all its pages)."""
    return f"{browser} " + ", ".join(
        f"MAP {host} {address}" for host, address in sorted(dns.items())
    )


def launch(
    playwright: Playwright,
    browser: str,
    dns: dict[str, str],
    executable_path: str,
    headless: bool,
    proxy_port: int | None = None,
) -> Browser:
    """A quiet ``browser`` (engine name) resolving hosts by ``dns``, through the proxy on
    ``proxy_port`` when given (agents.engines.<browser>.launch). Raises BrowserNotFound when
    it is not on this machine, InfrastructureError when it fails to start."""
    launcher = engine(browser).launch
    return launcher(playwright, dns, executable_path, headless, proxy_port=proxy_port)  # type: ignore[no-any-return]


def shut_down(browsers: Iterable[Browser], playwright: Playwright | None) -> None:
    """Close ``browsers`` (one that already died is skipped) and stop ``playwright``."""
    for browser in browsers:
        with contextlib.suppress(PlaywrightError):
            browser.close()
    if playwright is not None:
        playwright.stop()


class _PageOnly:
    """The session of a browser without DevTools (Firefox, WebKit): values are evaluated
    through Playwright (a promise still gets its timeout; an endless loop is stopped by the
    browser's own slow-script limit), and every other command is refused with the reason,
    so the metrics that need it are absent with that reason, never zero."""

    def __init__(self, page: Page, label: str) -> None:
        self._page = page
        self._label = label

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        if method != "Runtime.evaluate" or not params:
            raise CdpError(f"{self._label} has no DevTools session")
        try:
            reply = self._page.evaluate(settled(str(params["expression"])))
        except PlaywrightError as exc:
            return page_error(_first_line(exc))
        if "thrown" in reply:
            return page_error(str(reply["thrown"]))
        value = reply.get("value")
        return {"result": page_value(value)}


class _Cdp:
    """A Playwright DevTools session of ``page`` in the shape the page modules use
    (agents.cdp).

    A renderer that crashed never answers a command, and Playwright would wait for ever: none
    is sent once ``recording`` knows of the crash, and one in flight when the crash comes is
    released by closing the page.
    """

    def __init__(self, session: CDPSession, page: Page, recording: Recording) -> None:
        self._session = session
        self._recording = recording
        self._busy = False
        page.on("crash", self._crashed)  # after recording.crash, which the caller added

    def _crashed(self, page: Page) -> None:
        if self._busy:
            with contextlib.suppress(PlaywrightError):
                page.close()

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        if self._recording.crashed:
            raise CdpError("the page's renderer crashed")
        self._busy = True
        try:
            return self._session.send(method, params)
        except PlaywrightError as exc:
            raise CdpError(_first_line(exc)) from exc
        finally:
            self._busy = False


def _snapshot(page: Page, recording: Recording) -> None:
    """Keep the collector's snapshot of the page's current document."""
    # A document going away cannot be read: its last snapshot stands.
    with contextlib.suppress(PlaywrightError):
        recording.keep_snapshot(
            page.evaluate("() => window.__perfite && window.__perfite.snapshot()")
        )


def _block(context: BrowserContext, patterns: list[str]) -> None:
    if patterns:
        context.route(
            lambda url: blocked(url, patterns), lambda route: route.abort("blockedbyclient")
        )


@dataclass
class Measurement:
    result: dict[str, Any]
    har: dict[str, Any] | None
    screenshot: bytes | None = None  # JPEG of the viewport as the run ended
    filmstrip: bytes | None = None  # its frames while the page loaded (core.visual.archive)


def _screenshot(page: Page, spec: dict[str, Any]) -> tuple[bytes | None, str | None]:
    """The viewport once the run is over (measurement done, so it cannot move a metric); also
    for a failed run, where it shows what the browser was left with (its error page).

    Returns (JPEG, None), or (None, why not) when one was wanted and could not be taken: a
    failed navigation leaves the browser loading its error page, and a screenshot taken in
    that moment can fail, so it waits for that page and tries twice.
    """
    if not spec.get("screenshot", True):
        return None, None
    if page.is_closed():
        return None, "no screenshot: the page was closed"
    why = ""
    for _ in range(2):
        with contextlib.suppress(PlaywrightError):
            page.wait_for_load_state("load", timeout=5000)
        try:
            shot = page.screenshot(type="jpeg", quality=60, timeout=10_000, animations="disabled")
            return shot, None
        except PlaywrightError as exc:
            why = _first_line(exc)
    return None, f"no screenshot: {why}"


def measure(spec: dict[str, Any], pool: BrowserPool) -> Measurement:
    """Measure one scenario spec (see Scenario.spec) in a fresh context of a warm browser.

    Page errors (HTTP >= 400 on the first document, a selector that never appears, an
    unreachable host, an address the policy refuses) give a result with status ``failed`` or
    ``timed_out`` and the browser's error. A crashed or closed browser, a crash of the page's
    renderer process, or a stopped address-policy proxy raises InfrastructureError (worth a
    retry).
    Safe to call from a thread that uses the ORM: the browser work runs on the pool's thread.
    """
    return pool.call(_measure, spec, pool)


def begin_run(
    spec: dict[str, Any], pool: BrowserPool
) -> tuple[float, int, float, str, ModuleType, Browser, ProxyProcess | None]:
    """What a run (one page or actors) starts from: the step timeout (ms), the network quiet
    (ms), the run's deadline (time.monotonic), the browser's name and engine module, its warm
    browser and its address-policy proxy (None without one), the proxy's earlier report
    dropped: an earlier run's connections are not this run's."""
    setup = spec.get("setup") or {}
    step_timeout = float(spec.get("step_timeout_ms", 30_000))
    quiet_ms = int(spec.get("quiet_ms", 2000))
    deadline = time.monotonic() + float(spec.get("run_timeout_ms", 120_000)) / 1000
    name = str(spec.get("browser") or DEFAULT)
    browser = pool.browser(setup.get("dns") or {}, name)
    proxy = pool.proxy(setup.get("dns") or {}, name)
    if proxy is not None:
        proxy.take_report()
    return step_timeout, quiet_ms, deadline, name, engine(name), browser, proxy


def _measure(spec: dict[str, Any], pool: BrowserPool) -> Measurement:
    step_timeout, quiet_ms, deadline, name, kind, browser, proxy = begin_run(spec, pool)
    workdir = tempfile.mkdtemp(prefix="perfite-")
    har_path = os.path.join(workdir, "run.har")
    started_at = datetime.now(UTC).isoformat()
    try:
        opened = open_page(browser, spec, pool, har_path, deadline)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    page, recording, journey = opened.page, opened.recording, opened.journey
    outcome = Outcome("failed", opened.refused) if opened.refused else Outcome()
    try:
        with page_errors(outcome, browser, lambda: recording.crashed):
            if outcome.status == "succeeded":
                timeout = remaining_ms(step_timeout, deadline)
                if problem := first_navigation(opened, spec["url"], timeout):
                    outcome.status, outcome.error = "failed", problem
            for step in spec.get("steps") or [] if outcome.status == "succeeded" else []:
                run_step(opened, step, remaining_ms(step_timeout, deadline))
            if outcome.status == "succeeded":
                wait_quiet(page, recording, quiet_ms, deadline)
        capture, screenshot, screenshot_error = finish_page(opened, spec)
    finally:
        close_page(opened)
    status, error = outcome.status, outcome.error
    finished_at = datetime.now(UTC).isoformat()
    har = read_har(har_path)
    shutil.rmtree(workdir, ignore_errors=True)
    if recording.crashed:
        raise InfrastructureError(f"the page's renderer crashed: {error or 'during the run'}")
    if proxy is not None:
        report = proxy.take_report()
        if not proxy.alive():  # every connection after it died failed: not the site's fault
            raise InfrastructureError("the address-policy proxy stopped during the run")
        error = explain_run(report.failures, har, recording.wire.values(), error)
        first = recording.snapshots[min(recording.snapshots)] if recording.snapshots else None
        restore_lookup_time(first, report.lookup_ms)
    opened.emulation.delay_documents(recording.snapshots)
    snapshots = sorted(recording.snapshots.values(), key=lambda s: s["timeOrigin"])
    film = develop_capture(capture, snapshots, status) if capture is not None else None
    result = build_result(
        spec=spec,
        status=status,
        error=error,
        started_at=started_at,
        finished_at=finished_at,
        browser_version=browser.version,
        browser=name,
        unavailable=unavailable(kind.LABEL, kind.CAPABILITIES),
        har=har,
        snapshots=snapshots,
        wire=list(recording.wire.values()),
        ws_events=recording.ws_events,
        marks=[m for m in journey.marks if m["end"] is not None],
        actions=recording.actions,
        counters=opened.counters.report(),
        values=journey.values,
        filmstrip=film,
    )
    if screenshot_error:
        result["screenshot_error"] = screenshot_error
    return Measurement(result=result, har=har, screenshot=screenshot, filmstrip=archive(film))


@dataclass
class OpenPage:
    """One context of a run, open on its page, with what records it and drives it (a
    one-page run has one; agents.actors opens one per actor). ``refused`` says why its page
    may not be measured (a profile its browser cannot apply), None when it may."""

    context: BrowserContext
    page: Page
    recording: Recording
    cdp: CdpSession
    counters: PageCounters
    journey: Journey
    emulation: Emulation
    screencast: Screencast | None
    refused: str | None


def open_page(
    browser: Browser,
    spec: dict[str, Any],
    pool: BrowserPool,
    har_path: str,
    deadline: float,
) -> OpenPage:
    """A fresh context of ``browser`` (cold cache) set up as ``spec`` says, recording its HAR
    to ``har_path``, its collector and counters on, on a page not navigated yet; its journey
    resolves relative URLs against ``spec["url"]`` within ``deadline`` (time.monotonic).
    Raises InfrastructureError when no context can be opened; the caller closes the one
    returned. A failure while setting it up closes it and propagates."""
    kind = engine(str(spec.get("browser") or DEFAULT))
    setup = spec.get("setup") or {}
    recording = Recording()
    try:
        context = browser.new_context(
            record_har_path=har_path,
            record_har_mode="full",
            record_har_content=spec.get("har_content", "omit"),
            service_workers="block",
            **context_options(spec, pool.playwright.devices if pool.playwright else {}),
        )
    except PlaywrightError as exc:
        raise InfrastructureError(f"could not open a browser context: {exc}") from exc
    try:
        context.expose_binding("__perfiteReport", recording.report)
        context.add_init_script(script=COLLECTOR_JS)
        if setup.get("cookies"):
            context.add_cookies(
                [
                    {"name": c["name"], "value": c["value"], "url": spec["url"]}
                    if not c.get("domain")
                    else {
                        "name": c["name"],
                        "value": c["value"],
                        "domain": c["domain"],
                        "path": "/",
                    }
                    for c in setup["cookies"]
                ]
            )
        _block(context, list(setup.get("block") or []))
        page = context.new_page()
        page.on("crash", recording.crash)
        session = kind.devtools(context, page)
        refused = None
        if session is not None:
            recording.track_wire(session)
            emulation = apply_profile(session, spec.get("profile"))  # before the first navigation
            cdp: CdpSession = _Cdp(session, page, recording)  # for the counters and values too
        else:
            emulation, refused = refuse_profile(kind.LABEL, spec.get("profile"))
            cdp = _PageOnly(page, kind.LABEL)
        recording.track_network(page)
        counters = PageCounters(cdp)
        quiet_ms = int(spec.get("quiet_ms", 2000))
        journey = Journey(page, cdp, counters, recording, spec["url"], quiet_ms, deadline)
        counters.start(now_ms())
        screencast = _screencast(context, page, spec) if session is not None else None
    except BaseException:
        with contextlib.suppress(PlaywrightError):
            context.close()
        raise
    return OpenPage(
        context, page, recording, cdp, counters, journey, emulation, screencast, refused
    )


def first_navigation(opened: OpenPage, url: str, timeout: float, who: str = "") -> str | None:
    """Open ``url`` on ``opened``'s fresh page and wait for its load event: None, or why the
    run failed (HTTP >= 400 for the document). ``who`` (an actor) starts every error."""
    prefix = f"{who}: " if who else ""
    try:
        response = opened.page.goto(url, wait_until="load", timeout=timeout)
    except PlaywrightError as exc:
        if not who:
            raise
        raise type(exc)(f"{prefix}{_first_line(exc)}") from exc
    if response is not None and response.status >= 400:
        return f"{prefix}HTTP {response.status} for {url}"
    return None


def close_page(opened: OpenPage) -> None:
    """Close ``opened``'s context (Playwright then writes its HAR); one already gone is."""
    with contextlib.suppress(PlaywrightError):
        opened.context.close()


def remaining_ms(step_timeout: float, deadline: float) -> float:
    """A wait's limit in ms: ``step_timeout``, or what is left before ``deadline``."""
    return min(step_timeout, max((deadline - time.monotonic()) * 1000, 1))


def run_step(
    opened: OpenPage,
    step: dict[str, Any],
    timeout: float,
    act: Callable[[dict[str, Any], float], None] | None = None,
) -> None:
    """Do ``step`` on ``opened``'s page with ``act`` (its journey's ``run`` unless given),
    and record it as done; an error names the step (journey.describe)."""
    if step["action"] in NAVIGATING:
        _snapshot(opened.page, opened.recording)
        opened.counters.sample("navigate", now_ms())
    start = now_ms()
    try:
        (act or opened.journey.run)(step, timeout)
    except (PlaywrightError, TimeoutError, StepFailed) as exc:
        raise type(exc)(f"{describe(step)}: {_first_line(exc)}") from exc
    opened.recording.actions.append(
        {
            "action": step["action"],
            "line": step.get("line"),
            "start": start,
            "end": now_ms(),
        }
    )


@dataclass
class Outcome:
    """How a run ended: ``succeeded``, ``failed`` or ``timed_out``, and the browser's error."""

    status: str = "succeeded"
    error: str | None = None


@contextlib.contextmanager
def page_errors(outcome: Outcome, browser: Browser, crashed: Callable[[], bool]) -> Iterator[None]:
    """Turn a page's errors in the block into ``outcome``: a time-out (a wait of the
    browser's or ours, TimeoutError) is ``timed_out``, any other browser error (or a
    StepFailed) ``failed``.
    A closed page, context or browser, or a browser that went away, raises
    InfrastructureError, unless ``crashed()`` (a renderer crash, which the caller reports)."""
    try:
        yield
    except (PlaywrightTimeout, TimeoutError) as exc:
        outcome.status, outcome.error = "timed_out", _first_line(exc)
    except PlaywrightError as exc:
        # A crashed page may have been closed (_Cdp): that is reported as the crash, below.
        if not crashed() and (
            "Target page, context or browser has been closed" in str(exc)
            or not browser.is_connected()
        ):
            raise InfrastructureError(f"browser died during the run: {exc}") from exc
        outcome.status, outcome.error = "failed", _first_line(exc)
    except StepFailed as exc:
        outcome.status, outcome.error = "failed", _first_line(exc)


def finish_page(
    opened: OpenPage, spec: dict[str, Any]
) -> tuple[Capture | None, bytes | None, str | None]:
    """Stop recording ``opened``'s page: ``(its filmstrip's capture, screenshot, why no
    screenshot)``, its last collector snapshot and counter sample kept. The caller closes
    the context."""
    capture = opened.screencast.stop() if opened.screencast is not None else None
    # A renderer crash reaches the steps first as their own error (a goto aborted with
    # net::ERR_ABORTED, "Page crashed"), and the crash event follows; this evaluation
    # fails on a crashed page only once the event has come.
    _snapshot(opened.page, opened.recording)
    opened.counters.sample("end", now_ms())
    screenshot, screenshot_error = _screenshot(opened.page, spec)
    return capture, screenshot, screenshot_error


def read_har(path: str) -> dict[str, Any] | None:
    """The HAR Playwright wrote to ``path`` once its context closed; None when it did not."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return None


def _screencast(context: BrowserContext, page: Page, spec: dict[str, Any]) -> Screencast | None:
    """Frames of the page from now on (agents.filmstrip) on a DevTools session of their own,
    unless the spec says ``"filmstrip": false``."""
    if not spec.get("filmstrip", True):
        return None
    screencast = Screencast(context.new_cdp_session(page), Limits.from_settings())
    screencast.start()
    return screencast


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
