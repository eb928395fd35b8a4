"""Token metadata JSON, where the contracts' URIs point (chain/deploy.py):

- LicenseToken (ERC-1155) `uri()` = `{SITE_URL}/api/licenses/{id}.json`; wallets put the token
  id for `{id}` as 64 lowercase hex digits without 0x (EIP-1155). Decimal is accepted too, for
  clients that substitute it. Token id = listing id << 8 | tier position.
- ListingOwnership (ERC-721) `tokenURI` = `{SITE_URL}/api/listings/ownership/<decimal id>`,
  the token id being the on-chain listing id (creator address << 88 | Listing.pk).

Fields follow the ERC-1155 metadata schema (name, description, image, decimals, properties)
plus `external_url` and `attributes` as marketplaces show them. Only listings that are public
or were taken down (published, paused, delisted) answer; drafts stay secret."""

from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse

from chain import typed_data
from core.eth import to_checksum_address
from listings.models import Listing, Tier
from listings.templatetags.listing_tags import duration, tier_price

SHOWN_STATUSES = (Listing.Status.PUBLISHED, Listing.Status.PAUSED, Listing.Status.DELISTED)
KIND_IMAGES = {
    Tier.Kind.DOWNLOAD: "img/licence-download.svg",
    Tier.Kind.COMPUTE: "img/licence-compute.svg",
    Tier.Kind.BOTH: "img/licence-both.svg",
}
OWNERSHIP_IMAGE = "img/listing-ownership.svg"
MAX_UINT256 = 2**256 - 1


def parse_token_id(text: str) -> int | None:
    """An ERC-1155 `{id}`: 64 hex digits (any case), else a decimal number; None if neither."""
    if len(text) == 64:
        try:
            return int(text, 16)
        except ValueError:
            return None
    return parse_decimal_id(text)


def parse_decimal_id(text: str) -> int | None:
    """A uint256 in decimal (an ERC-721 token URI's suffix), or None."""
    if text.isascii() and text.isdigit() and len(text) <= 78:
        value = int(text)
        return value if value <= MAX_UINT256 else None
    return None


def _listing_by_onchain_id(listing_id: int) -> Listing | None:
    creator_bits = listing_id >> typed_data.LISTING_LOCAL_BITS
    if creator_bits >= 1 << 160:
        return None
    creator = to_checksum_address(f"0x{creator_bits:040x}")
    pk = listing_id & ((1 << typed_data.LISTING_LOCAL_BITS) - 1)
    return (
        Listing.objects.select_related("creator", "license_terms")
        .filter(pk=pk, creator__address=creator, status__in=SHOWN_STATUSES)
        .first()
    )


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _listing_url(listing: Listing) -> str:
    return _absolute(reverse("listings:detail", kwargs={"slug": listing.slug}))


def _trait(name: str, value) -> dict:
    return {"trait_type": name, "value": value}


def license_metadata(token_id: int) -> dict | None:
    """The licence token's metadata, or None for an id no shown listing's tier has."""
    listing_id, position = typed_data.split_token_id(token_id)
    listing = _listing_by_onchain_id(listing_id)
    if listing is None:
        return None
    tier = Tier.objects.filter(listing=listing, position=position).first()
    if tier is None:
        return None
    price = tier_price(tier)
    return {
        "name": f"{listing.title}: {tier.name} licence",
        "description": (
            f"{tier.get_kind_display()} licence to the {listing.get_kind_display().lower()} "
            f"“{listing.title}”, {duration(tier.duration_seconds)}, "
            f"{'transferable' if tier.transferable else 'soulbound'}. {listing.summary}"
        ).strip(),
        "image": _absolute(static(KIND_IMAGES[tier.kind])),
        "external_url": _listing_url(listing),
        "decimals": 0,
        "attributes": [
            _trait("Listing", listing.title),
            _trait("Tier", tier.name),
            _trait("Kind", tier.get_kind_display()),
            _trait("Duration", duration(tier.duration_seconds)),
            _trait("Transferable", "Yes" if tier.transferable else "No (soulbound)"),
            _trait("Price", price),
        ],
        "properties": {
            "listing_id": str(listing_id),
            "tier_id": position,
            "listing_kind": listing.kind,
            "kind": tier.kind,
            "duration_seconds": tier.duration_seconds,
            "transferable": tier.transferable,
            "price_wei": str(int(tier.price_wei)),
            "currency": tier.currency,
            "requires_approval": tier.requires_approval,
            "status": listing.status,
        },
    }


def ownership_metadata(listing_id: int) -> dict | None:
    """The listing ownership token's metadata, or None for an unknown listing."""
    listing = _listing_by_onchain_id(listing_id)
    if listing is None:
        return None
    attributes = [
        _trait("Kind", listing.get_kind_display()),
        _trait("Status", listing.get_status_display()),
        _trait("Licence tiers", listing.tiers.filter(active=True).count()),
        _trait("Sales", listing.sales_count),
    ]
    if listing.license_id:
        attributes.append(_trait("Licence", listing.license_id))
    return {
        "name": f"{listing.title} (ownership)",
        "description": (
            f"Ownership of the listing “{listing.title}”: its holder receives the owner's share "
            f"of every licence sale. {listing.summary}"
        ).strip(),
        "image": _absolute(static(OWNERSHIP_IMAGE)),
        "external_url": _listing_url(listing),
        "attributes": attributes,
        "properties": {
            "listing_id": str(listing_id),
            "creator": listing.creator.address,
            "owner": listing.owner_address,
            "kind": listing.kind,
            "status": listing.status,
        },
    }
