"""One door for every tool call: who is calling (the API token in the HTTP request's
`Authorization` header, as the REST API reads it), the errors a caller can cause turned into
clear tool errors (`<code>: <message>`, the codes of the REST API's error format), and the
database connection handled as Django handles it around a request.

Tools are sync functions: the SDK runs them in worker threads, where the ORM may be used."""

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import close_old_connections
from django.http import Http404
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from rest_framework import exceptions
from rest_framework.utils.encoders import JSONEncoder

from accounts import tokens
from core.api_errors import _first_message
from core.errors import ApiError
from core.throttling import AnonThrottle, ScopeThrottle, UserThrottle

TOKEN_HINT = (
    "This tool needs an API token: send `Authorization: Bearer mkt_…` with the MCP requests "
    "(create one under Profile → API tokens, with POST /api/v1/auth/tokens, or by signing in "
    "with your wallet: POST /api/v1/auth/nonce, then /api/v1/auth/verify with token=true)."
)


def refused(code: str, message: str) -> ToolError:
    return ToolError(f"{code}: {message}")


@dataclass(frozen=True)
class Caller:
    user: Any  # a User, or AnonymousUser without a token
    token: Any = None  # the ApiToken it came with: its spend controls apply to what it pays

    def signed_in(self):
        """The user, or a clear refusal for tools that act for someone."""
        if not self.user.is_authenticated:
            raise refused("not_authenticated", TOKEN_HINT)
        return self.user


def caller_from(headers) -> Caller:
    """The token's user; anonymous without an Authorization header. A header that is there but
    wrong is refused, never quietly treated as anonymous."""
    value = (headers or {}).get("authorization", "").strip()
    if not value:
        return Caller(AnonymousUser())
    scheme, _, secret = value.partition(" ")
    if scheme.lower() not in ("bearer", "token") or not secret.strip():
        raise refused("authentication_failed", "Send the token as `Authorization: Bearer mkt_…`.")
    token = tokens.api_token_live(secret=secret.strip())
    if token is None or not token.user.is_active:
        raise refused("authentication_failed", "Invalid, expired or revoked token.")
    tokens.api_token_touch(token=token)
    return Caller(token.user, token)


@contextmanager
def tool_call(ctx: Context, *, scope: str | None = None, throttles=()) -> Iterator[Caller]:
    """Around a tool's body: the caller, the API's rate limits (the same counters as the REST
    API's: per user, or per client IP when anonymous, plus `scope`'s stricter one and any
    `throttles` of the matching REST view), errors."""
    close_old_connections()
    try:
        caller = caller_from(ctx.headers)
        throttle(caller, ctx, scope, throttles)
        yield caller
    except Http404 as exc:
        raise refused("not_found", str(exc) or "Not found.") from exc
    except PermissionDenied as exc:
        raise refused("permission_denied", str(exc) or "Not allowed.") from exc
    except ApiError as exc:  # what services raise (a plain exception since core/)
        raise refused(exc.code, exc.message) from exc
    except exceptions.APIException as exc:  # DRF's own (serializer validation)
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else "invalid"
        raise refused(code, _first_message(exc.detail)) from exc
    finally:
        close_old_connections()


class _ThrottledRequest:
    """What DRF's throttles read of a request: the user, the headers and the client address."""

    def __init__(self, user, ctx: Context):
        self.user = user
        self.headers = ctx.headers or {}
        client = getattr(ctx.request_context.request, "client", None)
        self.META = {"REMOTE_ADDR": client.host if client else ""}


def throttle(caller: Caller, ctx: Context, scope: str | None, throttles=()) -> None:
    request, view = _ThrottledRequest(caller.user, ctx), SimpleNamespace(throttle_scope=scope)
    for limit in (UserThrottle(), AnonThrottle(), ScopeThrottle(), *(t() for t in throttles)):
        if not limit.allow_request(request, view):
            wait = math.ceil(limit.wait() or 1)
            raise refused("throttled", f"Too many requests: retry in {wait} s.")


def jsonable(data) -> Any:
    """The value as the REST API renders it (decimal strings, ISO datetimes, UUID strings)."""
    return json.loads(json.dumps(data, cls=JSONEncoder))


def absolute(path: str) -> str:
    """A site URL: the MCP server runs beside the site, so relative links would point at it."""
    return path if "://" in path else settings.SITE_URL + path


class SiteRequest:
    """Enough of a request for serializers that build absolute URLs."""

    def build_absolute_uri(self, location: str) -> str:
        return absolute(location)
