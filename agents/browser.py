"""The only module that imports Playwright: everything Perfite does to a Chromium.

``measure()`` opens a fresh context (cold cache) on a warm browser of an agents.pool pool,
with HAR recording, runs the steps, waits for network quiet, closes the context and only then
assembles the result. Which browsers stay warm, and on which thread they are driven, is the
pool's business; it starts and stops them with ``start_playwright``, ``launch`` and
``shut_down``. No ORM here: callers write the result afterwards.
"""

import contextlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import urljoin, urlsplit

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from agents.context_options import blocked, context_options
from agents.proxy_errors import explain
from agents.proxy_process import ProxyProcess
from core.netpolicy import canonical_host
from core.result.build import build_result

T = TypeVar("T")


class BrowserPool(Protocol):
    """What ``measure`` needs of agents.pool.BrowserPool, which imports this module (so this
    module names the shape, not the class)."""

    def call(self, func: Callable[..., T], *args: Any) -> T: ...

    def browser(self, dns: dict[str, str] | None = None) -> Browser: ...

    def proxy(self, dns: dict[str, str] | None = None) -> ProxyProcess | None: ...

    @property
    def playwright(self) -> Playwright | None: ...


COLLECTOR_JS = (Path(__file__).with_name("collector.js")).read_text()
DEBIAN_CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# Flags for a quiet, reproducible browser: no background traffic polluting the HAR.
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--metrics-recording-only",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
]


class BrowserNotFound(RuntimeError):
    """No Chromium could be found; the message says how to get one."""


class InfrastructureError(RuntimeError):
    """The browser itself failed (crash, closed): worth a retry, unlike a page error."""


def find_chromium(explicit: str = "") -> str | None:
    """Path of the Chromium to launch: the explicit setting, then Debian's, then None (meaning
    Playwright's own download, if ``playwright install chromium`` was run)."""
    if explicit:
        if not (os.path.isfile(explicit) and os.access(explicit, os.X_OK)):
            raise BrowserNotFound(f"PERFITE_BROWSER_PATH={explicit} is not an executable file")
        return explicit
    for candidate in DEBIAN_CHROMIUM:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def host_resolver_rules(dns: dict[str, str]) -> str:
    """Chromium's ``--host-resolver-rules`` value for ``dns`` (host -> address); "" for none.
    Also the key a pool keeps one browser per (the rules apply to a whole browser process)."""
    return ", ".join(f"MAP {host} {address}" for host, address in sorted(dns.items()))


def start_playwright() -> Playwright:
    """Start Playwright in the calling thread, which must make every later call on it."""
    return sync_playwright().start()


def proxy_args(port: int) -> list[str]:
    """Flags sending every connection of the browser through the address-policy proxy on
    ``port`` (agents.proxy), which resolves the names (SOCKS5 resolves on the proxy's side)."""
    return [
        f"--proxy-server=socks5://127.0.0.1:{port}",
        # Chromium sends localhost and loopback addresses around a proxy unless told not to.
        "--proxy-bypass-list=<-loopback>",
        # Nothing resolved by the browser itself: a name it looked up could not be connected
        # to anyway, every connection goes through the proxy, which resolves it.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        # WebRTC may otherwise send UDP around the proxy, to any address.
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    ]


def launch(
    playwright: Playwright,
    rules: str,
    executable_path: str,
    headless: bool,
    proxy_port: int | None = None,
) -> Browser:
    """A quiet Chromium (CHROMIUM_ARGS) connecting through the proxy on ``proxy_port`` (which
    applies the DNS map itself), or directly, resolving hosts by ``rules``, without one.
    Raises BrowserNotFound when there is no Chromium, InfrastructureError when it fails to
    start."""
    args = list(CHROMIUM_ARGS)
    if proxy_port is not None:
        args += proxy_args(proxy_port)
    elif rules:
        args.append(f"--host-resolver-rules={rules}")
    executable = find_chromium(executable_path)
    try:
        return playwright.chromium.launch(executable_path=executable, headless=headless, args=args)
    except PlaywrightError as exc:
        if executable is None and "Executable doesn't exist" in str(exc):
            raise BrowserNotFound(
                "No Chromium found: install Debian's `chromium` (apt-get install chromium), "
                "set PERFITE_BROWSER_PATH, or run `playwright install chromium`."
            ) from exc
        raise InfrastructureError(f"browser failed to start: {exc}") from exc


def shut_down(browsers: Iterable[Browser], playwright: Playwright | None) -> None:
    """Close ``browsers`` (one that already died is skipped) and stop ``playwright``."""
    for browser in browsers:
        with contextlib.suppress(PlaywrightError):
            browser.close()
    if playwright is not None:
        playwright.stop()


@dataclass
class _Collected:
    """What a run gathers while the page is open; turned into a result afterwards."""

    snapshots: dict[float, dict[str, Any]] = field(default_factory=dict)
    ws_events: list[dict[str, Any]] = field(default_factory=list)
    wire: dict[str, dict[str, Any]] = field(default_factory=dict)
    marks: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    inflight: int = 0
    last_activity: float = field(default_factory=time.monotonic)
    crashed: bool = False  # the page's renderer died: the machine failed, not the site

    def crash(self, _page: Page) -> None:
        self.crashed = True

    def snapshot(self, page: Page) -> None:
        try:
            snap = page.evaluate("() => window.__perfite && window.__perfite.snapshot()")
        except PlaywrightError:
            return  # the document is going away; its last snapshot stands
        if snap:
            self.snapshots[float(snap["timeOrigin"])] = snap


def _now_ms() -> float:
    return time.time() * 1000.0


def _wire_tracking(context: BrowserContext, page: Page, collected: _Collected) -> None:
    """CDP records per request, in request order: the exact bytes Chromium received."""
    cdp = context.new_cdp_session(page)

    def sent(event: dict[str, Any]) -> None:
        if event.get("redirectResponse"):
            return
        collected.wire[event["requestId"]] = {"url": event["request"]["url"], "encoded_bytes": -1}

    def finished(event: dict[str, Any]) -> None:
        record = collected.wire.get(event["requestId"])
        if record is not None:
            record["encoded_bytes"] = int(event.get("encodedDataLength", -1))

    def failed(event: dict[str, Any]) -> None:
        record = collected.wire.get(event["requestId"])
        if record is not None:
            record["failed"] = True
            record["error"] = event.get("errorText") or "failed"

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.loadingFailed", failed)
    cdp.send("Network.enable")


def _track_network(page: Page, collected: _Collected) -> None:
    def started(_: Any) -> None:
        collected.inflight += 1
        collected.last_activity = time.monotonic()

    def ended(_: Any) -> None:
        collected.inflight = max(collected.inflight - 1, 0)
        collected.last_activity = time.monotonic()

    page.on("request", started)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)


def _block(context: BrowserContext, patterns: list[str]) -> None:
    if patterns:
        context.route(
            lambda url: blocked(url, patterns), lambda route: route.abort("blockedbyclient")
        )


def wait_quiet(page: Page, collected: _Collected, quiet_ms: int, deadline: float) -> None:
    """Return once no request has been in flight for ``quiet_ms``; raise at ``deadline``."""
    while True:
        idle_for = (time.monotonic() - collected.last_activity) * 1000
        if collected.inflight == 0 and idle_for >= quiet_ms:
            return
        if time.monotonic() >= deadline:
            raise PlaywrightTimeout(f"network never went quiet for {quiet_ms} ms")
        page.wait_for_timeout(min(50, max(quiet_ms - idle_for, 10)))


NAVIGATING = {"navigate", "click", "press", "select"}


def _run_step(
    page: Page,
    step: dict[str, Any],
    base_url: str,
    timeout: float,
    collected: _Collected,
    quiet_ms: int,
    deadline: float,
) -> None:
    action = step["action"]
    if action == "navigate":
        page.goto(urljoin(base_url, step["url"]), wait_until="load", timeout=timeout)
    elif action == "click":
        page.click(step["selector"], timeout=timeout)
    elif action == "fill":
        page.fill(step["selector"], step["value"], timeout=timeout)
    elif action == "press":
        if step.get("selector"):
            page.press(step["selector"], step["key"], timeout=timeout)
        else:
            page.keyboard.press(step["key"])
    elif action == "select":
        page.select_option(step["selector"], step["value"], timeout=timeout)
    elif action == "wait_for":
        if step.get("selector"):
            page.wait_for_selector(step["selector"], timeout=timeout)
        elif step.get("network_idle"):
            wait_quiet(
                page,
                collected,
                min(quiet_ms, 500),
                min(deadline, time.monotonic() + timeout / 1000),
            )
        else:
            page.wait_for_timeout(int(step["ms"]))
    elif action == "set_viewport":
        page.set_viewport_size({"width": int(step["width"]), "height": int(step["height"])})
    elif action in ("measure_start", "measure_stop"):
        if action == "measure_start":
            collected.marks.append({"name": step["name"], "start": _now_ms(), "end": None})
        else:
            for mark in reversed(collected.marks):
                if mark["name"] == step["name"] and mark["end"] is None:
                    mark["end"] = _now_ms()
                    break
    else:
        raise ValueError(f"line {step.get('line')}: unsupported action {action!r}")


@dataclass
class Measurement:
    result: dict[str, Any]
    har: dict[str, Any] | None
    screenshot: bytes | None = None  # JPEG of the viewport as the run ended


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


def _measure(spec: dict[str, Any], pool: BrowserPool) -> Measurement:
    setup = spec.get("setup") or {}
    step_timeout = float(spec.get("step_timeout_ms", 30_000))
    quiet_ms = int(spec.get("quiet_ms", 2000))
    deadline = time.monotonic() + float(spec.get("run_timeout_ms", 120_000)) / 1000
    browser = pool.browser(setup.get("dns") or {})
    proxy = pool.proxy(setup.get("dns") or {})
    if proxy is not None:
        proxy.take_report()  # an earlier run's connections are not this run's
    workdir = tempfile.mkdtemp(prefix="perfite-")
    har_path = os.path.join(workdir, "run.har")
    collected = _Collected()
    started_at = datetime.now(UTC).isoformat()
    status, error = "succeeded", None
    screenshot, screenshot_error = None, None
    try:
        context = browser.new_context(
            record_har_path=har_path,
            record_har_mode="full",
            record_har_content=spec.get("har_content", "omit"),
            service_workers="block",
            **context_options(spec, pool.playwright.devices if pool.playwright else {}),
        )
    except PlaywrightError as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        raise InfrastructureError(f"could not open a browser context: {exc}") from exc
    try:
        context.expose_binding(
            "__perfiteReport",
            lambda _source, kind, data: collected.ws_events.append(data) if kind == "ws" else None,
        )
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
        page.on("crash", collected.crash)
        _wire_tracking(context, page, collected)
        _track_network(page, collected)
        try:
            timeout = min(step_timeout, max((deadline - time.monotonic()) * 1000, 1))
            response = page.goto(spec["url"], wait_until="load", timeout=timeout)
            if response is not None and response.status >= 400:
                status, error = "failed", f"HTTP {response.status} for {spec['url']}"
            for step in spec.get("steps") or [] if status == "succeeded" else []:
                if step["action"] in NAVIGATING:
                    collected.snapshot(page)
                timeout = min(step_timeout, max((deadline - time.monotonic()) * 1000, 1))
                start = _now_ms()
                try:
                    _run_step(page, step, spec["url"], timeout, collected, quiet_ms, deadline)
                except PlaywrightError as exc:
                    raise type(exc)(f"{_describe(step)}: {_first_line(exc)}") from exc
                collected.actions.append(
                    {
                        "action": step["action"],
                        "line": step.get("line"),
                        "start": start,
                        "end": _now_ms(),
                    }
                )
            if status == "succeeded":
                wait_quiet(page, collected, quiet_ms, deadline)
        except PlaywrightTimeout as exc:
            status, error = "timed_out", _first_line(exc)
        except PlaywrightError as exc:
            if (
                "Target page, context or browser has been closed" in str(exc)
                or not browser.is_connected()
            ):
                raise InfrastructureError(f"browser died during the run: {exc}") from exc
            status, error = "failed", _first_line(exc)
        # A renderer crash reaches the steps first as their own error (a goto aborted with
        # net::ERR_ABORTED, "Page crashed"), and the crash event follows; this evaluation
        # fails on a crashed page only once the event has come.
        collected.snapshot(page)
        screenshot, screenshot_error = _screenshot(page, spec)
    finally:
        with contextlib.suppress(PlaywrightError):
            context.close()
    finished_at = datetime.now(UTC).isoformat()
    try:
        with open(har_path, encoding="utf-8") as handle:
            har = json.load(handle)
    except (OSError, ValueError):
        har = None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if collected.crashed:
        raise InfrastructureError(f"the page's renderer crashed: {error or 'during the run'}")
    if proxy is not None:
        report = proxy.take_report()
        if not proxy.alive():  # every connection after it died failed: not the site's fault
            raise InfrastructureError("the address-policy proxy stopped during the run")
        error = _explain_failures(report.failures, har, collected, error)
        _restore_lookup_time(collected, report.lookup_ms)
    result = build_result(
        spec=spec,
        status=status,
        error=error,
        started_at=started_at,
        finished_at=finished_at,
        browser_version=browser.version,
        har=har,
        snapshots=sorted(collected.snapshots.values(), key=lambda s: s["timeOrigin"]),
        wire=list(collected.wire.values()),
        ws_events=collected.ws_events,
        marks=[m for m in collected.marks if m["end"] is not None],
        actions=collected.actions,
    )
    if screenshot_error:
        result["screenshot_error"] = screenshot_error
    return Measurement(result=result, har=har, screenshot=screenshot)


def _explain_failures(
    failures: dict[tuple[str, int], str],
    har: dict[str, Any] | None,
    collected: _Collected,
    error: str | None,
) -> str | None:
    """Put the proxy's reasons (agents.proxy_errors.explain) in place of Chromium's "SOCKS
    connection failed" in the HAR, the wire records and the run's ``error``; returns the
    error."""
    if not failures:
        return error
    for entry in (har or {}).get("log", {}).get("entries", []):
        response = entry.get("response") or {}
        if response.get("_failureText"):
            url = (entry.get("request") or {}).get("url", "")
            response["_failureText"] = explain(response["_failureText"], url, failures)
    for record in collected.wire.values():
        if record.get("error"):
            record["error"] = explain(record["error"], record["url"], failures)
    return explain(error, "", failures) if error else error


def _restore_lookup_time(collected: _Collected, lookup_ms: dict[str, float]) -> None:
    """Through the proxy, Chromium resolves no name: Navigation Timing shows a zero DNS time
    and a connect time holding the proxy's lookup. Give the first document's lookup, as the
    proxy timed it, back to DNS: it starts where connect started, and connect starts after
    it. A document on a connection opened earlier (connect 0) is left as it is."""
    if not collected.snapshots:
        return
    first = collected.snapshots[min(collected.snapshots)]
    nav, host = first.get("nav"), urlsplit(str(first.get("url") or "")).hostname
    lookup = lookup_ms.get(canonical_host(host)) if host else None
    if not nav or not lookup or nav.get("connectStart") is None or nav.get("connectEnd") is None:
        return
    if nav["connectEnd"] - nav["connectStart"] < lookup:
        return  # the lookup was for another connection (one opened before the document's)
    nav["domainLookupStart"] = nav["connectStart"]
    nav["domainLookupEnd"] = nav["connectStart"] + lookup
    nav["connectStart"] += lookup


def _describe(step: dict[str, Any]) -> str:
    target = step.get("selector") or step.get("url") or step.get("key") or ""
    return f"line {step.get('line')}: {step['action']} {target}".rstrip()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
