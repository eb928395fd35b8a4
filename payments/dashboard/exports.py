"""CSV exports for accounting: an owner's sales, and the payouts from their listings' sales
and to their own address (as a contributor, and their withdrawals). A listing's sales are its
owner's at the time of each sale (the ownership token's holder): a former owner exports the
sales of their own holding periods, the new owner those since. Amounts exactly, in base
units (wei) and in the currency's units, with the transaction hash and block of each row.
Rows are streamed (iterator + csv writer), so a long history never sits in memory."""

import csv
from collections.abc import Iterator

from django.db.models import Q

from listings import selectors as listing_selectors
from payments.currencies import currency_info, units
from payments.dashboard.figures import HeldBy
from payments.models import Payout, Purchase

SALES_HEADER = [
    "date_utc", "listing", "listing_id", "tier", "buyer", "quantity", "currency",
    "currency_address", "amount_wei", "amount", "tx_hash", "block",
]  # fmt: skip
PAYOUTS_HEADER = [
    "date_utc", "kind", "listing", "account", "to", "currency", "currency_address",
    "amount_wei", "amount", "tx_hash", "block",
]  # fmt: skip


class _Echo:
    """A file-like object that hands back what csv writes, for streaming."""

    def write(self, value: str) -> str:
        return value


def _money(amount, currency: str) -> list:
    info = currency_info(currency)
    return [info["symbol"], currency, str(int(amount)), units(int(amount), info["decimals"])]


def _held(user) -> tuple[list, HeldBy]:
    """The listings `user` controls or held before, and the filter of their holding periods."""
    listings = list(listing_selectors.listings_controlled_by(user=user).select_related("creator"))
    listings += list(listing_selectors.listings_formerly_owned(user=user).select_related("creator"))
    return listings, HeldBy(address=user.address, listings=listings)


def sales_rows(*, user) -> Iterator[list]:
    listings, held = _held(user)
    sales = (
        Purchase.objects.filter(listing__in=listings)
        .select_related("listing", "tier", "log")
        .order_by("block_time", "id")
    )
    for p in filter(held, sales.iterator(chunk_size=500)):
        tier = p.tier.name if p.tier else f"Tier {p.tier_index}"
        yield [
            p.block_time.isoformat(), p.listing.title, str(int(p.onchain_listing_id)), tier,
            p.buyer, p.quantity, *_money(p.amount, p.currency), p.tx_hash, p.log.block_number,
        ]  # fmt: skip


def payouts_rows(*, user) -> Iterator[list]:
    listings, held = _held(user)
    payouts = (
        Payout.objects.filter(Q(listing__in=listings) | Q(account=user.address))
        .select_related("listing", "log")
        .order_by("block_time", "id")
    )
    for p in payouts.iterator(chunk_size=500):
        if p.account != user.address and not held(p):
            continue  # another owner's period of a listing this user held at some point
        yield [
            p.block_time.isoformat(), p.kind, p.listing.title if p.listing else "", p.account,
            p.to_address, *_money(p.amount, p.currency), p.tx_hash, p.log.block_number,
        ]  # fmt: skip


# A spreadsheet runs a cell starting with one of these as a formula (CSV injection): listing
# titles, tier names and ERC-20 symbols are chosen by others, so such text gets a leading "'".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_stream(header: list[str], rows: Iterator[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([_cell(value) for value in row])


EXPORTS = {"sales": (SALES_HEADER, sales_rows), "payouts": (PAYOUTS_HEADER, payouts_rows)}


def export_stream(*, kind: str, user) -> Iterator[str]:
    header, rows = EXPORTS[kind]
    return csv_stream(header, rows(user=user))
