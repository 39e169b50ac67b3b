"""Chromium: what Perfite knows of it alone.

Where it is (``PERFITE_BROWSER_PATH``, Debian's package, or Playwright's own build), its
version, the flags that keep it quiet (no background traffic in a HAR), how it maps hosts to
addresses (``--host-resolver-rules``, one browser process per map) or sends every
connection through the address-policy proxy, and its DevTools session, through which the
agent reads wire bytes, CPU and heap counters, applies connection profiles and records the
filmstrip. Chromium gives every metric Perfite has.
"""

from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, Playwright
from playwright.sync_api import Error as PlaywrightError

from agents.engines import BrowserNotFound, InfrastructureError, executable, playwright_build
from agents.engines import version_of as _version_of

NAME = "chromium"
LABEL = "Chromium"
CAPABILITIES = frozenset(
    {"wire_bytes", "long_tasks", "layout_shift", "dns", "counters", "profiles", "filmstrip"}
)
"""What Chromium gives: everything (see agents.engines.capabilities for the list)."""

MISSING = (
    "No Chromium: install Debian's `chromium` (apt-get install chromium), set "
    "PERFITE_BROWSER_PATH, or run `python -m playwright install chromium`."
)
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


def _explicit() -> str:
    from django.conf import settings

    return str(getattr(settings, "PERFITE_BROWSER_PATH", "") or "")


def find_chromium(explicit: str = "") -> str | None:
    """Path of the Chromium to launch: the explicit setting, then Debian's, then None (meaning
    Playwright's own download, if ``playwright install chromium`` was run)."""
    if explicit:
        if not executable(explicit):
            raise BrowserNotFound(f"PERFITE_BROWSER_PATH={explicit} is not an executable file")
        return explicit
    for candidate in DEBIAN_CHROMIUM:
        if executable(candidate):
            return candidate
    return None


def available() -> bool:
    """Whether a Chromium can be launched here (a path, or Playwright's own build)."""
    return find_chromium(_explicit()) is not None or playwright_build("chromium") is not None


def version() -> str:
    """The version runs will see (e.g. ``156.0.8078.79``), or "" if unknown; never starts
    Playwright."""
    path = find_chromium(_explicit())
    if path is None:
        return playwright_build("chromium") or ""
    return _version_of(path)


def host_resolver_rules(dns: dict[str, str]) -> str:
    """Chromium's ``--host-resolver-rules`` value for ``dns`` (host -> address); "" for none.
    Also the key a pool keeps one browser per (the rules apply to a whole browser process)."""
    return ", ".join(f"MAP {host} {address}" for host, address in sorted(dns.items()))


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
    dns: dict[str, str],
    executable_path: str,
    headless: bool,
    proxy_port: int | None = None,
) -> Browser:
    """A quiet Chromium (CHROMIUM_ARGS) connecting through the proxy on ``proxy_port`` (which
    applies the DNS map itself), or directly, resolving hosts by ``dns``, without one.
    Raises BrowserNotFound when there is no Chromium, InfrastructureError when it fails to
    start."""
    args = list(CHROMIUM_ARGS)
    rules = host_resolver_rules(dns)
    if proxy_port is not None:
        args += proxy_args(proxy_port)
    elif rules:
        args.append(f"--host-resolver-rules={rules}")
    path = find_chromium(executable_path)
    try:
        return playwright.chromium.launch(executable_path=path, headless=headless, args=args)
    except PlaywrightError as exc:
        if path is None and "Executable doesn't exist" in str(exc):
            raise BrowserNotFound(MISSING) from exc
        raise InfrastructureError(f"browser failed to start: {exc}") from exc


def devtools(context: BrowserContext, page: Page) -> Any:
    """A new DevTools session attached to ``page``."""
    return context.new_cdp_session(page)
