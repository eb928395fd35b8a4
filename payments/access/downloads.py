"""Downloads of licensed files.

Who may download a listing's files: its creator, always; anyone else while the listing is
published or paused (a pause stops sales, not holders) and `selectors.access_for` finds a live
download licence (a "download" or "both" tier token) or an approved access request. A delisted
listing serves its files to its creator only: a takedown must stop distribution. A licence
covers every version of the listing (tiers are not tied to versions yet).

Access gives short-lived signed URLs, `/dl/<token>/<path>` (artifacts.serving tokens, valid
DOWNLOAD_URL_TTL_SECONDS), one per file. The token carries the CID, the holder and the listing,
and the download view checks access again when the URL is used, so a licence that expired or
moved since the URL was issued downloads nothing. The URL itself is the credential for its few
minutes (download managers and curl need no session); it is never shared beyond the holder.

API clients without a session sign an EIP-712 `DownloadRequest(address holder, string cid,
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
from django.urls import reverse
from django.utils import timezone
from eth_account.messages import encode_typed_data
from eth_utils import is_address, keccak, to_checksum_address
from hexbytes import HexBytes

from accounts.selectors import address_is_denied
from artifacts import serving
from artifacts.models import Artifact
from chain import client
from chain.signatures import signer_accepts
from core.errors import ApiError
from listings.models import Listing, Tier, VersionFile
from listings.moderation import checks
from listings.services import listing_count_download
from listings.templatetags.listing_tags import tier_price
from payments import selectors
from payments.models import DownloadNonce

HOLDER_STATUSES = (Listing.Status.PUBLISHED, Listing.Status.PAUSED)
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
class DownloadLink:
    path: str
    cid: str
    size: int
    sha256: str
    url: str  # site-relative; APIs make it absolute
    expires_at: datetime


def download_allowed(*, listing: Listing, address: str) -> bool:
    if address_is_denied(address=address):  # the deny-list overrides any licence
        return False
    if address == listing.owner_address:  # the owner, always (not a former one)
        return True
    if listing.status not in HOLDER_STATUSES:
        return False
    return selectors.access_for(address=address, listing=listing) is not None


def licence_hint(*, listing: Listing) -> str:
    """What would give access, e.g. "Buy the 'Download' tier (0.01 ETH) or the 'Both' tier
    (0.05 ETH) to download this file." """
    tiers = Tier.objects.filter(
        listing=listing, active=True, kind__in=selectors.DOWNLOAD_KINDS
    ).order_by("price_wei", "position")
    if listing.status not in HOLDER_STATUSES or not tiers:
        return "No licence on sale gives access to this file."
    phrases, previous_verb = [], None
    for tier in tiers:
        if tier.requires_approval:
            verb, what = "request access to", f"the '{tier.name}' tier"
        elif tier.price_wei == 0:
            verb, what = "get", f"the free '{tier.name}' tier"
        else:
            verb, what = "buy", f"the '{tier.name}' tier ({tier_price(tier)})"
        phrases.append(what if verb == previous_verb else f"{verb} {what}")
        previous_verb = verb
    text = phrases[0] if len(phrases) == 1 else f"{', '.join(phrases[:-1])} or {phrases[-1]}"
    return f"{text[0].upper()}{text[1:]} to download this file."


def _denied(listing: Listing) -> ApiError:
    return ApiError(licence_hint(listing=listing), code="licence_required", status=403)


def _sign_link(
    *, listing: Listing, holder: str, file: VersionFile, expires_at: int
) -> DownloadLink:
    artifact = file.artifact
    token = serving.url_token_sign(
        cid=artifact.cid,
        expires_at=expires_at,
        claims={"h": holder, "l": listing.pk, "p": file.path},
    )
    return DownloadLink(
        path=file.path,
        cid=artifact.cid,
        size=artifact.size,
        sha256=artifact.sha256,
        url=reverse("access:download", kwargs={"token": token, "filename": file.path}),
        expires_at=datetime.fromtimestamp(expires_at, tz=UTC),
    )


def _expiry() -> int:
    return int(time.time()) + settings.DOWNLOAD_URL_TTL_SECONDS


def download_links(*, listing: Listing, address: str, tag: str | None = None) -> list[DownloadLink]:
    """Signed URLs for every file of the version `tag` (default: the latest)."""
    if not download_allowed(listing=listing, address=address):
        raise _denied(listing)
    files = VersionFile.objects.select_related("artifact").filter(version__listing=listing)
    version = listing.versions.order_by("-created_at", "-id")
    version = (version.filter(tag=tag) if tag else version).first()
    if version is None:
        message = "No such version." if tag else "No version has been released yet."
        raise ApiError(message, code="not_found", status=404)
    expires_at = _expiry()
    links = [
        _sign_link(listing=listing, holder=address, file=file, expires_at=expires_at)
        for file in files.filter(version=version).order_by("path")
    ]
    listing_count_download(listing=listing, address=address)
    return links


def download_link(
    *, listing: Listing, address: str, path: str, tag: str | None = None
) -> DownloadLink:
    """The signed URL of one file (the listing page's download buttons)."""
    links = download_links(listing=listing, address=address, tag=tag)
    link = next((link for link in links if link.path == path), None)
    if link is None:
        raise ApiError("No such file in this version.", code="not_found", status=404)
    return link


def download_resolve(*, token: str) -> tuple[Artifact, str]:
    """The artifact and file name a signed URL stands for, once access is checked again."""
    try:
        claims = serving.url_token_read(token)
    except serving.UrlTokenError as exc:
        raise ApiError(str(exc), code="link_invalid", status=403) from exc
    listing = Listing.objects.select_related("creator").filter(pk=claims.get("l")).first()
    holder = claims.get("h")
    if listing is None or not isinstance(holder, str):
        raise ApiError("This download link is not valid.", code="link_invalid", status=403)
    if not download_allowed(listing=listing, address=holder):
        raise _denied(listing)
    artifact = Artifact.objects.filter(cid=claims["c"]).first()
    if artifact is None:
        raise ApiError("This file is no longer stored.", code="not_found", status=404)
    path = str(claims.get("p") or artifact.cid)
    # Only bytes scanned clean under the name they are served as: published listings get new
    # versions without review, old versions stay downloadable, and a file released under a
    # pickle name is pending until it was parsed as one (409 `scanning` meanwhile).
    checks.check_files_cleared(checks.file_checks([VersionFile(artifact=artifact, path=path)]))
    return artifact, path


# --- EIP-712 signed download requests ---------------------------------------------------------


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
    return _sign_link(listing=listing, holder=request.holder, file=file, expires_at=_expiry())


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
    raise _denied(public[0])


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
