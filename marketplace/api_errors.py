"""One error format for the whole API: {"error": {"code", "message", "fields"}}."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def _first_message(detail) -> str:
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        text = _first_message(value)
        return text if key == "non_field_errors" else f"{key}: {text}"
    return str(detail)


def exception_handler(exc, context):
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


class ApiError(exceptions.APIException):
    """A user-caused error with a stable code, raised by services and rendered as a 4xx."""

    status_code = 400
    default_code = "invalid"

    def __init__(self, message: str, *, code: str = "invalid", status: int = 400):
        super().__init__(detail=message, code=code)
        self.status_code = status
