"""Secrets out of stored data: which names are credentials, and HARs and URLs without them.

A value is a secret when its *name* says so: a header, query parameter, form field or JSON key
whose name contains one of the words in :data:`SECRET_WORDS` (``X-Custom-Token``,
``?access_token=``, ``password``, ``sessionId`` …), or one of a scenario's own extra names.
Cookies are always secrets. Values are replaced by :data:`REDACTED`; names stay, so a reader
still sees that a credential was sent.
"""

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "[removed by perfite]"
# Words that mark a credential. Matched against the words of a name (split on punctuation and
# camelCase), so "keyword" or "author" are not secrets but "api_key" and "X-Auth-Token" are.
SECRET_WORDS = frozenset(
    {
        "token",
        "secret",
        "password",
        "passwd",
        "pwd",
        "key",
        "apikey",
        "auth",
        "authorization",
        "session",
        "sessionid",
        "sid",
        "signature",
        "sig",
        "credential",
        "credentials",
        "cookie",
        "jwt",
        "otp",
        "csrf",
        "xsrf",
        "csrftoken",
    }
)
# Headers carrying URLs whose query strings may hold secrets.
URL_HEADERS = frozenset({"location", "referer", "content-location"})
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


class SecretNames:
    """Decides whether a name is a credential: the built-in words plus a scenario's extras.

    ``extra`` names are compared whole and case-insensitively (``X-Tenant``, ``account``).
    """

    def __init__(self, extra: Iterable[str] = ()) -> None:
        self.extra = frozenset(name.strip().lower() for name in extra if name.strip())

    def __call__(self, name: str) -> bool:
        lowered = name.lower()
        if lowered in self.extra:
            return True
        words = {w.lower() for w in _WORD.findall(name)}
        return bool(words & SECRET_WORDS) or any(w in lowered for w in ("token", "password"))


def redact_url(url: str, secret: SecretNames) -> str:
    """``url`` with the values of its secret query parameters (and any user:password) replaced."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(secret(name) for name, _ in pairs):
            query = urlencode([(n, REDACTED if secret(n) else v) for n, v in pairs])
    if (netloc, query) == (parts.netloc, parts.query):
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_json(value: Any, secret: SecretNames) -> Any:
    """A copy of a JSON value with the values of secret keys replaced, at any depth."""
    if isinstance(value, dict):
        return {k: REDACTED if secret(str(k)) else redact_json(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_json(item, secret) for item in value]
    return value


def _pairs(items: Any, secret: SecretNames, *, urls: frozenset[str] = frozenset()) -> list[Any]:
    """HAR name/value lists (headers, queryString, params) with secret values replaced."""
    if not isinstance(items, list):
        return []
    out = []
    for item in items:
        if not isinstance(item, dict):
            out.append(item)
            continue
        name = str(item.get("name", ""))
        if secret(name):
            out.append({**item, "value": REDACTED})
        elif name.lower() in urls and isinstance(item.get("value"), str):
            out.append({**item, "value": redact_url(item["value"], secret)})
        else:
            out.append(item)
    return out


def _post_data(post: Any, secret: SecretNames) -> Any:
    """A request body with secret form fields and JSON keys replaced."""
    if not isinstance(post, dict):
        return post
    clean = dict(post)
    if "params" in clean:
        clean["params"] = _pairs(clean["params"], secret)
    text = clean.get("text")
    mime = str(clean.get("mimeType", "")).lower()
    if isinstance(text, str) and text:
        if "x-www-form-urlencoded" in mime:
            pairs = parse_qsl(text, keep_blank_values=True)
            clean["text"] = urlencode([(n, REDACTED if secret(n) else v) for n, v in pairs])
        elif "json" in mime:
            try:
                clean["text"] = json.dumps(redact_json(json.loads(text), secret))
            except (ValueError, RecursionError):  # not JSON, or nested too deep to walk
                clean["text"] = REDACTED
        elif clean.get("params"):
            clean["text"] = REDACTED  # multipart: the fields above, not the raw body
    return clean


def sanitize_har(har: dict[str, Any], extra_secret_names: Iterable[str] = ()) -> dict[str, Any]:
    """Return a copy of ``har`` without credentials.

    Cookie lists are emptied; secret header, query-string and form values (see the module
    docstring) are replaced in requests and responses, and in request URLs, so a stored HAR can
    be shared without leaking sessions or keys. Bodies of responses are left as recorded.
    """
    secret = SecretNames(extra_secret_names)
    # Shallow copies of just what changes: a deep copy of a large HAR costs more than storing it.
    log = har.get("log", {})
    entries = []
    for entry in log.get("entries", []):
        entry = dict(entry)
        for side in ("request", "response"):
            message = entry.get(side)
            if not isinstance(message, dict):
                continue
            message = {
                **message,
                "headers": _pairs(message.get("headers"), secret, urls=URL_HEADERS),
                "cookies": [],
            }
            if side == "request":
                if isinstance(message.get("url"), str):
                    message["url"] = redact_url(message["url"], secret)
                if "queryString" in message:
                    message["queryString"] = _pairs(message["queryString"], secret)
                if "postData" in message:
                    message["postData"] = _post_data(message["postData"], secret)
            elif isinstance(message.get("redirectURL"), str):
                message["redirectURL"] = redact_url(message["redirectURL"], secret)
            entry[side] = message
        entries.append(entry)
    pages = [
        {**page, "title": redact_url(page["title"], secret)}
        if isinstance(page, dict) and isinstance(page.get("title"), str)
        else page
        for page in log.get("pages", []) or []
    ]
    clean_log = {**log, "entries": entries}
    if pages:
        clean_log["pages"] = pages
    return {**har, "log": clean_log}


def sanitize_result(
    result: dict[str, Any], extra_secret_names: Iterable[str] = ()
) -> dict[str, Any]:
    """A copy of a result document whose URLs (page, requests, pages, sockets, and each
    actor's page and pages) hold no secret query values."""
    secret = SecretNames(extra_secret_names)
    clean = dict(result)
    if isinstance(clean.get("url"), str):
        clean["url"] = redact_url(clean["url"], secret)
    for key in ("requests", "pages", "websockets", "actors"):
        if key in clean:
            clean[key] = _urls(clean[key], secret)
    if isinstance(clean.get("actors"), list):
        clean["actors"] = [
            {**part, "pages": _urls(part["pages"], secret)}
            if isinstance(part, dict) and "pages" in part
            else part
            for part in clean["actors"]
        ]
    return clean


def _urls(items: Any, secret: SecretNames) -> Any:
    """``items`` (a list of objects) with each ``url`` redacted; anything else as it is."""
    if not isinstance(items, list):
        return items
    return [
        {**item, "url": redact_url(item["url"], secret)}
        if isinstance(item, dict) and isinstance(item.get("url"), str)
        else item
        for item in items
    ]
