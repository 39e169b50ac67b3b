"""Requests carrying a NUL character are refused with a 400, before any view sees them.

No database stores U+0000 in text (PostgreSQL refuses it in a query), so a NUL in the path, a
query parameter or a form field can only turn a lookup into a server error. One check here
instead of one in every view: ``/api/`` answers ``{"detail": …}`` like the REST API's other
refusals, other pages plain text. A JSON body is the parsers' and serializers' business
(DRF's text fields refuse NUL, and so does the result validator).
"""

from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _nul_in(pairs: Iterable[tuple[str, list[str]]]) -> str | None:
    """The name of the first parameter whose name or a value holds a NUL, else None."""
    for name, values in pairs:
        if "\x00" in name or any("\x00" in value for value in values):
            return name.replace("\x00", "\\x00")
    return None


class RefuseNulCharacters:
    """A 400 naming the parameter for a NUL in the path, the query string or a form field.

    Form bodies larger than DATA_UPLOAD_MAX_MEMORY_SIZE are not read here: the views that take
    uploads refuse those unread (413), and must still be able to.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        reason = self.reason(request)
        if reason is None:
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": reason}, status=400)
        return HttpResponseBadRequest(reason, content_type="text/plain; charset=utf-8")

    @staticmethod
    def reason(request: HttpRequest) -> str | None:
        if "\x00" in request.path_info:
            return "the path holds a NUL character"
        name = _nul_in(request.GET.lists())
        if name is not None:
            return f"query parameter {name!r} holds a NUL character"
        if request.method in ("POST", "PUT", "PATCH") and request.content_type in FORM_TYPES:
            length = request.META.get("CONTENT_LENGTH") or "0"
            if length.isdigit() and int(length) <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                try:
                    name = _nul_in(request.POST.lists())
                except MultiPartParserError as exc:
                    return f"the form cannot be read: {exc}"
                if name is not None:
                    return f"form field {name!r} holds a NUL character"
        return None
