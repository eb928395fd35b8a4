"""Error pages for requests no view answered (Django's handler404/handler500/...): under /api/
they answer in the API's error format, so a client sent to a wrong URL still gets JSON it can
read; elsewhere our branded pages (templates/404.html, 500.html). With DEBUG on, Django shows
technical pages instead, which marketplace.middleware.ErrorPagesMiddleware replaces."""

import sys

from django.http import JsonResponse
from django.views import defaults

from marketplace.middleware import UNAVAILABLE_ERRORS, unavailable


def _api(request) -> bool:
    return request.path.startswith("/api/")


def _json(status: int, code: str, message: str) -> JsonResponse:
    body = {"error": {"code": code, "message": message, "fields": {}}}
    return JsonResponse(body, status=status)


def not_found(request, exception=None):
    if _api(request):
        return _json(404, "not_found", "No such API endpoint or object.")
    return defaults.page_not_found(request, exception)


def server_error(request):
    # Called while handling the exception: the database being unreachable is a 503, not a bug.
    if isinstance(sys.exc_info()[1], UNAVAILABLE_ERRORS):
        return unavailable(request)
    if _api(request):
        return _json(500, "server_error", "Something went wrong on our side; it has been logged.")
    return defaults.server_error(request)


def bad_request(request, exception=None):
    if _api(request):
        return _json(400, "bad_request", "The request could not be understood.")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if _api(request):
        return _json(403, "permission_denied", "You may not do that.")
    return defaults.permission_denied(request, exception)
