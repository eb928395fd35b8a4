"""Who got what from each sale, derived exactly as the contract pays it.

Contracts v2 emit no event per payee when a payment goes through (issue 14: ~8k gas per
sale): a sale's `Purchased` plus the terms in force at its position in the chain say it all.
The contract (Marketplace._distribute) credits the platform fee, `amount * feeBps // 10_000`,
to the fee recipient; pays each split recipient `net * bps // 10_000` of the rest (`net`); and
pays the listing's owner what remains, rounding dust included. The terms come from the rows
other handlers keep: the latest `PlatformFeeUpdated` (PlatformFeeChange), `SplitUpdated`
(SplitChange; recipient 0 is the owner) and ownership token `Transfer` (OwnershipTransfer)
before the sale. A payee that refused its payment gets a `Credited` log after the sale's
`Purchased` (recorded by handlers.payouts_record): that part is credited, not paid.

This runs from `recompute` (after every handler of the batch ran: a registration's split and
its first sale share one transaction; OwnershipTransfer rows come from the listings app, whose
handlers and recompute run before ours, as payments.onchain.changes also relies on), one Payout
row per payee and sale, unique on (log, position), deleted with the Purchased log by a reorg."""

import logging
from bisect import bisect_left
from collections import defaultdict

from chain.indexer import insert_rows, select_in
from chain.models import ChainLog
from listings.models import OwnershipTransfer
from payments.models import Payout, PlatformFeeChange, SplitChange
from payments.onchain import notices
from payments.onchain.recompute import CHUNK, Resolver

logger = logging.getLogger(__name__)

BPS = 10_000
FIELDS = (
    "log", "position", "kind", "account", "currency", "amount", "listing", "onchain_listing_id",
    "to_address", "tx_hash", "block_time",
)  # fmt: skip


def chunks(values) -> list[list]:
    """`values` in lists of at most CHUNK: under every database's parameter limit."""
    values = list(values)
    return [values[start : start + CHUNK] for start in range(0, len(values), CHUNK)]


def listing_id_of(log) -> int:
    """The on-chain listing of a Purchased log (its token id is `listingId << 8 | tierId`)."""
    return int(log.args["tokenId"]) >> 8


class History:
    """Values set at positions (block, log index) in the chain; `at` gives the one in force
    just before a position."""

    def __init__(self):
        self._entries: dict = defaultdict(list)
        self._positions: dict = {}  # key -> sorted positions, built on first look-up

    def add(self, key, position: tuple[int, int], value) -> None:
        self._entries[key].append((position, value))
        self._positions.pop(key, None)

    def at(self, key, position: tuple[int, int]):
        entries = self._entries.get(key)
        if not entries:
            return None
        if key not in self._positions:
            entries.sort(key=lambda entry: entry[0])
            self._positions[key] = [p for p, _ in entries]
        index = bisect_left(self._positions[key], position)
        return entries[index - 1][1] if index else None


class Terms:
    """The fee, split and owner history of a batch's sales, and the payments their payees
    refused: a query each per CHUNK sales, not per sale (a backfill hands over thousands)."""

    def __init__(self, sales: list):
        chain_ids = {log.chain_id for log in sales}
        listing_ids = {listing_id_of(log) for log in sales}
        self.fees, self.splits, self.owners = History(), History(), History()
        for address, block, index, recipient, bps in PlatformFeeChange.objects.filter(
            log__chain_id__in=chain_ids
        ).values_list("log__address", "block_number", "log__log_index", "recipient", "bps"):
            self.fees.add(address, (block, index), (recipient, bps))
        for some in chunks(listing_ids):
            self._histories(chain_ids, some)
        self._tx_logs = defaultdict(list)
        self._shares: dict = {}
        # Only the transactions where a payee refused need their logs: that is rare, and
        # loading every sale's log again cost a sixth of indexing a batch of sales.
        # By chain and hash: the unique index's order (by hash alone it would scan the table).
        refusing = {
            tx_hash
            for chain_id in chain_ids
            for (tx_hash,) in select_in(
                ChainLog, ["tx_hash"], "tx_hash", {log.tx_hash for log in sales},
                chain_id=chain_id, event="Credited",
            )
        }  # fmt: skip
        for hashes in chunks(refusing):
            for log in ChainLog.objects.filter(
                chain_id__in=chain_ids, tx_hash__in=hashes, event__in=["Purchased", "Credited"]
            ).order_by("log_index"):
                self._tx_logs[(log.tx_hash, log.address)].append(log)

    def _histories(self, chain_ids: set, listing_ids: list) -> None:
        for listing_id, address, block, index, splits in SplitChange.objects.filter(
            log__chain_id__in=chain_ids, onchain_listing_id__in=listing_ids
        ).values_list(
            "onchain_listing_id", "log__address", "block_number", "log__log_index", "splits"
        ):
            self.splits.add((address, int(listing_id)), (block, index), splits)
        for listing_id, block, index, owner in OwnershipTransfer.objects.filter(
            log__chain_id__in=chain_ids, onchain_listing_id__in=listing_ids
        ).values_list("onchain_listing_id", "block_number", "log_index", "to_address"):
            self.owners.add(int(listing_id), (block, index), owner)

    def refused(self, sale) -> dict[str, int]:
        """What each payee of `sale` refused: the `Credited` logs after its `Purchased` and
        before the next sale in the same transaction."""
        refused: dict[str, int] = {}
        for other in self._tx_logs[(sale.tx_hash, sale.address)]:
            if other.log_index <= sale.log_index:
                continue
            if other.event == "Purchased":
                break
            who = other.args["recipient"]
            refused[who] = refused.get(who, 0) + int(other.args["amount"])
        return refused

    def shares(self, sale) -> tuple[tuple[str, int] | None, list[tuple[str, int]]] | None:
        """(fee recipient and fee, [(payee, share)] in the contract's order) of one sale, or
        None when the terms in force are not all known (logged: the ledger then lacks that
        sale's payouts rather than guessing them)."""
        position, listing_id = sale.order, listing_id_of(sale)
        fee_terms = self.fees.at(sale.address, position)
        split = self.splits.at((sale.address, listing_id), position)
        owner = self.owners.at(listing_id, position)
        if fee_terms is None or split is None or owner is None:
            logger.error("terms in force unknown for the sale in tx %s: no payouts", sale.tx_hash)
            return None
        amount = int(sale.args["amount"])
        key = (fee_terms, id(split), owner, amount)  # sales of a listing mostly share terms
        if key not in self._shares:
            self._shares[key] = _shares(amount, fee_terms, split, owner)
        return self._shares[key]


def _shares(amount: int, fee_terms: tuple[str, int], split: list[dict], owner: str):
    """What the contract pays of `amount`: the fee, each split recipient's share of the rest,
    and the owner what remains (dust included)."""
    fee = amount * fee_terms[1] // BPS
    net = amount - fee
    shares = [
        (s["recipient"], net * int(s["bps"]) // BPS) for s in split if int(s["recipient"], 16) != 0
    ]
    shares.append((owner, net - sum(share for _, share in shares)))
    return ((fee_terms[0], fee) if fee else None), shares


def _payouts(found, refused: dict[str, int]) -> list[tuple[str, str, int]]:
    """(kind, account, amount) of each payout, in the order the contract pays them: the fee
    (credited), then one row per payee that took its share (a refused part is credited by its
    own `Credited` log)."""
    fee, shares = found
    paid: dict[str, int] = {}
    for payee, share in shares:
        paid[payee] = paid.get(payee, 0) + share
    for payee, amount in refused.items():
        paid[payee] = paid.get(payee, 0) - amount
    payouts = [(Payout.Kind.CREDITED, *fee)] if fee else []
    return payouts + [(Payout.Kind.PAID, who, amount) for who, amount in paid.items() if amount > 0]


def _rows(sale, listing, terms: Terms, cache: dict) -> list[tuple]:
    found = terms.shares(sale)
    if found is None:
        return []
    refused = terms.refused(sale)
    if refused:
        payouts = _payouts(found, refused)
    else:  # the usual case: the same payouts as every sale under the same terms
        if id(found) not in cache:
            cache[id(found)] = _payouts(found, {})
        payouts = cache[id(found)]
    currency, listing_id = sale.args["currency"], listing_id_of(sale)
    return [
        (sale.pk, position, kind, account, currency, amount, listing and listing.pk, listing_id,
         "", sale.tx_hash, sale.block_time)
        for position, (kind, account, amount) in enumerate(payouts)
    ]  # fmt: skip


def payouts_derive(logs) -> None:
    """Record the derived payouts of the `Purchased` logs among `logs` that still exist (after a
    reorg `recompute` gets orphaned logs, already deleted with their rows) and have none yet."""
    sales = [log for log in logs if log.event == "Purchased"]
    if not sales:
        return
    pks = {log.pk for log in sales}
    live = {pk for (pk,) in select_in(ChainLog, ["id"], "id", pks)}
    done = {pk for (pk,) in select_in(Payout, ["log"], "log", pks)}
    sales = [log for log in sales if log.pk in live and log.pk not in done]
    if not sales:
        return
    terms, resolver, cache = Terms(sales), Resolver(), {}
    rows, fees = [], []
    for sale in sales:
        listing = resolver.listing(listing_id_of(sale))
        found = _rows(sale, listing, terms, cache)
        rows += found
        fees += [(sale, row[3], row[5], listing) for row in found if row[2] == Payout.Kind.CREDITED]
    insert_rows(Payout, FIELDS, rows, ignore_conflicts=True)
    notices.fee_credits_notify(fees)  # as the fee's own Credited log did
