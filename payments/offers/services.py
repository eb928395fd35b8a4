"""Writes for payments. Offers: the creator signs an EIP-712 ListingOffer in the wallet (no
gas); we check it as the contract will, keep it, and send the listing to review.

Offers are valid for a short time (OFFER_VALIDITY_SECONDS): an unsold listing's creator renews
its offer with one more signature, terms unchanged. A replaced offer would stay registrable
on-chain until it expires, so with every new offer the creator also signs an OfferCancel of
each older one still live, and the site relays those cancels (`cancelOfferBySig`)."""

import time

from django.conf import settings
from django.db import transaction

from chain import client, typed_data
from chain.signatures import signer_accepts
from core.errors import ApiError
from listings import selectors as listing_selectors
from listings import services as listing_services
from listings.models import Listing, Tier
from payments import selectors
from payments.models import ListingOffer
from payments.offers.cancels import (
    CANCEL_SIGNATURE_SECONDS,
    cancels_accept,
    cancels_needed,
    signature_parse,
)

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
    *, listing: Listing, valid_after: int, valid_until: int, counter: int, lock_splits=False
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
        lock_splits=bool(lock_splits),
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


def _check_offer_signer(listing: Listing, actor) -> None:
    """The offer names the creator (the on-chain id carries their address), so only a listing
    its creator still controls (never registered, so no ownership token moved) takes one."""
    listing_selectors.listing_check_controlled_by(listing=listing, user=actor, what="list it")
    if listing.owner_address != listing.creator.address:
        raise ApiError(
            "This listing is registered and owned by the holder of its ownership token: its "
            "terms change on-chain (split and price updates), not with a new offer.",
            code="registered",
            status=409,
        )


def _renewing(listing: Listing) -> bool:
    """Whether a new offer for `listing` renews its live one (same terms, new window): a
    listing past review whose offer no purchase has registered yet."""
    if listing.status == Listing.Status.DRAFT:
        return False
    registered = listing.offers.filter(status=ListingOffer.Status.REGISTERED).exists()
    if listing.status != Listing.Status.PUBLISHED or registered:
        raise ApiError("Only a draft can be submitted.", code="not_draft", status=409)
    return True


def _check_currencies(offer: typed_data.ListingOffer) -> None:
    """Every ERC-20 of the offer must be on the contract's allow-list, or the first purchase
    would revert: say so before the creator signs."""
    market = client.get_contract("Marketplace")
    for tier in offer.tiers:
        if int(tier.currency, 16) == 0:
            continue
        with client.chain_errors():
            allowed = market.functions.currencies(tier.currency).call()[0]
        if not allowed:
            raise ApiError(
                f"The marketplace does not accept {tier.currency} as a currency; choose ETH or "
                "an accepted token.",
                code="currency_not_allowed",
                status=409,
            )


def offer_prepare(*, listing: Listing, actor, lock_splits: bool = False) -> dict:
    """The EIP-712 document the creator's wallet signs (eth_signTypedData_v4), plus `cancels`:
    an OfferCancel document for each older offer of the listing still live on-chain, to sign
    too. A published listing that nobody has bought yet can renew its offer this way."""
    _check_offer_signer(listing, actor)
    renewing = _renewing(listing)
    if renewing:
        lock_splits = bool(selectors.offer_active(listing=listing).message.get("lockSplits"))
    else:
        listing_services.listing_check_complete(listing=listing)
    now = int(time.time())
    offer = offer_build(
        listing=listing,
        valid_after=now - 60,  # tolerate a wallet or node clock slightly behind ours
        valid_until=now + settings.OFFER_VALIDITY_SECONDS,
        counter=_creator_counter(listing.creator.address),
        lock_splits=lock_splits,
    )
    _check_currencies(offer)
    domain = offer_domain()
    document = typed_data.typed_data(offer, domain)
    cancels = [
        typed_data.typed_data(cancel, domain)
        for cancel in cancels_needed(listing, domain, now + CANCEL_SIGNATURE_SECONDS)
    ]
    return {
        **document,
        "message": json_safe(document["message"]),
        "renewal": renewing,
        "cancels": [{**c, "message": json_safe(c["message"])} for c in cancels],
    }


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
def offer_submit(
    *, listing: Listing, actor, message: dict, signature: str, cancels: list | None = None
) -> ListingOffer:
    """Accept the creator's signed offer: it must be exactly the listing as it stands now,
    inside its window, at the creator's current counter, and signed by the creator (EOA or
    ERC-1271), with a signed cancellation of every older offer still live. Then the listing
    goes to review (or is published, per settings); a renewal keeps its status."""
    _check_offer_signer(listing, actor)
    renewing = _renewing(listing)
    raw_signature = signature_parse(signature)
    valid_after, valid_until, counter = _check_window(message)
    offer = offer_build(
        listing=listing,
        valid_after=valid_after,
        valid_until=valid_until,
        counter=counter,
        lock_splits=message.get("lockSplits") is True,
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
    if ListingOffer.objects.filter(digest="0x" + digest.hex()).exists():
        raise ApiError("This offer was submitted already.", code="offer_duplicate", status=409)
    if renewing:
        _check_same_terms(selectors.offer_active(listing=listing), offer)
    cancels_accept(listing, domain, cancels or [])
    return _store_offer(listing, offer, domain, digest, raw_signature, actor, renewing)


def _check_same_terms(live: ListingOffer, offer: typed_data.ListingOffer) -> None:
    """A renewal changes the validity window (and counter) only: anything else would put new
    terms on the market without review."""
    window = ("validAfter", "validUntil", "counter")
    old = {k: v for k, v in json_safe(live.message).items() if k not in window}
    new = {k: v for k, v in json_safe(offer.as_struct()).items() if k not in window}
    if old != new:
        raise ApiError(
            "The listing changed since it was published; withdraw it to a draft to change it.",
            code="offer_mismatch",
            status=409,
        )


def _store_offer(listing, offer, domain, digest, signature, actor, renewing) -> ListingOffer:
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
    if renewing:  # same terms, already reviewed: it stays on the market
        return stored
    listing_services.listing_submit(listing=listing, actor=actor)
    # Provenance goes out after commit: a chain transaction must not hold our DB transaction.
    # (Imported here: the tasks module loads web3, which the web process needs only now.)
    from listings.tasks import version_attest_release_task

    version_attest_release_task.delay_on_commit(version.pk)
    return stored
