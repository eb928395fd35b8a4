"""Writes for accounts: SIWE nonces, sign-in, users, profiles and API tokens.

Sign-in is two steps. `siwe_nonce_issue` stores a single-use nonce and returns the EIP-4361
message for the wallet to sign; `siwe_sign_in` checks the signed message against that nonce and
this site, consumes the nonce, and returns the user (created on first sign-in)."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts import selectors, tokens
from accounts.addresses import address_normalize
from accounts.denylist import address_check_allowed
from accounts.models import ApiToken, SiweNonce, User
from core.errors import ApiError

# A client clock may run a little ahead of ours; beyond this an Issued At is a forgery or a bug.
CLOCK_SKEW = timedelta(minutes=5)
_LOOKS_LIKE_ADDRESS = re.compile(r"^\s*0x[0-9a-fA-F]", re.IGNORECASE)


@dataclass(frozen=True)
class IssuedNonce:
    nonce: str
    message: str
    expires_at: datetime


def siwe_nonce_issue(*, address: str, scheme: str, host: str) -> IssuedNonce:
    """Store a fresh nonce for `address` and build the message for this site (scheme://host)."""
    from accounts import siwe  # loads web3 and eth_account: only on the sign-in path

    address = address_normalize(address)
    now = timezone.now()
    expires_at = now + timedelta(seconds=settings.SIWE_NONCE_TTL_SECONDS)
    nonce = SiweNonce.objects.create(
        nonce=siwe.nonce_generate(), address=address, issued_at=now, expires_at=expires_at
    )
    message = siwe.message_build(
        address=address,
        nonce=nonce.nonce,
        scheme=scheme,
        host=host,
        chain_id=settings.CHAIN_ID,
        statement=settings.SIWE_STATEMENT,
        issued_at=now,
        expires_at=expires_at,
    )
    return IssuedNonce(nonce=nonce.nonce, message=message, expires_at=expires_at)


def siwe_sign_in(*, message: str, signature: str, scheme: str, host: str) -> User:
    from accounts import siwe  # loads web3 and eth_account: only on the sign-in path

    """Verify a signed EIP-4361 message for this site (scheme://host) and return its user.

    Strict: the message must be canonical EIP-4361, carry a nonce we issued to that same address
    that is unused and unexpired, name this host, an URI on this origin, our chain id, and be
    within its validity window; the signature must come from the address (EOA or ERC-1271).
    The nonce is consumed only after all of that, by a conditional UPDATE, so two concurrent
    requests with one message cannot both succeed."""
    siwe.signature_check_format(signature)
    parsed = siwe.message_parse(message)
    now = timezone.now()
    nonce = _nonce_usable(parsed.nonce, now=now)
    _message_check_site(parsed, scheme=scheme, host=host, nonce=nonce, now=now)
    siwe.message_verify(parsed, signature=signature, now=now)
    address_check_allowed(address=parsed.address)
    with transaction.atomic():
        _nonce_consume(nonce, now=now)
        user = user_get_or_create_for_address(address=parsed.address)
    if not user.is_active:
        raise ApiError("This account is disabled.", code="account_disabled", status=403)
    return user


def _nonce_usable(value: str, *, now: datetime) -> SiweNonce:
    nonce = selectors.siwe_nonce_get(nonce=value)
    if nonce is None:
        raise ApiError(
            "This sign-in request is unknown to the site. Start again to get a new message.",
            code="nonce_unknown",
        )
    if nonce.used_at is not None:
        raise ApiError(
            "This sign-in message was already used. Start again to get a new one.",
            code="nonce_used",
        )
    if nonce.expires_at <= now:
        raise ApiError(
            "This sign-in request expired. Start again to get a new message.",
            code="nonce_expired",
        )
    return nonce


def _message_check_site(parsed, *, scheme: str, host: str, nonce: SiweNonce, now: datetime):
    """The message must be for this site, this chain and the address the nonce was issued to."""
    if parsed.domain != host:
        raise ApiError(
            f"The message is for {parsed.domain}, not this site ({host}). "
            "Never sign a sign-in message for another site.",
            code="domain_mismatch",
        )
    uri = urlsplit(parsed.uri)
    if (parsed.scheme or "https") != scheme or (uri.scheme, uri.netloc) != (scheme, host):
        raise ApiError(
            f"The message URI {parsed.uri} is not on this site ({scheme}://{host}).",
            code="uri_mismatch",
        )
    if parsed.chain_id != settings.CHAIN_ID:
        raise ApiError(
            f"The message is for chain id {parsed.chain_id}; "
            f"this marketplace runs on chain id {settings.CHAIN_ID}.",
            code="chain_mismatch",
        )
    if parsed.address != nonce.address:
        raise ApiError(
            "The message is for another address than this sign-in request was issued to.",
            code="address_mismatch",
        )
    if parsed.issued_at._datetime > now + CLOCK_SKEW:
        raise ApiError("The message's Issued At is in the future.", code="issued_in_future")


def _nonce_consume(nonce: SiweNonce, *, now: datetime) -> None:
    """Mark the nonce used. The WHERE clause is the lock: only one request can flip it."""
    flipped = SiweNonce.objects.filter(
        pk=nonce.pk, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if not flipped:
        raise ApiError(
            "This sign-in message was already used. Start again to get a new one.",
            code="nonce_used",
        )


def siwe_nonce_purge_expired(*, now: datetime | None = None) -> int:
    """Delete nonces past their expiry (used or not): they can no longer sign anyone in, and a
    replay of their message is refused as unknown. Returns how many were deleted."""
    deleted, _ = SiweNonce.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted


def user_get_or_create_for_address(*, address: str) -> User:
    """The user for a wallet address; the first sign-in creates it (no password: wallet only)."""
    user, _ = User.objects.get_or_create(
        address=address_normalize(address), defaults={"password": make_password(None)}
    )
    return user


def user_update_profile(
    *, user: User, display_name: str, email: str, bio: str | None = None, links: str | None = None
) -> User:
    """Set the optional profile fields. Callers validate the email's format (form/serializer);
    `bio` and `links` stay as they are when None (the API does not send them)."""
    display_name = " ".join(display_name.split())
    if _LOOKS_LIKE_ADDRESS.match(display_name):
        # Names are shown where addresses are; one that looks like an address could impersonate.
        raise ApiError(
            "A display name cannot look like a wallet address.",
            code="display_name_invalid",
        )
    if len(display_name) > User._meta.get_field("display_name").max_length:
        raise ApiError("The display name is too long (80 characters at most).", code="too_long")
    user.display_name = display_name
    user.email = email.strip()
    if bio is not None:
        user.bio = bio.strip()[:500]
    if links is not None:
        user.links = "\n".join(_checked_links(links))
    user.save(update_fields=["display_name", "email", "bio", "links"])
    return user


MAX_LINKS = 3


def _checked_links(text: str) -> list[str]:
    """Profile links are shown to everyone: https only (no javascript: or data: URLs)."""
    links = [line.strip() for line in text.splitlines() if line.strip()]
    validate = URLValidator(schemes=["https"])
    if len(links) > MAX_LINKS:
        raise ApiError(f"At most {MAX_LINKS} links.", code="too_many_links")
    for link in links:
        try:
            validate(link)
        except ValidationError:
            raise ApiError(
                f"{link[:80]} is not an https:// address.", code="link_invalid"
            ) from None
    return links


SIGN_IN_TOKEN_NAME = "Signed in (SIWE)"
# Sign-in tokens a user keeps live at once: a script that signs in on every run and never signs
# out would otherwise fill the token limit and lock itself out; the oldest ones go first.
SIGN_IN_TOKENS_KEPT = 10


@transaction.atomic
def api_token_issue(*, user: User) -> tokens.IssuedToken:
    """A token for an API client that signed in with SIWE (`"token": true`): an ApiToken like
    those made on the settings page, expiring after API_SIGN_IN_TOKEN_DAYS. Revokes the user's
    oldest sign-in tokens beyond SIGN_IN_TOKENS_KEPT."""
    now = timezone.now()
    live = tokens.api_token_list_for_user(user=user).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        name=SIGN_IN_TOKEN_NAME,
        revoked_at__isnull=True,
    )
    oldest = live.order_by("-created_at", "-id").values_list("pk", flat=True)[
        SIGN_IN_TOKENS_KEPT - 1 :
    ]
    ApiToken.objects.filter(pk__in=list(oldest)).update(revoked_at=now)
    expires_at = now + timedelta(days=settings.API_SIGN_IN_TOKEN_DAYS)
    return tokens.api_token_create(user=user, name=SIGN_IN_TOKEN_NAME, expires_at=expires_at)


def api_token_revoke(*, user: User, auth) -> None:
    """Sign an API client out: the token it used stops working. Older DRF `Token` keys (one per
    user) are deleted."""
    if isinstance(auth, ApiToken):
        tokens.api_token_revoke(user=user, token_id=auth.pk)
    elif isinstance(auth, Token):
        Token.objects.filter(user=user).delete()
