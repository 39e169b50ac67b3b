"""The Chrome DevTools Protocol as the agent's page modules see it: a session that sends a
command and returns its result, raising :class:`CdpError` when the browser refuses it.

agents.browser (the one module importing Playwright) hands the others a session of this
shape, so they read the page's counters and values without knowing Playwright.
"""

from typing import Any, Protocol


class CdpError(RuntimeError):
    """The browser answered a command with an error, or the session is gone."""


class CdpSession(Protocol):
    """A DevTools session attached to the measured page."""

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The command's result; CdpError when it fails."""
        ...
