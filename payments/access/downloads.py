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

API clients without a session trade a signed EIP-712 request for the same URL:
payments.access.signed_requests."""

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.urls import reverse

from accounts.selectors import address_is_denied
from artifacts import serving
from artifacts.models import Artifact
from core.errors import ApiError
from listings.models import Listing, Tier, VersionFile
from listings.moderation import checks
from listings.services import listing_count_download
from listings.templatetags.listing_tags import tier_price
from payments import selectors

HOLDER_STATUSES = (Listing.Status.PUBLISHED, Listing.Status.PAUSED)


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


def licence_required(listing: Listing) -> ApiError:
    return ApiError(licence_hint(listing=listing), code="licence_required", status=403)


def download_link_sign(
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


def link_expiry() -> int:
    return int(time.time()) + settings.DOWNLOAD_URL_TTL_SECONDS


def download_links(*, listing: Listing, address: str, tag: str | None = None) -> list[DownloadLink]:
    """Signed URLs for every file of the version `tag` (default: the latest)."""
    if not download_allowed(listing=listing, address=address):
        raise licence_required(listing)
    files = VersionFile.objects.select_related("artifact").filter(version__listing=listing)
    version = listing.versions.order_by("-created_at", "-id")
    version = (version.filter(tag=tag) if tag else version).first()
    if version is None:
        message = "No such version." if tag else "No version has been released yet."
        raise ApiError(message, code="not_found", status=404)
    expires_at = link_expiry()
    links = [
        download_link_sign(listing=listing, holder=address, file=file, expires_at=expires_at)
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
        raise licence_required(listing)
    artifact = Artifact.objects.filter(cid=claims["c"]).first()
    if artifact is None:
        raise ApiError("This file is no longer stored.", code="not_found", status=404)
    path = str(claims.get("p") or artifact.cid)
    # Only bytes scanned clean under the name they are served as: published listings get new
    # versions without review, old versions stay downloadable, and a file released under a
    # pickle name is pending until it was parsed as one (409 `scanning` meanwhile).
    checks.check_files_cleared(checks.file_checks([VersionFile(artifact=artifact, path=path)]))
    return artifact, path
