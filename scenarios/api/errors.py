"""Django's own 400 and 404 answers (a URL no route matches, a request Django refuses before
any view) in the API's shape under /api/: ``{"detail": …}`` as JSON, as the schema says.
Pages elsewhere keep Django's HTML answers."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "bad request: the server cannot read it"}, status=400)
    return defaults.bad_request(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
