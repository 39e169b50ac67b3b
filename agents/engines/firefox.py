"""Firefox: a distribution's Firefox (ESR 138 or later) driven over WebDriver BiDi, or
Playwright's own build where it could be downloaded.

Debian ships Firefox ESR; Playwright drives it through its ``moz-firefox`` channel, over the
WebDriver BiDi standard instead of Playwright's patched protocol. Firefox gives the HAR
(requests, body bytes, timings) and the in-page metrics that use standard APIs (navigation
and paint timing, LCP, user timings); it has no DevTools session (no wire bytes, CPU and
heap counters, connection profiles or filmstrip), no long tasks (so no blocking time) and no
layout-shift entries (so no CLS). Those metrics are absent for its runs, never zero.
"""

from agents.engines import BrowserNotFound, executable, playwright_build
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
