"""WebKit: only Playwright's own build can be driven (it carries Playwright's patches to
WebKit; no distribution's WebKit speaks its protocol), so a machine that cannot download it
(``playwright install webkit``) has no WebKit, and the agent says so in one line.

WebKit gives the HAR and the in-page metrics the collector reads; it has no DevTools session
for Perfite (no wire bytes, CPU and heap counters, connection profiles or filmstrip), no
long tasks (so no blocking time) and no host-to-address mapping.
"""

from playwright.sync_api import Browser, BrowserContext, Page, Playwright
from playwright.sync_api import Error as PlaywrightError

from agents.engines import BrowserNotFound, InfrastructureError, playwright_build

NAME = "webkit"
LABEL = "WebKit"
CAPABILITIES: frozenset[str] = frozenset()
MISSING = (
    "No WebKit: only Playwright's own build can be driven; "
    "run `python -m playwright install --with-deps webkit` on a machine that can download it."
)


def available() -> bool:
    return playwright_build("webkit") is not None


def version() -> str:
    return playwright_build("webkit") or ""


def launch(
    playwright: Playwright,
    dns: dict[str, str],
    executable_path: str,
    headless: bool,
    proxy_port: int | None = None,
) -> Browser:
    """Playwright's WebKit, through the address-policy proxy on ``proxy_port`` when given.
    Raises BrowserNotFound when it is not installed, and for a DNS map, which WebKit cannot
    apply."""
    if not available():
        raise BrowserNotFound(MISSING)
    if dns and proxy_port is None:
        raise BrowserNotFound("WebKit cannot map hosts to addresses (DNS overrides)")
    proxy = {"server": f"socks5://127.0.0.1:{proxy_port}"} if proxy_port is not None else None
    try:
        return playwright.webkit.launch(headless=headless, proxy=proxy)  # type: ignore[arg-type]
    except PlaywrightError as exc:
        raise InfrastructureError(f"browser failed to start: {exc}") from exc


def devtools(context: BrowserContext, page: Page) -> None:
    """WebKit has no DevTools session Perfite can use."""
    return None
