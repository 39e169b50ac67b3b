"""Which URLs a scenario may open: absolute http(s) with a host, or a path on the scenario's."""

from urllib.parse import urlsplit

from core.script.errors import ScriptError


def validate_url(url: str, *, allow_relative: bool = True) -> str:
    """Return ``url`` stripped if it is absolute http(s) with a host, or (when ``allow_relative``)
    a path starting with a single "/". Anything else raises ScriptError with ``line=None``."""
    if not isinstance(url, str) or not url.strip():
        raise ScriptError(None, "missing URL")
    candidate = url.strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in candidate):
        raise ScriptError(None, "URL contains control characters")
    if candidate.startswith("/"):
        # Browsers read "//host" and "/\host" as another host, not as a path on this one.
        if candidate.startswith(("//", "/\\")):
            raise ScriptError(None, "scheme-relative URL is not allowed; write http:// or https://")
        if not allow_relative:
            raise ScriptError(None, "a relative URL is not allowed here; use http:// or https://")
        return candidate
    try:
        parts = urlsplit(candidate)
        host, _ = parts.hostname, parts.port
    except ValueError as exc:
        raise ScriptError(None, f"malformed URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if not scheme:
        raise ScriptError(None, "URL must start with http://, https:// or '/'")
    if scheme not in ("http", "https"):
        raise ScriptError(None, f"URL scheme '{scheme}' is not allowed (only http(s) or '/path')")
    if not host:
        raise ScriptError(None, "URL has no host")
    return candidate
