"""Firefox: a distribution's Firefox (ESR 138 or later) driven over WebDriver BiDi, or
Playwright's own build where it could be downloaded.

Debian ships Firefox ESR; Playwright drives it through its ``moz-firefox`` channel, over the
WebDriver BiDi standard instead of Playwright's patched protocol. Firefox gives the HAR
(requests, body bytes, timings) and the in-page metrics that use standard APIs (navigation
and paint timing, LCP, user timings); it has no DevTools session (no wire bytes, CPU and
heap counters, connection profiles or filmstrip), no long tasks (so no blocking time) and no
layout-shift entries (so no CLS). Those metrics are absent for its runs, never zero.
"""

import os
import shlex
import sys
import tempfile
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Playwright
from playwright.sync_api import Error as PlaywrightError

from agents.engines import BrowserNotFound, InfrastructureError, executable, playwright_build
from agents.engines import version_of as _version_of

NAME = "firefox"
LABEL = "Firefox"
CAPABILITIES = frozenset({"dns"})
MIN_BIDI_VERSION = 138  # the first Firefox whose WebDriver BiDi Playwright can drive
DISTRIBUTION = ("/usr/bin/firefox-esr", "/usr/bin/firefox")
MISSING = (
    "No Firefox: install Debian's `firefox-esr` (apt-get install firefox-esr), set "
    "PERFITE_FIREFOX_PATH, or run `python -m playwright install firefox`."
)


def _explicit() -> str:
    from django.conf import settings

    return str(getattr(settings, "PERFITE_FIREFOX_PATH", "") or "")


def find_firefox(explicit: str = "") -> str | None:
    """Path of a distribution's Firefox new enough for WebDriver BiDi: the explicit setting,
    then Debian's; None means Playwright's own build. Raises BrowserNotFound for an explicit
    path that is not an executable or too old a Firefox."""
    if explicit:
        if not executable(explicit):
            raise BrowserNotFound(f"PERFITE_FIREFOX_PATH={explicit} is not an executable file")
        _check_version(explicit)
        return explicit
    for candidate in DISTRIBUTION:
        if executable(candidate):
            try:
                _check_version(candidate)
            except BrowserNotFound:
                continue
            return candidate
    return None


def _check_version(path: str) -> None:
    found = _version_of(path)
    major = int(found.split(".")[0]) if found else 0
    if major < MIN_BIDI_VERSION:
        raise BrowserNotFound(
            f"{path} is Firefox {found or '(unknown version)'}: driving it needs Firefox "
            f"{MIN_BIDI_VERSION} or later (WebDriver BiDi)"
        )


def available() -> bool:
    return find_firefox(_explicit()) is not None or playwright_build("firefox") is not None


def version() -> str:
    path = find_firefox(_explicit())
    if path is None:
        return playwright_build("firefox") or ""
    return _version_of(path)


QUIET_PREFS: dict[str, Any] = {
    # No traffic of Firefox's own in a run's HAR or to Mozilla: remote settings, updates,
    # telemetry, captive-portal and connectivity checks, safe browsing, prefetching.
    "services.settings.server": "http://127.0.0.1:9/",
    "app.update.disabledForTesting": True,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.provider.mozilla.updateURL": "",
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.enabled": False,
    "browser.newtabpage.enabled": False,
    "browser.startup.page": 0,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "network.predictor.enabled": False,
    "network.http.speculative-parallel-limit": 0,
    "extensions.update.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "media.gmp-manager.url": "",
    # HTTP/3 off, as Chromium's --disable-quic: the same protocol in both browsers.
    "network.http.http3.enable": False,
}


def proxy_prefs(port: int) -> dict[str, Any]:
    """Preferences sending every connection through the address-policy proxy on ``port``
    (SOCKS5, names resolved on the proxy's side, which also applies the DNS map): Firefox's
    only way to map hosts to addresses."""
    return {
        "network.proxy.type": 1,
        "network.proxy.socks": "127.0.0.1",
        "network.proxy.socks_port": port,
        "network.proxy.socks_version": 5,
        "network.proxy.socks_remote_dns": True,
        "network.proxy.no_proxies_on": "",
        # Firefox sends localhost around a proxy unless told not to.
        "network.proxy.allow_hijacking_localhost": True,
        "media.peerconnection.ice.proxy_only": True,
    }


def launcher(firefox: str) -> str:
    """An executable that runs ``firefox`` behind the BiDi relay (agents.engines.bidi_relay),
    made once per process in a temporary folder."""
    global _launcher
    if _launcher is None or not os.path.exists(_launcher[1]) or _launcher[0] != firefox:
        folder = tempfile.mkdtemp(prefix="perfite-firefox-")
        path = os.path.join(folder, "firefox")
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(
                "#!/bin/sh\n"
                f"PYTHONPATH={shlex.quote(root)}${{PYTHONPATH:+:$PYTHONPATH}} "
                f"exec {shlex.quote(sys.executable)} -m agents.engines.bidi_relay "
                f'{shlex.quote(firefox)} "$@"\n'
            )
        os.chmod(path, 0o755)
        _launcher = (firefox, path)
    return _launcher[1]


_launcher: tuple[str, str] | None = None


def launch(
    playwright: Playwright,
    dns: dict[str, str],
    executable_path: str,
    headless: bool,
    proxy_port: int | None = None,
) -> Browser:
    """A quiet Firefox (QUIET_PREFS), through the proxy on ``proxy_port`` when given. A DNS
    map needs that proxy (Firefox has no host-resolver rules): without one it is refused.
    Raises BrowserNotFound when there is no Firefox, InfrastructureError when it fails to
    start."""
    if dns and proxy_port is None:
        raise BrowserNotFound(
            "Firefox maps hosts to addresses only through the address-policy proxy, which "
            "this agent runs without (PERFITE_ALLOWED_NETWORKS=*)"
        )
    prefs = dict(QUIET_PREFS)
    if proxy_port is not None:
        prefs.update(proxy_prefs(proxy_port))
    path = find_firefox(executable_path or _explicit())
    try:
        if path is None:
            if playwright_build("firefox") is None:
                raise BrowserNotFound(MISSING)
            return playwright.firefox.launch(headless=headless, firefox_user_prefs=prefs)
        return playwright.firefox.launch(
            channel="moz-firefox",
            executable_path=launcher(path),
            headless=headless,
            firefox_user_prefs=prefs,
            env={**os.environ, "MOZ_REMOTE_SETTINGS_DEVTOOLS": "1"},
        )
    except PlaywrightError as exc:
        raise InfrastructureError(f"browser failed to start: {exc}") from exc


def devtools(context: BrowserContext, page: Page) -> None:
    """Firefox has no DevTools session Perfite can use."""
    return None
