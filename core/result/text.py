"""Text from the page, made storable. Pure."""

from typing import Any


def without_nul(text: Any) -> Any:
    """``text`` with every NUL character replaced by U+FFFD (anything else unchanged).

    A page can put NUL into what the collector reads (an element id becomes ``lcp_element``,
    a mark's name a user timing's); databases refuse it in text, so the document never
    carries one. URLs, hosts and header values cannot hold one (the browser refuses them),
    so only the page's free texts pass through here, not the whole document.
    """
    return text.replace("\x00", "\ufffd") if isinstance(text, str) else text
