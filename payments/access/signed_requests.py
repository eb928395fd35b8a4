"""API clients without a session sign an EIP-712 `DownloadRequest(address holder, string cid,
uint64 expiry, bytes32 nonce)` in the domain {name: "AI Model Marketplace Downloads",
version: "1", chainId: CHAIN_ID} and trade it for a URL (`download_request_redeem`). The domain
has no verifyingContract: no contract ever checks this signature, and requests must keep
working across contract redeployments; the chain id still binds it to one chain. The signer is
checked as the contracts would (EOA or ERC-1271 wallet); the expiry may be at most 10 minutes
ahead (plus CLOCK_SKEW_SECONDS); each (holder, nonce) is redeemable once."""

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from hexbytes import HexBytes

from chain import client
from chain.signatures import signer_accepts
from core.errors import ApiError
from core.eth import is_address, keccak, to_checksum_address
from listings.models import Listing, VersionFile
from payments.access.downloads import (
    HOLDER_STATUSES,
    DownloadLink,
    download_allowed,
    download_link_sign,
    licence_required,
    link_expiry,
)
from payments.models import DownloadNonce

DOMAIN_NAME = "AI Model Marketplace Downloads"
DOMAIN_VERSION = "1"
DOWNLOAD_REQUEST_TYPE = [
    {"name": "holder", "type": "address"},
    {"name": "cid", "type": "string"},
    {"name": "expiry", "type": "uint64"},
    {"name": "nonce", "type": "bytes32"},
]
MAX_REQUEST_SECONDS = 600
CLOCK_SKEW_SECONDS = 60
UINT64_MAX = 2**64 - 1


@dataclass(frozen=True)
class DownloadRequest:
    holder: str  # checksummed
    cid: str
    expiry: int
    nonce: str  # 0x + 64 lowercase hex digits

    def as_struct(self) -> dict:
        return {"holder": self.holder, "cid": self.cid, "expiry": self.expiry, "nonce": self.nonce}


def download_request_typed_data(request: DownloadRequest) -> dict:
    """The EIP-712 document a wallet signs (eth_signTypedData_v4)."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
            ],
            "DownloadRequest": DOWNLOAD_REQUEST_TYPE,
        },
        "primaryType": "DownloadRequest",
        "domain": {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": settings.CHAIN_ID},
        "message": request.as_struct(),
    }


def download_request_digest(request: DownloadRequest) -> bytes:
    from eth_account.messages import encode_typed_data  # on first use, not at start

    signable = encode_typed_data(full_message=download_request_typed_data(request))
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def download_request_new(*, holder: str, cid: str) -> DownloadRequest:
    """A fresh request to sign: a random nonce, expiring in half the allowed window."""
    return download_request_parse(
        {
            "holder": holder,
            "cid": cid,
            "expiry": int(time.time()) + MAX_REQUEST_SECONDS // 2,
            "nonce": "0x" + secrets.token_hex(32),
        }
    )


def download_request_parse(message: dict) -> DownloadRequest:
    """Validate the fields of a DownloadRequest; raises ApiError (400) naming the bad one."""
    holder, cid = message.get("holder"), message.get("cid")
    if not isinstance(holder, str) or not is_address(holder):
        raise _malformed("holder", "Not an Ethereum address.")
    if not isinstance(cid, str) or not 0 < len(cid) <= 100:
        raise _malformed("cid", "Give the file's CID.")
    try:
        expiry = int(message.get("expiry"))
    except (TypeError, ValueError):
        raise _malformed("expiry", "Unix seconds.") from None
    if not 0 <= expiry <= UINT64_MAX:
        raise _malformed("expiry", "Unix seconds.")
    try:
        nonce = HexBytes(message.get("nonce"))
    except (TypeError, ValueError):
        nonce = b""
    if len(nonce) != 32:
        raise _malformed("nonce", "32 bytes, 0x-hex.")
    return DownloadRequest(to_checksum_address(holder), cid, expiry, "0x" + nonce.hex())


def _malformed(field: str, message: str) -> ApiError:
    return ApiError(f"request.{field}: {message}", code="request_malformed")


def download_request_redeem(*, message: dict, signature: str) -> DownloadLink:
    """Trade a signed DownloadRequest for a signed URL: the request must be unexpired, signed
    by its holder (EOA or ERC-1271), for a file the holder may download, and its nonce unused."""
    request = download_request_parse(message)
    now = int(time.time())
    if request.expiry <= now:
        raise ApiError("This signed request has expired.", code="request_expired", status=403)
    if request.expiry > now + MAX_REQUEST_SECONDS + CLOCK_SKEW_SECONDS:
        raise ApiError(
            f"The expiry may be at most {MAX_REQUEST_SECONDS // 60} minutes ahead.",
            code="request_expiry_too_far",
        )
    _check_signature(request, signature)
    listing, file = _licensed_file(request)
    _consume_nonce(request)
    return download_link_sign(
        listing=listing, holder=request.holder, file=file, expires_at=link_expiry()
    )


def _check_signature(request: DownloadRequest, signature: str) -> None:
    try:
        raw = bytes(HexBytes(signature))
    except (TypeError, ValueError):
        raw = b""
    if not 65 <= len(raw) <= 2048:
        raise ApiError("The signature must be 0x-prefixed hex.", code="signature_malformed")
    with client.chain_errors(
        "The chain is not reachable to check a contract wallet's signature; try again."
    ):
        accepted = signer_accepts(request.holder, download_request_digest(request), raw)
    if not accepted:
        raise ApiError(
            f"The request was not signed by {request.holder} for chain id {settings.CHAIN_ID}.",
            code="signature_invalid",
            status=403,
        )


def _licensed_file(request: DownloadRequest) -> tuple[Listing, VersionFile]:
    """A listed file with this CID that the holder may download (the same bytes may be in
    several listings: any licence to one of them will do)."""
    files = (
        VersionFile.objects.filter(artifact__cid=request.cid)
        .select_related("artifact", "version__listing__creator")
        .order_by("version__listing_id", "-version__created_at")
    )
    seen: dict[int, Listing] = {}
    for file in files:
        listing = file.version.listing
        if listing.pk not in seen:
            seen[listing.pk] = listing
            if download_allowed(listing=listing, address=request.holder):
                return listing, file
    public = [listing for listing in seen.values() if listing.status in HOLDER_STATUSES]
    if not public:
        raise ApiError("No listed file has this CID.", code="not_found", status=404)
    raise licence_required(public[0])


def _consume_nonce(request: DownloadRequest) -> None:
    try:
        with transaction.atomic():
            DownloadNonce.objects.create(
                holder=request.holder,
                nonce=request.nonce,
                expires_at=datetime.fromtimestamp(request.expiry, tz=UTC),
            )
    except IntegrityError:
        raise ApiError(
            "This signed request was already used: sign a new one with a fresh nonce.",
            code="nonce_used",
            status=409,
        ) from None


def download_nonce_purge(*, now: datetime | None = None) -> int:
    """Forget nonces of requests past their expiry (they are refused as expired anyway)."""
    cutoff = (now or timezone.now()) - timedelta(seconds=CLOCK_SKEW_SECONDS)
    deleted, _ = DownloadNonce.objects.filter(expires_at__lt=cutoff).delete()
    return deleted
