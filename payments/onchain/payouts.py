"""Who got what from each sale, derived exactly as the contract pays it.

Contracts v2 emit no event per payee when a payment goes through (issue 14: ~7.5k gas per
sale): a sale's `Purchased` plus the terms in force at its position in the chain say it all.
The contract (Marketplace._distribute) credits the platform fee, `amount * feeBps // 10_000`,
to the fee recipient; pays each split recipient `net * bps // 10_000` of the rest (`net`); and
pays the listing's owner what remains, rounding dust included. The terms come from the rows
other handlers keep: the latest `PlatformFeeUpdated` (PlatformFeeChange), `SplitUpdated`
(SplitChange; recipient 0 is the owner) and ownership token `Transfer` (OwnershipTransfer)
before the sale. A payee that refused its payment gets a `Credited` log after the sale's
`Purchased` (recorded by handlers.payouts_record): that part is credited, not paid.

This runs from `recompute` (after every handler of the batch ran: a registration's split and
its first sale share one transaction), one Payout row per payee and sale, unique on (log,
position), deleted with the Purchased log by a reorg."""

import logging

from django.db.models import Q

from chain.indexer import insert_rows
from chain.models import ChainLog
from listings.models import OwnershipTransfer
from payments.models import Payout, PlatformFeeChange, SplitChange
from payments.onchain.recompute import Resolver

logger = logging.getLogger(__name__)

BPS = 10_000
FIELDS = (
    "log", "position", "kind", "account", "currency", "amount", "listing", "onchain_listing_id",
    "to_address", "tx_hash", "block_time",
)  # fmt: skip


def listing_id_of(log) -> int:
    """The on-chain listing of a Purchased log (its token id is `listingId << 8 | tierId`)."""
    return int(log.args["tokenId"]) >> 8


def _before(log, prefix: str = "log__") -> Q:
    """Rows whose log comes before `log` in the chain."""
    return Q(**{f"{prefix}block_number__lt": log.block_number}) | Q(
        **{f"{prefix}block_number": log.block_number, f"{prefix}log_index__lt": log.log_index}
    )


def _latest(queryset, log):
    same_contract = queryset.filter(log__chain_id=log.chain_id, log__address=log.address)
    return same_contract.filter(_before(log)).order_by("-block_number", "-log__log_index").first()


def _owner_at(log, listing_id: int) -> str | None:
    transfer = (
        OwnershipTransfer.objects.filter(onchain_listing_id=listing_id, log__chain_id=log.chain_id)
        .filter(_before(log, prefix=""))
        .order_by("-block_number", "-log_index")
        .first()
    )
    return transfer.to_address if transfer else None


def _refused(log) -> dict[str, int]:
    """What each payee of this sale refused: the `Credited` logs after its `Purchased` and
    before the next sale in the same transaction."""
    later = ChainLog.objects.filter(
        chain_id=log.chain_id,
        tx_hash=log.tx_hash,
        address=log.address,
        log_index__gt=log.log_index,
        event__in=["Purchased", "Credited"],
    ).order_by("log_index")
    refused: dict[str, int] = {}
    for other in later:
        if other.event == "Purchased":
            break
        who = other.args["recipient"]
        refused[who] = refused.get(who, 0) + int(other.args["amount"])
    return refused


def sale_shares(log) -> tuple[tuple[str, int] | None, list[tuple[str, int]]] | None:
    """(fee recipient and fee, [(payee, share)] in the contract's order) of one sale, or None
    when the terms in force are not all known (logged: the ledger then lacks that sale's
    payouts rather than guessing them)."""
    amount, listing_id = int(log.args["amount"]), listing_id_of(log)
    fee_change = _latest(PlatformFeeChange.objects.all(), log)
    split = _latest(SplitChange.objects.filter(onchain_listing_id=listing_id), log)
    owner = _owner_at(log, listing_id)
    if fee_change is None or split is None or owner is None:
        logger.error("terms in force unknown for the sale in tx %s: no payouts", log.tx_hash)
        return None
    fee = amount * fee_change.bps // BPS
    net = amount - fee
    shares = [
        (s["recipient"], net * int(s["bps"]) // BPS)
        for s in split.splits
        if int(s["recipient"], 16) != 0
    ]
    shares.append((owner, net - sum(share for _, share in shares)))
    return (fee_change.recipient, fee) if fee else None, shares


def _rows(log, listing) -> list[tuple]:
    found = sale_shares(log)
    if found is None:
        return []
    fee, shares = found
    refused = _refused(log)
    paid: dict[str, int] = {}
    for payee, share in shares:  # one row per payee, in the order the contract pays them
        paid[payee] = paid.get(payee, 0) + share
    for payee, amount in refused.items():
        paid[payee] = paid.get(payee, 0) - amount
    payouts = [(Payout.Kind.CREDITED, *fee)] if fee else []
    payouts += [(Payout.Kind.PAID, payee, amount) for payee, amount in paid.items() if amount > 0]
    currency, listing_id = log.args["currency"], listing_id_of(log)
    return [
        (log.pk, position, kind, account, currency, amount, listing and listing.pk, listing_id,
         "", log.tx_hash, log.block_time)
        for position, (kind, account, amount) in enumerate(payouts)
    ]  # fmt: skip


def payouts_derive(logs) -> None:
    """Record the derived payouts of the `Purchased` logs among `logs` that still exist (after a
    reorg `recompute` gets orphaned logs, already deleted with their rows)."""
    sales = [log for log in logs if log.event == "Purchased"]
    live = ChainLog.objects.filter(pk__in=[log.pk for log in sales])
    live = set(live.values_list("pk", flat=True))
    done = set(Payout.objects.filter(log__in=live).values_list("log", flat=True))
    resolver = Resolver()
    rows = []
    for log in sales:
        if log.pk in live and log.pk not in done:
            rows += _rows(log, resolver.listing(listing_id_of(log)))
    insert_rows(Payout, FIELDS, rows, ignore_conflicts=True)
