"""Errors people and programs see, whatever DEBUG is.

- The database unreachable (down, restarting, failing over): 503, as the API's JSON error under
  /api/ and on /healthz, and a plain page for people; never a 500 or a traceback.
- Under /api/, any error response that is not already JSON (Django's 404 for an unknown URL,
  its technical pages under DEBUG, a 405 from a plain view) becomes the API's JSON error.
- Elsewhere, a 404 or 500 that is not our own page becomes our branded page, so a visitor to
  `make run` (which runs with DEBUG on) never sees Django's debug pages with settings and code.
  DEBUG_ERROR_PAGES=true brings those back for a developer who wants them."""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader

logger = logging.getLogger(__name__)

# Raised when the database cannot be reached or dropped the connection; other DatabaseErrors
# (an integrity error, a bad query) are bugs and stay 500s.
UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    500: "server_error",
    503: "service_unavailable",
}
MESSAGES = {
    404: "No such API endpoint or object.",
    500: "Something went wrong on our side; it has been logged.",
    503: "The service is briefly unavailable (its database cannot be reached); try again soon.",
}


def wants_json(request) -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def json_error(status: int, code: str | None = None, message: str | None = None):
    code = code or CODES.get(status, "error")
    message = message or MESSAGES.get(status, "The request failed.")
    response = JsonResponse(
        {"error": {"code": code, "message": message, "fields": {}}}, status=status
    )
    response.error_page = True
    return response


def branded_page(request, status: int) -> HttpResponse:
    template = {404: "404.html", 503: "503.html"}.get(status, "500.html")
    # No request context: the page must render with the database down.
    response = HttpResponse(loader.render_to_string(template), status=status)
    response.error_page = True
    return response


def unavailable(request) -> HttpResponse:
    if wants_json(request):
        response = json_error(503, "database_unavailable")
    else:
        response = branded_page(request, 503)
    response["Retry-After"] = "30"
    return response


class ErrorPagesMiddleware:
    """Early in MIDDLEWARE (after the security and CSP headers), so it sees the responses of
    everything inside it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.DEBUG_ERROR_PAGES or getattr(response, "error_page", False):
            return response
        if wants_json(request) and request.path != "/healthz":
            if response.status_code >= 400 and not _is_json(response):
                return json_error(response.status_code)
            return response
        if response.status_code in (404, 500) and not getattr(response, "streaming", False):
            if _is_html(response):
                return branded_page(request, response.status_code)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, UNAVAILABLE_ERRORS):
            logger.error("database unavailable: %s", exception)
            return unavailable(request)
        return None  # Django's handling (logged; a 500), then __call__ brands the page


def _is_json(response) -> bool:
    return response.get("Content-Type", "").startswith(("application/json", "application/problem"))


def _is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html")
