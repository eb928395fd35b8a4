"""Derived state rebuilt from the chain facts (payments.onchain.handlers records them): entitlements
(balance from ERC-1155 transfers, expiry from the latest Purchased/ExpiryUpdated), and each
listing's sales count, on-chain pause flag and registered offer.

Everything here is a recompute over the rows that exist now, never an increment: running it
twice changes nothing, and after a reorg deleted orphaned rows the same call rolls back."""

import logging
from collections import defaultdict
from datetime import UTC, datetime

from django.db.models import Count
from django.utils import timezone

from chain.typed_data import LISTING_LOCAL_BITS, ZERO_ADDRESS
from core.bulk import update_rows
from listings.models import Listing, Tier
from listings.onchain import listing_chain_facts_set
from payments.models import (
    Entitlement,
    LicenseExpiry,
    LicenseTransfer,
    ListingChainEvent,
    ListingOffer,
    Purchase,
)

logger = logging.getLogger(__name__)

LOCAL_ID_MASK = (1 << LISTING_LOCAL_BITS) - 1
CHUNK = 300  # keys per query: well under every database's parameter limit


def expiry(seconds: int) -> datetime | None:
    """A contract expiry (unix seconds; 0 = perpetual) as an aware datetime."""
    return datetime.fromtimestamp(seconds, tz=UTC) if seconds else None


class Resolver:
    """Our Listing and Tier for on-chain ids, cached for one batch. The listing's primary key is
    the low 88 bits of its on-chain id, its creator's address the rest: both must match."""

    def __init__(self):
        self._listings: dict[int, Listing | None] = {}
        self._tiers: dict[tuple[int, int], Tier | None] = {}

    def listing(self, onchain_id: int) -> Listing | None:
        if onchain_id not in self._listings:
            found = Listing.objects.select_related("creator").filter(pk=onchain_id & LOCAL_ID_MASK)
            listing = found.first()
            if listing and int(listing.creator.address, 16) != onchain_id >> LISTING_LOCAL_BITS:
                listing = None  # same primary key, someone else's listing id
            self._listings[onchain_id] = listing
        return self._listings[onchain_id]

    def tier(self, listing: Listing | None, position: int) -> Tier | None:
        if listing is None:
            return None
        key = (listing.pk, position)
        if key not in self._tiers:
            self._tiers[key] = Tier.objects.filter(listing=listing, position=position).first()
        return self._tiers[key]

    def token(self, token_id: int) -> tuple[Listing, Tier] | None:
        listing = self.listing(token_id >> 8)
        tier = self.tier(listing, token_id & 0xFF)
        return (listing, tier) if tier else None


# --------------------------------------------------------------------------- entitlements


def entitlements_recompute(*, keys, resolver: Resolver | None = None) -> None:
    """Rebuild the entitlements of (holder, token_id) `keys` from transfers and expiries."""
    resolver = resolver or Resolver()
    keys = sorted({(holder, int(token)) for holder, token in keys if holder != ZERO_ADDRESS})
    for start in range(0, len(keys), CHUNK):
        _recompute_chunk(keys[start : start + CHUNK], resolver)


def _balances(holders: set, tokens: set) -> tuple[dict, set]:
    """Net licence balance per (holder, token) and which keys have any transfer at all."""
    balances: dict[tuple[str, int], int] = defaultdict(int)
    transfers = LicenseTransfer.objects.filter(token_id__in=tokens)
    for to, token, value in transfers.filter(to_address__in=holders).values_list(
        "to_address", "token_id", "value"
    ):
        balances[(to, int(token))] += int(value)
    for sender, token, value in transfers.filter(from_address__in=holders).values_list(
        "from_address", "token_id", "value"
    ):
        balances[(sender, int(token))] -= int(value)
    return balances, set(balances)


def _expiries(holders: set, tokens: set) -> dict:
    """The latest expiry per (holder, token), in chain order, from purchases and transfers."""
    latest: dict[tuple[str, int], tuple[tuple[int, int], datetime | None]] = {}
    sources = (
        Purchase.objects.filter(buyer__in=holders, token_id__in=tokens).values_list(
            "buyer", "token_id", "expires_at", "log__block_number", "log__log_index"
        ),
        LicenseExpiry.objects.filter(holder__in=holders, token_id__in=tokens).values_list(
            "holder", "token_id", "expires_at", "log__block_number", "log__log_index"
        ),
    )
    for rows in sources:
        for holder, token, expires_at, block, index in rows:
            key = (holder, int(token))
            if key not in latest or latest[key][0] < (block, index):
                latest[key] = ((block, index), expires_at)
    return {key: value for key, (_, value) in latest.items()}


def _recompute_chunk(keys: list[tuple[str, int]], resolver: Resolver) -> None:
    holders, tokens = {h for h, _ in keys}, {t for _, t in keys}
    balances, seen = _balances(holders, tokens)
    expiries = _expiries(holders, tokens)
    existing = {
        (e.holder, int(e.token_id)): e
        for e in Entitlement.objects.filter(holder__in=holders, token_id__in=tokens)
    }
    now = timezone.now()
    create, update, stale = [], [], []
    for key in keys:
        found = existing.get(key)
        target = resolver.token(key[1]) if key in seen else None
        if target is None:
            # No transfer left (a rollback took the grant back) or a listing we don't know.
            # The row stays at balance 0: other apps may point at it.
            if found and found.balance:
                stale.append(found.pk)
            continue
        balance = balances[key]
        if balance < 0:
            logger.error("negative licence balance %s for %s: transfers missing", balance, key)
            balance = 0
        listing, tier = target
        # By id: comparing `found.listing` would load it, a query per entitlement per batch.
        fields = {"listing_id": listing.pk, "tier_id": tier.pk, "kind": tier.kind}
        fields.update(balance=balance, expires_at=expiries.get(key))
        if found is None:
            create.append(Entitlement(holder=key[0], token_id=key[1], **fields))
        elif any(getattr(found, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(found, name, value)
            found.updated_at = now
            update.append(found)
    Entitlement.objects.filter(pk__in=stale).update(balance=0, updated_at=now)
    Entitlement.objects.bulk_create(create)
    update_rows(
        Entitlement,
        ("listing", "tier", "kind", "balance", "expires_at", "updated_at"),
        [(e.pk, e.listing_id, e.tier_id, e.kind, e.balance, e.expires_at, now) for e in update],
    )


# ------------------------------------------------------------------------------ listings


def listings_recompute(*, listing_ids) -> None:
    """Sales count, on-chain pause flag and registered offer of each listing, from the facts.
    The listing fields are stored by their owner, listings.onchain.listing_chain_facts_set."""
    listing_ids, facts = sorted(set(listing_ids)), {}
    sales = dict(
        Purchase.objects.filter(listing_id__in=listing_ids)
        .values("listing_id")
        .annotate(n=Count("id"))
        .values_list("listing_id", "n")
    )
    for pk in listing_ids:
        events = ListingChainEvent.objects.filter(listing_id=pk)
        last_pause = (
            events.exclude(kind=ListingChainEvent.Kind.REGISTERED)
            .order_by("-log__block_number", "-log__log_index")
            .values_list("kind", flat=True)
            .first()
        )
        facts[pk] = {
            "sales_count": sales.get(pk, 0),
            "onchain_paused": last_pause == ListingChainEvent.Kind.PAUSED,
        }
        registered = set(
            events.filter(kind=ListingChainEvent.Kind.REGISTERED, offer__isnull=False).values_list(
                "offer_id", flat=True
            )
        )
        _offers_sync(pk, registered)
    listing_chain_facts_set(facts=facts)


def _offers_sync(listing_id: int, registered: set[int]) -> None:
    """The offer a registration names is "registered"; one whose registration was rolled back
    is live again (or superseded, if the creator has signed a newer one since)."""
    offers = ListingOffer.objects.filter(listing_id=listing_id)
    offers.filter(pk__in=registered).exclude(status=ListingOffer.Status.REGISTERED).update(
        status=ListingOffer.Status.REGISTERED
    )
    orphaned = offers.filter(status=ListingOffer.Status.REGISTERED).exclude(pk__in=registered)
    for offer in orphaned.order_by("-created_at", "-id"):
        live = offers.filter(status=ListingOffer.Status.ACTIVE).exists()
        offer.status = ListingOffer.Status.SUPERSEDED if live else ListingOffer.Status.ACTIVE
        offer.save(update_fields=["status"])
