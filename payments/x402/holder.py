"""A caller that holds a licence proves it with x402's sign-in-with-x (`SIGN-IN-WITH-X`: a
SIWE / EIP-4361 message and its signature, base64 JSON). Checked here: this site's domain and
origin, our chain id, issued within the last minutes, not expired, the signature, and a
nonce used once. Holding is what the indexer knows, or (for a licence bought moments ago and
not yet confirmed) what the licence token says on chain: a holder is never asked to pay twice."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

from django.db import IntegrityError, transaction
from x402.extensions.sign_in_with_x import format_siwe_message, parse_siwx_header

from accounts.selectors import address_is_denied
from chain import client, typed_data
from core.errors import ApiError
from listings.models import Listing
from payments import selectors
from payments.models import DownloadNonce
from payments.x402.requirements import SIWX_STATEMENT, network

MAX_AGE_SECONDS = 300


def _refuse(message: str) -> ApiError:
    return ApiError(message, code="siwx_invalid", status=401)


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _refuse("SIGN-IN-WITH-X has a malformed timestamp.") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _check_fields(payload, origin: str) -> None:
    if payload.domain != urlparse(origin).netloc or not payload.uri.startswith(origin):
        raise _refuse(f"SIGN-IN-WITH-X must be signed for {origin}.")
    if payload.chain_id != network():
        raise _refuse(f"SIGN-IN-WITH-X must be signed for chain {network()}.")
    now = datetime.now(UTC)
    issued = _when(payload.issued_at)
    if issued is None or not now - timedelta(seconds=MAX_AGE_SECONDS) <= issued <= now + timedelta(
        seconds=30
    ):
        raise _refuse("SIGN-IN-WITH-X was issued too long ago (or in the future): sign again.")
    expires = _when(payload.expiration_time)
    if expires is not None and expires <= now:
        raise _refuse("SIGN-IN-WITH-X has expired: sign again.")
    # Stored as "siwx:<nonce>" in a 66-character column.
    if not 8 <= len(payload.nonce) <= 61 or not payload.nonce.isalnum():
        raise _refuse("SIGN-IN-WITH-X needs an alphanumeric nonce of 8 to 61 characters.")
    if payload.statement != SIWX_STATEMENT:
        # Our challenge's words: a sign-in message for the site (another statement) is not
        # taken as a proof of holding.
        raise _refuse(f"SIGN-IN-WITH-X must carry our challenge's statement: {SIWX_STATEMENT}")


def _verify(payload) -> str:
    from siwe import SiweMessage

    try:
        text = format_siwe_message(payload, payload.address)
        message = SiweMessage.from_message(text)
        message.verify(payload.signature, domain=payload.domain, nonce=payload.nonce)
    except Exception:  # noqa: BLE001 - siwe raises many kinds; all mean "not proven"
        raise _refuse("SIGN-IN-WITH-X's signature does not match its address.") from None
    return message.address


def _consume(address: str, nonce: str) -> None:
    try:
        with transaction.atomic():
            DownloadNonce.objects.create(
                holder=address,
                nonce=f"siwx:{nonce}",
                expires_at=datetime.now(UTC) + timedelta(seconds=MAX_AGE_SECONDS * 2),
            )
    except IntegrityError:
        raise ApiError(
            "This SIGN-IN-WITH-X was already used: sign a new one with a fresh nonce.",
            code="nonce_used",
            status=409,
        ) from None


def siwx_address(header: str, *, origin: str) -> str:
    """The checksummed address a SIGN-IN-WITH-X header proves, or a 4xx."""
    try:
        payload = parse_siwx_header(header)
    except ValueError as exc:
        raise _refuse(str(exc)[:200]) from None
    _check_fields(payload, origin)
    address = _verify(payload)
    _consume(address, payload.nonce)
    return address


def holds_on_chain(*, address: str, listing: Listing, kinds) -> bool:
    """Whether `address` holds an unexpired licence of a tier giving `kinds`, on chain now."""
    licence = client.get_contract("LicenseToken")
    now = int(time.time())
    with client.chain_errors():
        # A tier given on request is free to mint on chain: only the creator's approval (a
        # grant, which `holds` asks the indexer about) gives its access.
        for tier in listing.tiers.filter(kind__in=kinds, requires_approval=False):
            token = typed_data.token_id(listing.onchain_id, tier.position)
            if licence.functions.balanceOf(address, token).call() == 0:
                continue
            expiry = licence.functions.expiresAt(token, address).call()
            if expiry == 0 and tier.duration_seconds == 0 or expiry > now:
                return True
    return False


def holds(*, address: str, listing: Listing, kinds) -> bool:
    if address_is_denied(address=address):  # the deny-list overrides any licence
        return False
    if address == listing.owner_address:
        return True
    if selectors.access_for(address=address, listing=listing, kinds=kinds) is not None:
        return True
    return holds_on_chain(address=address, listing=listing, kinds=kinds)
