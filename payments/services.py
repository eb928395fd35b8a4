"""Writes for payments. Offers: the creator signs an EIP-712 ListingOffer in the wallet (no
gas); we check it as the contract will, keep it, and send the listing to review."""

import time

from django.conf import settings
from django.db import transaction
from hexbytes import HexBytes

from chain import client, typed_data
from chain.signatures import signer_accepts
from listings import selectors as listing_selectors
from listings import services as listing_services
from listings.models import Listing, Tier
from marketplace.api_errors import ApiError
from payments.models import ListingOffer

TIER_KINDS = {
    Tier.Kind.DOWNLOAD: typed_data.Kind.DOWNLOAD,
    Tier.Kind.COMPUTE: typed_data.Kind.COMPUTE,
    Tier.Kind.BOTH: typed_data.Kind.BOTH,
}
# A submitted offer may have been prepared a little while ago; its window must still be sane.
MIN_REMAINING_VALIDITY_SECONDS = 24 * 3600


def offer_domain() -> typed_data.Domain:
    """The Marketplace's EIP-712 domain on the configured chain."""
    try:
        market = client.get_contract("Marketplace")
    except client.DeploymentMissing as exc:
        raise ApiError(
            "The contracts are not deployed on this chain yet.", code="not_deployed", status=503
        ) from exc
    return typed_data.Domain(chain_id=settings.CHAIN_ID, verifying_contract=market.address)


def offer_build(
    *, listing: Listing, valid_after: int, valid_until: int, counter: int
) -> typed_data.ListingOffer:
    """The offer for the listing as it stands: its latest version, active tiers and split.
    The creator's own split row pays "the owner" on-chain, so it follows the ownership token."""
    version = listing_selectors.version_get(listing=listing)
    tiers = tuple(
        typed_data.Tier(
            price=int(tier.price_wei),
            currency=tier.currency,
            duration=tier.duration_seconds,
            max_supply=tier.supply_cap or 0,
            kind=TIER_KINDS[tier.kind],
            transferable=tier.transferable,
        )
        for tier in listing.tiers.filter(active=True).order_by("position")
    )
    splits = tuple(
        typed_data.Split(
            recipient=typed_data.OWNER if s.address == listing.creator.address else s.address,
            bps=s.bps,
        )
        for s in listing.splits.all()
    )
    return typed_data.ListingOffer(
        creator=listing.creator.address,
        listing_id=listing.onchain_id,
        content_digest=version.content_digest,
        tiers=tiers,
        splits=splits,
        royalty_bps=listing.royalty_bps,
        valid_after=valid_after,
        valid_until=valid_until,
        counter=counter,
    )


def json_safe(value):
    """Integers as decimal strings: a browser's JSON would round a 256-bit listing id, and
    wallets accept decimal strings for every uint field of typed data."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _creator_counter(creator: str) -> int:
    with client.chain_errors():
        return client.get_contract("Marketplace").functions.counters(creator).call()


def offer_prepare(*, listing: Listing, actor) -> dict:
    """The EIP-712 document the creator's wallet signs (eth_signTypedData_v4)."""
    if actor.pk != listing.creator_id:
        raise ApiError("Only the listing's creator can list it.", code="not_creator", status=403)
    if listing.status != Listing.Status.DRAFT:
        raise ApiError("Only a draft can be submitted.", code="not_draft", status=409)
    listing_services.listing_check_complete(listing=listing)
    now = int(time.time())
    offer = offer_build(
        listing=listing,
        valid_after=now - 60,  # tolerate a wallet or node clock slightly behind ours
        valid_until=now + settings.OFFER_VALIDITY_SECONDS,
        counter=_creator_counter(listing.creator.address),
    )
    document = typed_data.typed_data(offer, offer_domain())
    return {**document, "message": json_safe(document["message"])}


def _parse_signature(signature: str) -> bytes:
    try:
        raw = HexBytes(signature)
    except (ValueError, TypeError):
        raw = b""
    if not 65 <= len(raw) <= 512:
        raise ApiError("The signature must be 0x-prefixed hex.", code="signature_malformed")
    return bytes(raw)


def _check_window(message: dict) -> tuple[int, int, int]:
    try:
        valid_after, valid_until = int(message["validAfter"]), int(message["validUntil"])
        counter = int(message["counter"])
    except (KeyError, TypeError, ValueError):
        raise ApiError("The signed offer is incomplete.", code="offer_malformed") from None
    now = int(time.time())
    if valid_after > now + 300 or valid_until < now + MIN_REMAINING_VALIDITY_SECONDS:
        raise ApiError("The offer's validity window has passed; sign again.", code="offer_expired")
    if valid_until > now + settings.OFFER_VALIDITY_SECONDS + 3600:
        raise ApiError("The offer is valid for too long.", code="offer_window")
    return valid_after, valid_until, counter


@transaction.atomic
def offer_submit(*, listing: Listing, actor, message: dict, signature: str) -> ListingOffer:
    """Accept the creator's signed offer: it must be exactly the listing as it stands now,
    inside its window, at the creator's current counter, and signed by the creator (EOA or
    ERC-1271). Then the listing goes to review (or is published, per settings)."""
    if actor.pk != listing.creator_id:
        raise ApiError("Only the listing's creator can list it.", code="not_creator", status=403)
    raw_signature = _parse_signature(signature)
    valid_after, valid_until, counter = _check_window(message)
    offer = offer_build(
        listing=listing, valid_after=valid_after, valid_until=valid_until, counter=counter
    )
    domain = offer_domain()
    if json_safe(offer.as_struct()) != json_safe(message):
        raise ApiError(
            "The listing changed since the offer was prepared; review it and sign again.",
            code="offer_mismatch",
            status=409,
        )
    if counter != _creator_counter(offer.creator):
        raise ApiError(
            "This offer was cancelled on-chain; sign a new one.", code="offer_cancelled", status=409
        )
    digest = typed_data.digest(offer, domain)
    with client.chain_errors():
        accepted = signer_accepts(offer.creator, digest, raw_signature)
    if not accepted:
        raise ApiError(
            f"The offer was not signed by {offer.creator}: sign with that account.",
            code="signature_invalid",
        )
    return _store_offer(listing, offer, domain, digest, raw_signature, actor)


def _store_offer(listing, offer, domain, digest, signature, actor) -> ListingOffer:
    listing.offers.filter(status=ListingOffer.Status.ACTIVE).update(
        status=ListingOffer.Status.SUPERSEDED
    )
    version = listing_selectors.version_get(listing=listing)
    stored = ListingOffer.objects.create(
        listing=listing,
        version=version,
        chain_id=domain.chain_id,
        marketplace=domain.verifying_contract,
        creator=offer.creator,
        onchain_listing_id=offer.listing_id,
        counter=offer.counter,
        valid_after=offer.valid_after,
        valid_until=offer.valid_until,
        message=offer.as_struct(),
        signature="0x" + signature.hex(),
        digest="0x" + digest.hex(),
    )
    listing_services.listing_submit(listing=listing, actor=actor)
    # Provenance goes out after commit: a chain transaction must not hold our DB transaction.
    # (Imported here: the tasks module loads web3, which the web process needs only now.)
    from listings.tasks import version_attest_release

    version_attest_release.delay_on_commit(version.pk)
    return stored
