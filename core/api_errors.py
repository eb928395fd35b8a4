"""One error format for the whole API: {"error": {"code", "message", "fields"}}. DRF calls
`exception_handler` (settings.REST_FRAMEWORK["EXCEPTION_HANDLER"]) for every error an API view
raises: our own ApiError (core.errors) and DRF's and Django's exceptions alike."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core.errors import ApiError


def _first_message(detail) -> str:
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        text = _first_message(value)
        return text if key == "non_field_errors" else f"{key}: {text}"
    return str(detail)


def exception_handler(exc, context):
    if isinstance(exc, ApiError):
        set_rollback()  # as DRF does for its own exceptions under ATOMIC_REQUESTS
        body = {"code": exc.code, "message": exc.message, "fields": exc.fields}
        return Response({"error": body}, status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data
    fields = detail if isinstance(detail, dict) else {}
    codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    code = codes if isinstance(codes, str) else getattr(exc, "default_code", "invalid")
    response.data = {
        "error": {
            "code": code,
            "message": _first_message(detail),
            "fields": {k: v for k, v in fields.items() if k != "non_field_errors"},
        }
    }
    return response
