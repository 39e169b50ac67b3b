"""How the API reads request bodies: an import's JSON as a stream (its HAR spooled entry by
entry), and forms whose fields may not hold a NUL character."""

from collections.abc import Mapping
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

from core.har.files import HarError
from core.har.stream import HarStream
from scenarios.runs.har_spool import har_limits, spool_stream


class ImportJSONParser(JSONParser):
    """JSON bodies of /api/imports/, read as a stream: the entries of the HAR in ``har`` go to
    a spool (scenarios.runs.har_spool) one at a time, under the HAR limits, and ``har`` is
    that SpooledHar; the rest of the body is parsed as usual."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        har_stream = HarStream(stream, har_limits(), gzipped=False, at=("har",))
        try:
            spooled = spool_stream(har_stream, keep_analysed=True)
        except HarError as exc:
            raise ParseError(str(exc)) from exc
        body = spooled.skeleton
        if isinstance(body, dict) and isinstance(body.get("har"), dict):
            spooled.skeleton = body["har"]
            body["har"] = spooled
        else:
            spooled.close()
        return body


def _refuse_nul(fields: Any) -> None:
    """ParseError naming the first form field whose name or a value holds a NUL character:
    no database stores one in text, so a lookup with it would fail with a server error."""
    for name, values in fields.lists():
        if "\x00" in name or any("\x00" in str(value) for value in values):
            shown = name.replace("\x00", "\\x00")
            raise ParseError(f"form field {shown!r} holds a NUL character")


class NulFreeFormParser(FormParser):
    """URL-encoded forms, refused with a 400 when a field holds a NUL character."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        data = super().parse(stream, media_type, parser_context)
        _refuse_nul(data)
        return data


class NulFreeMultiPartParser(MultiPartParser):
    """Multipart forms, refused with a 400 when a field (not a file) holds a NUL character."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        _refuse_nul(parsed.data)
        return parsed
