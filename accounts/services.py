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
from eth_utils import (
    is_checksum_address,
    is_checksum_formatted_address,
    is_hex_address,
    to_checksum_address,
)
from rest_framework.authtoken.models import Token

from accounts import selectors, tokens
from accounts.models import ApiToken, AuditEntry, DeniedAddress, SiweNonce, User
from core.errors import ApiError

# A client clock may run a little ahead of ours; beyond this an Issued At is a forgery or a bug.
CLOCK_SKEW = timedelta(minutes=5)
_LOOKS_LIKE_ADDRESS = re.compile(r"^\s*0x[0-9a-fA-F]", re.IGNORECASE)


@dataclass(frozen=True)
class IssuedNonce:
    nonce: str
    message: str
    expires_at: datetime


def address_normalize(address: str) -> str:
    """Checksum an address given in any case; refuse a mixed-case one with a bad checksum."""
    valid = isinstance(address, str) and is_hex_address(address)
    if valid and is_checksum_formatted_address(address):
        valid = is_checksum_address(address)  # mixed case is a checksum: a typo must not pass
    if not valid:
        raise ApiError(
            "Enter a wallet address: 0x followed by 40 hexadecimal characters "
            "(mixed case must be a valid EIP-55 checksum).",
            code="address_invalid",
        )
    return to_checksum_address(address)


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


# --- Deny-list and audit log ----------------------------------------------------------------


def address_check_allowed(*, address: str) -> None:
    """Refuse a denied wallet (403) before it signs in, lists or buys."""
    if selectors.address_is_denied(address=address):
        raise ApiError(
            "This wallet address is blocked on this marketplace. "
            "Contact the operators if you believe this is a mistake.",
            code="address_denied",
            status=403,
        )


def audit_record(
    *,
    actor,
    action: str,
    target=None,
    target_type: str = "",
    target_id="",
    label: str = "",
    reason: str = "",
    data: dict | None = None,
) -> AuditEntry:
    """Append one entry to the audit log. `target` (any model instance) fills type, id and
    label; or give them explicitly for things that are not rows (an address)."""
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or target.pk
        label = label or str(target)
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target_type,
        target_id=str(target_id)[:64],
        target_label=label[:200],
        reason=reason.strip(),
        data=data or {},
    )


@transaction.atomic
def address_deny(*, address: str, reason: str, actor) -> DeniedAddress:
    """Put a wallet on the deny-list. Its user (if any) is deactivated at once: Django's session
    backend and DRF's token authentication refuse inactive users on every request, so no
    per-request deny-list lookup is needed to end its sessions."""
    address = address_normalize(address)
    if not reason.strip():
        raise ApiError("Give a reason for denying this address.", code="reason_required")
    if DeniedAddress.objects.select_for_update().filter(address=address, lifted_at=None).exists():
        raise ApiError("This address is denied already.", code="already_denied", status=409)
    entry = DeniedAddress.objects.create(address=address, reason=reason.strip(), created_by=actor)
    User.objects.filter(address=address).update(is_active=False)
    audit_record(
        actor=actor,
        action="address.deny",
        target_type="address",
        target_id=address,
        label=address,
        reason=reason,
    )
    return entry


@transaction.atomic
def address_lift(*, address: str, reason: str, actor) -> DeniedAddress:
    """Take a wallet off the deny-list (the entry stays, marked lifted) and reactivate it."""
    address = address_normalize(address)
    entry = (
        DeniedAddress.objects.select_for_update().filter(address=address, lifted_at=None).first()
    )
    if entry is None:
        raise ApiError("This address is not denied.", code="not_denied", status=404)
    entry.lifted_at = timezone.now()
    entry.lifted_by = actor
    entry.lift_reason = reason.strip()
    entry.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    User.objects.filter(address=address).update(is_active=True)
    audit_record(
        actor=actor,
        action="address.lift",
        target_type="address",
        target_id=address,
        label=address,
        reason=reason,
    )
    return entry
