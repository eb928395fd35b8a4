"""What payments does with chain events (registered with the indexer in PaymentsConfig.ready).

Handlers only record facts, one row per log (or per token id of a batch transfer) with a
CASCADE foreign key to the log, and unique on it, so a second run inserts nothing. They write
with `insert_rows` (one prepared statement for the batch): a backfill hands them thousands of
logs at once. The state
built from the facts (entitlements, sales counts, pause flags, registered offers) is rebuilt by
`recompute` for what a batch touched; the indexer calls the same function after a reorg with
the orphaned logs, which rolls that state back.

Sources of truth: ERC-1155 TransferSingle/TransferBatch for licence balances (a purchase's mint
is its TransferSingle from the zero address, so Purchased adds no balance); Purchased and
ExpiryUpdated for expiries; Purchased (with the terms in force: payments.onchain.payouts),
Credited (a payee that refused its payment) and Withdrawn for the ledger (the Payout view)."""

import logging

from chain import registry
from chain.typed_data import ZERO_ADDRESS
from core.bulk import insert_rows, select_in, update_rows
from payments.models import (
    LicenseExpiry,
    LicenseTransfer,
    ListingChainEvent,
    ListingOffer,
    PayoutEntry,
    PayoutKind,
    Purchase,
)
from payments.onchain import changes, notices
from payments.onchain.payouts import Schedules, listing_id_of
from payments.onchain.recompute import (
    Resolver,
    entitlements_recompute,
    expiry,
    listings_recompute,
)

logger = logging.getLogger(__name__)


def purchases_record(logs) -> None:
    """A Purchase per sale, pointing at its payouts (payments.onchain.payouts: the terms this
    batch changed are recorded by then, see `register`)."""
    resolver, schedules = Resolver(), Schedules(logs)
    rows, sales, fees = [], [], []
    for log in logs:
        a = log.args
        listing_id, tier_id = listing_id_of(log), int(a["tokenId"]) & 0xFF
        listing = resolver.listing(listing_id)
        if listing is None:
            logger.warning(
                "Purchased of unknown listing %s (tx %s): in the ledger, no entitlement",
                listing_id,
                log.tx_hash,
            )
        tier = resolver.tier(listing, tier_id)
        schedule, lines = schedules.of(log)
        rows.append(
            (log.pk, a["buyer"], listing and listing.pk, tier and tier.pk, listing_id,
             a["tokenId"], tier_id, a["quantity"], a["currency"], a["amount"],
             expiry(a["expiresAt"]), log.tx_hash, log.block_time, schedule)
        )  # fmt: skip
        sales.append((log, listing, tier))
        fees += [(log, who, amount, listing) for kind, who, amount in lines if kind == CREDITED]
    if insert_rows(Purchase, PURCHASE_FIELDS, rows, ignore_conflicts=True) < len(rows):
        _payouts_fill(schedules, logs)  # some were indexed before: a replay or a backfill
    notices.sales_notify(sales)
    notices.fee_credits_notify(fees)  # as the fee's own Credited log did before contracts v2


def _payouts_fill(schedules: Schedules, logs) -> None:
    """Point the sales already stored without payouts at theirs: a sale indexed while the
    terms in force were unknown (an indexer started after them) gets its payouts when a
    backfill reads those terms."""
    known = {log.pk: schedules.of(log)[0] for log in logs}
    stored = select_in(Purchase, ["id", "log", "payouts"], "log", known)
    update_rows(
        Purchase,
        ["payouts"],
        [(pk, known[log]) for pk, log, payouts in stored if payouts is None and known[log]],
    )


CREDITED = PayoutKind.CREDITED.value
PURCHASE_FIELDS = (
    "log", "buyer", "listing", "tier", "onchain_listing_id", "token_id", "tier_index",
    "quantity", "currency", "amount", "expires_at", "tx_hash", "block_time", "payouts",
)  # fmt: skip
ENTRY_FIELDS = (
    "log", "position", "kind", "account", "currency", "amount", "listing", "onchain_listing_id",
    "to_address", "tx_hash", "block_time",
)  # fmt: skip


def payouts_record(logs) -> None:
    """A payee's refused payment (`Credited`) or a withdrawal (`Withdrawn`); the payments that
    went through are derived from each sale (payments.onchain.payouts)."""
    resolver = Resolver()
    rows, credits = [], []
    for log in logs:
        a = log.args
        if log.event == "Withdrawn":  # a credit taken out: no listing, a destination
            who, kind, listing_id, to = a["account"], PayoutKind.WITHDRAWN, None, a["to"]
        else:
            who, kind, listing_id, to = a["recipient"], PayoutKind.CREDITED, a["listingId"], ""
        listing = resolver.listing(listing_id) if listing_id is not None else None
        rows.append(
            (log.pk, 0, kind, who, a["currency"], a["amount"], listing and listing.pk, listing_id,
             to, log.tx_hash, log.block_time)
        )  # fmt: skip
        if kind == PayoutKind.CREDITED:
            credits.append((log, listing))
    insert_rows(PayoutEntry, ENTRY_FIELDS, rows, ignore_conflicts=True)
    notices.credits_notify(credits)


def transfers_record(logs) -> None:
    rows = []
    for log in logs:
        a = log.args
        if log.event == "TransferSingle":
            moves = [(a["id"], a["value"])]
        else:
            moves = list(zip(a["ids"], a["values"], strict=True))
        rows += [
            (log.pk, i, token, a["from"], a["to"], value) for i, (token, value) in enumerate(moves)
        ]
    insert_rows(
        LicenseTransfer,
        ("log", "position", "token_id", "from_address", "to_address", "value"),
        rows,
        ignore_conflicts=True,
    )


def expiries_record(logs) -> None:
    rows = [
        (log.pk, log.args["holder"], log.args["tokenId"], expiry(log.args["expiresAt"]))
        for log in logs
    ]
    insert_rows(
        LicenseExpiry, ("log", "holder", "token_id", "expires_at"), rows, ignore_conflicts=True
    )


LISTING_EVENT_KINDS = {
    "ListingRegistered": ListingChainEvent.Kind.REGISTERED,
    "ListingPaused": ListingChainEvent.Kind.PAUSED,
    "ListingUnpaused": ListingChainEvent.Kind.UNPAUSED,
}


def listing_events_record(logs) -> None:
    resolver = Resolver()
    rows = []
    for log in logs:
        listing = resolver.listing(log.args["listingId"])
        kind = LISTING_EVENT_KINDS[log.event]
        offer = _registered_offer(listing, log) if kind == "registered" else None
        rows.append(
            (log.pk, kind, log.args["listingId"], listing and listing.pk, offer and offer.pk)
        )
    insert_rows(
        ListingChainEvent,
        ("log", "kind", "onchain_listing_id", "listing", "offer"),
        rows,
        ignore_conflicts=True,
    )


def _registered_offer(listing, log) -> ListingOffer | None:
    """The offer this registration used: the listing's live one for this Marketplace."""
    if listing is None:
        return None
    return (
        ListingOffer.objects.filter(
            listing=listing, chain_id=log.chain_id, status=ListingOffer.Status.ACTIVE
        )
        .filter(marketplace__iexact=log.address)
        .first()
    )


# ------------------------------------------------------------------------------- derive


def _entitlement_keys(log) -> list[tuple[str, int]]:
    a = log.args
    if log.event == "Purchased":
        return [(a["buyer"], a["tokenId"])]
    if log.event == "ExpiryUpdated":
        return [(a["holder"], a["tokenId"])]
    if log.event in ("TransferSingle", "TransferBatch"):
        tokens = [a["id"]] if log.event == "TransferSingle" else a["ids"]
        return [(who, t) for t in tokens for who in (a["from"], a["to"]) if who != ZERO_ADDRESS]
    return []


LISTING_EVENTS = {"Purchased", *LISTING_EVENT_KINDS}


def recompute(logs) -> None:
    """Rebuild what `logs` touched: the entitlements of their (holder, token) pairs and the
    derived fields of their listings."""
    resolver = Resolver()
    keys = {key for log in logs for key in _entitlement_keys(log)}
    entitlements_recompute(keys=keys, resolver=resolver)
    listings = {resolver.listing(_listing_id(log)) for log in logs if log.event in LISTING_EVENTS}
    listings_recompute(listing_ids=[listing.pk for listing in listings if listing])
    changes.changes_recompute(logs)


def _listing_id(log) -> int:
    return listing_id_of(log) if log.event == "Purchased" else log.args["listingId"]


def register() -> None:
    # Handlers run in this order for a batch: the term changes (fee, split, tiers) before the
    # sales, whose payouts follow the terms in force, this batch's included.
    registry.register(
        "payments",
        handlers={
            ("Marketplace", "PlatformFeeUpdated"): changes.fees_record,
            ("Marketplace", "SplitUpdated"): changes.splits_record,
            ("Marketplace", "SplitsScheduled"): changes.split_notices_record,
            ("Marketplace", "TierUpdated"): changes.tiers_record,
            ("Marketplace", "ListingRegistered"): listing_events_record,
            ("Marketplace", "ListingPaused"): listing_events_record,
            ("Marketplace", "ListingUnpaused"): listing_events_record,
            ("Marketplace", "Purchased"): purchases_record,
            ("Marketplace", "Credited"): payouts_record,
            ("Marketplace", "Withdrawn"): payouts_record,
            ("LicenseToken", "TransferSingle"): transfers_record,
            ("LicenseToken", "TransferBatch"): transfers_record,
            ("LicenseToken", "ExpiryUpdated"): expiries_record,
            ("ListingOwnership", "Transfer"): changes.ownership_transfers_seen,
        },
        recompute=recompute,
    )
