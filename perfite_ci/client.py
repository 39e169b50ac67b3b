"""A minimal JSON client for the Perfite API over urllib (no third-party packages)."""

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class CIError(Exception):
    """Anything that is not a verdict: bad input, unreachable server, refused token.

    ``str(error)`` is the one-line reason printed before exiting with status 2.
    """


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _reason(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return _one_line(body.decode("utf-8", "replace"))
    if isinstance(data, dict) and "detail" in data and len(data) == 1:
        return _one_line(str(data["detail"]))
    if isinstance(data, dict):
        parts = []
        for key, value in data.items():
            text = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
            parts.append(text if key == "non_field_errors" else f"{key}: {text}")
        return _one_line(" | ".join(parts))
    if isinstance(data, list):
        return _one_line("; ".join(map(str, data)))
    return _one_line(str(data))


class Client:
    """Calls ``<server>/api/...`` with ``Authorization: Token <token>``; raises CIError."""

    def __init__(self, server: str, token: str, timeout: float = 60.0) -> None:
        if not server.startswith(("http://", "https://")):
            raise CIError(f"--server must be an http(s) URL, got {server!r}")
        self.server = server.rstrip("/")
        self.token = token
        self.timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        query: dict[str, Any] | None = None,
    ) -> Any:
        url = f"{self.server}/api/{path.lstrip('/')}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", "application/json")
        req.add_header("Authorization", f"Token {self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            reason = _reason(exc.read())
            if exc.code in (401, 403):
                raise CIError(f"server refused the request (HTTP {exc.code}): {reason}") from None
            raise CIError(
                f"server answered HTTP {exc.code} for {method} {path}: {reason}"
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            why = getattr(exc, "reason", exc)
            raise CIError(f"cannot reach {self.server}: {_one_line(str(why))}") from None
        try:
            return json.loads(payload) if payload else None
        except ValueError:
            raise CIError(f"server sent something that is not JSON for {path}") from None

    def get(self, path: str, **query: Any) -> Any:
        return self.request("GET", path, query=query or None)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.request("POST", path, body=body)
