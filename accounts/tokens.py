"""Personal API tokens: create, list, revoke, and authenticate (`Authorization: Bearer mkt_…`).

A secret is `mkt_` + 43 URL-safe characters (256 bits). Only its SHA-256 is stored, so the
lookup is by hash: with secrets this long a hash lookup leaks nothing a timing attack could use.
The `mkt_` prefix lets secret scanners spot a leaked token and lets the authentication class
leave DRF's own `Token <40 hex>` keys (older clients) to DRF."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.authentication import SECRET_PREFIX
from accounts.models import ApiToken, User
from core.errors import ApiError

MAX_LIVE_TOKENS = 50
# last_used_at is a hint for the settings page, not an audit log: one write a minute is plenty.
LAST_USED_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once; never stored


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_list_for_user(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def api_token_live(*, secret: str) -> ApiToken | None:
    """The live token with this secret (not revoked, not expired), with its user, or None."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return None
    now = timezone.now()
    return (
        ApiToken.objects.select_related("user")
        .filter(secret_sha256=_digest(secret), revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )


@transaction.atomic
def api_token_create(*, user: User, name: str, expires_at: datetime | None = None) -> IssuedToken:
    """A new token for `user`; the returned secret is the only copy anywhere."""
    name = name.strip()
    if not name:
        raise ApiError("Give the token a name.", code="name_required")
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise ApiError("The expiry must be in the future.", code="expiry_in_past")
    User.objects.select_for_update().filter(pk=user.pk).first()  # serialize the count below
    live = api_token_list_for_user(user=user).filter(revoked_at__isnull=True)
    if live.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)).count() >= MAX_LIVE_TOKENS:
        raise ApiError(
            f"You have {MAX_LIVE_TOKENS} live tokens: revoke one first.", code="too_many_tokens"
        )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name[:80],
        prefix=secret[:12],
        secret_sha256=_digest(secret),
        expires_at=expires_at,
    )
    return IssuedToken(token=token, secret=secret)


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of `user`'s tokens (idempotent). Someone else's token id is a 404."""
    token = ApiToken.objects.select_for_update().filter(user=user, pk=token_id).first()
    if token is None:
        raise ApiError("No such token.", code="not_found", status=404)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_touch(*, token: ApiToken) -> None:
    """Record use, at most once per LAST_USED_GRANULARITY (a conditional UPDATE, no lock)."""
    now = timezone.now()
    if token.last_used_at and now - token.last_used_at < LAST_USED_GRANULARITY:
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_GRANULARITY)
    ).update(last_used_at=now)
    token.last_used_at = now
