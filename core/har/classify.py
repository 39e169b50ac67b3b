"""Who a host belongs to (party, entity) and what a response is (content class). Pure."""

import fnmatch
import ipaddress
import re
from functools import lru_cache
from urllib.parse import urlsplit

import tldextract

# Offline: the public suffix list bundled with tldextract, never a download.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@lru_cache(maxsize=4096)
def registrable_domain(host: str) -> str:
    """The registrable domain of ``host`` (``ads.example.co.uk`` → ``example.co.uk``).

    IP addresses stand for themselves; names without a public suffix (``*.localhost``,
    intranet names) use their last two labels.
    """
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host
    except ValueError:
        pass
    parts = _EXTRACT(host)
    if parts.suffix and parts.domain:
        return f"{parts.domain}.{parts.suffix}"
    labels = host.split(".")
    return ".".join(labels[-2:])


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def check_party_patterns(patterns: list[str]) -> None:
    """Raise ValueError naming the first pattern PartyRule could not use (a bad ``re:``)."""
    for pattern in patterns:
        if not isinstance(pattern, str) or not pattern.strip():
            raise ValueError(f"{pattern!r}: a pattern must be a non-empty text")
        if pattern.startswith("re:"):
            try:
                re.compile(pattern[3:])
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from None


class PartyRule:
    """Decides first vs third party for hosts, from patterns or the page's own domain."""

    def __init__(self, page_url: str, patterns: list[str] | None = None) -> None:
        self._globs: list[str] = []
        self._regexes: list[re.Pattern[str]] = []
        for pattern in patterns or []:
            if pattern.startswith("re:"):
                self._regexes.append(re.compile(pattern[3:]))
            else:
                self._globs.append(pattern.lower())
        if not patterns:
            domain = registrable_domain(host_of(page_url))
            self._globs = [domain, f"*.{domain}"]

    @lru_cache(maxsize=1024)  # noqa: B019 - one rule per run, few hosts
    def party(self, host: str) -> str:
        host = host.lower()
        if any(fnmatch.fnmatchcase(host, glob) for glob in self._globs):
            return "first"
        if any(regex.search(host) for regex in self._regexes):
            return "first"
        return "third"


_FONT = re.compile(r"font|woff|ttf|otf|eot")


def content_class(mime_type: str, resource_type: str = "", url: str = "") -> str:
    """One of html, css, js, image, font, json, media, other."""
    mime = (mime_type or "").split(";")[0].strip().lower()
    kind = (resource_type or "").lower()
    if kind == "document" or mime in {"text/html", "application/xhtml+xml"}:
        return "html"
    if kind == "stylesheet" or mime == "text/css":
        return "css"
    if kind == "script" or "javascript" in mime or "ecmascript" in mime:
        return "js"
    if kind == "font" or _FONT.search(mime):
        return "font"
    if kind == "image" or mime.startswith("image/"):
        return "image"
    if kind == "media" or mime.startswith(("video/", "audio/")):
        return "media"
    if kind in {"xhr", "fetch", "eventsource"} or "json" in mime:
        return "json"
    path = urlsplit(url).path.lower()
    if path.endswith((".woff", ".woff2", ".ttf", ".otf")):
        return "font"
    return "other"
