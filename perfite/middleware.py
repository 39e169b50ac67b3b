"""Requests carrying a NUL character in their URL are refused with a 400, before any view.

No database stores U+0000 in text (PostgreSQL refuses it in a query), so a NUL in the path or
a query parameter can only turn a lookup into a server error. One check here instead of one
in every view: ``/api/`` answers ``{"detail": …}`` like the REST API's other refusals, other
pages plain text. Bodies are read by the views, after they have checked who is asking: the
API's form parsers refuse NUL (scenarios.api.parsers), DRF's text fields and the result
validator refuse it in JSON, Django's form fields in the dashboard's forms.
"""

from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse


def _nul_in(pairs: Iterable[tuple[str, list[str]]]) -> str | None:
    """The name of the first parameter whose name or a value holds a NUL, else None."""
    for name, values in pairs:
        if "\x00" in name or any("\x00" in value for value in values):
            return name.replace("\x00", "\\x00")
    return None


class RefuseNulCharacters:
    """A 400 naming the parameter for a NUL in the path or the query string."""

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
        return None
