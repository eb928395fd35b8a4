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

The payouts of a sale are a PayoutSchedule its Purchase row points at, shared by every sale
paid alike (a listing's sales under the same terms at the same price): a sale writes no row of
its own for them (issue 20). handlers.purchases_record asks for the batch's schedules before
it writes the purchases, after the batch's term changes were recorded (payments registers
those handlers first: a registration's split and its first sale share one transaction;
OwnershipTransfer rows come from the listings app, whose handlers run before ours). A reorg
deletes the purchase with its log, and its payouts with it; schedules stay, for the next sale
paid alike."""

import hashlib
import logging
from bisect import bisect_left
from collections import defaultdict

from chain.models import ChainLog
from core.bulk import insert_rows, select_in
from listings.models import OwnershipTransfer
from payments.models import PayoutKind, PayoutSchedule, PayoutShare, PlatformFeeChange, SplitChange
from payments.onchain.recompute import CHUNK

logger = logging.getLogger(__name__)

BPS = 10_000


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


def _payouts(found, refused: dict[str, int]) -> tuple[tuple[str, str, int], ...]:
    """(kind, account, amount) of each payout, in the order the contract pays them: the fee
    (credited), then one line per payee that took its share (a refused part is credited by its
    own `Credited` log)."""
    fee, shares = found
    paid: dict[str, int] = {}
    for payee, share in shares:
        paid[payee] = paid.get(payee, 0) + share
    for payee, amount in refused.items():
        paid[payee] = paid.get(payee, 0) - amount
    payouts = [(PayoutKind.CREDITED.value, *fee)] if fee else []
    return tuple(
        payouts
        + [(PayoutKind.PAID.value, who, amount) for who, amount in paid.items() if amount > 0]
    )


def schedule_key(lines) -> str:
    """The name of a schedule's lines (equal lines, equal key: one PayoutSchedule row)."""
    text = ";".join(f"{kind}:{account}:{amount}" for kind, account, amount in lines)
    return hashlib.sha256(text.encode()).hexdigest()


class Schedules:
    """The payouts of a batch's sales: `of(sale)` gives (schedule id or None, lines)."""

    def __init__(self, sales: list):
        self._terms = Terms(sales) if sales else None
        self._lines: dict = {}  # log pk -> lines, or None when the terms are unknown
        common: dict = {}  # the usual case: the same lines as every sale under the same terms
        for sale in sales:
            found = self._terms.shares(sale)
            if found is None:
                self._lines[sale.pk] = None
                continue
            refused = self._terms.refused(sale)
            if refused:
                self._lines[sale.pk] = _payouts(found, refused)
            else:
                if id(found) not in common:
                    common[id(found)] = _payouts(found, {})
                self._lines[sale.pk] = common[id(found)]
        self._ids = _schedule_ids({lines for lines in self._lines.values() if lines})

    def of(self, sale) -> tuple[int | None, tuple]:
        lines = self._lines.get(sale.pk)
        return (self._ids[lines], lines) if lines else (None, ())


def _schedule_ids(all_lines: set[tuple]) -> dict[tuple, int]:
    """{lines: PayoutSchedule id} for each of `all_lines`, the missing schedules written."""
    keys = {schedule_key(lines): lines for lines in all_lines}
    found = dict(select_in(PayoutSchedule, ["key", "id"], "key", keys))
    missing = [key for key in keys if key not in found]
    if missing:
        insert_rows(PayoutSchedule, ["key"], [(key,) for key in missing], ignore_conflicts=True)
        created = dict(select_in(PayoutSchedule, ["key", "id"], "key", missing))
        insert_rows(
            PayoutShare,
            ["schedule", "position", "kind", "account", "amount"],
            [
                (created[key], position, *line)
                for key in missing
                for position, line in enumerate(keys[key])
            ],
            ignore_conflicts=True,
        )
        found |= created
    return {lines: found[key] for key, lines in keys.items()}
