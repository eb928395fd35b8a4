"""Reads of the money ledger (rows written by payments.handlers from chain events). Every total
is exact to the wei on every database (core.db.wei_sum), never a float."""

from django.db.models import Count

from chain.typed_data import ZERO_ADDRESS
from core.db import wei_sum
from listings.models import Listing
from payments.models import Payout, PayoutEntry, PayoutShare, Purchase


def ledger_account_totals(*, account: str, currency: str = ZERO_ADDRESS) -> dict[str, int]:
    """What `account` received in `currency`: paid (sent at once), credited (kept for it),
    withdrawn (credit taken out), and outstanding (credited - withdrawn: what it can still
    withdraw, which the contract's `credits(account, currency)` must equal).

    Sales by their schedules: each line's amount times the number of sales paid by it (one
    row per distinct line, where the Payout view gives one per sale: the fee recipient's
    credit over a million sales is a count, not a million rows); then refusals and
    withdrawals."""
    totals = dict.fromkeys(Payout.Kind.values, 0)
    lines = PayoutShare.objects.filter(account=account).values_list("schedule", "kind", "amount")
    lines = list(lines)
    sales: dict[int, int] = {}  # schedule id -> sales in `currency` it paid
    schedules = sorted({schedule for schedule, _, _ in lines})
    for start in range(0, len(schedules), 500):
        sales.update(
            Purchase.objects.filter(currency=currency, payouts__in=schedules[start : start + 500])
            .values_list("payouts")
            .annotate(sales=Count("id"))
            .order_by()
        )
    for schedule, kind, amount in lines:
        totals[kind] += int(amount) * sales.get(schedule, 0)
    entries = PayoutEntry.objects.filter(account=account, currency=currency)
    for kind in Payout.Kind.values:
        totals[kind] += wei_sum(entries.filter(kind=kind), "amount")
    return with_unattributed(totals, Payout.Kind.CREDITED, Payout.Kind.WITHDRAWN)


def with_unattributed(totals: dict, credited: str, withdrawn: str) -> dict:
    """Add `outstanding` (credited - withdrawn) and `unattributed`: what was withdrawn beyond
    every credit the ledger knows. The platform fee recipient's ETH credit is the contract's
    balance beyond what it owes, so ETH forced into the contract outside a sale (a
    selfdestruct, a block reward) becomes fee; the ledger learns of it when it is withdrawn,
    and books it here rather than showing a negative balance."""
    unattributed = max(0, totals[withdrawn] - totals[credited])
    totals["unattributed"] = unattributed
    totals["outstanding"] = totals[credited] + unattributed - totals[withdrawn]
    return totals


def ledger_totals_by_account(*, currency: str = ZERO_ADDRESS, listing: Listing | None = None):
    """{account: {kind: wei}} for every account paid or credited in `currency` (optionally for
    one listing's sales), exact."""
    rows = Payout.objects.filter(currency=currency)
    if listing is not None:
        rows = rows.filter(listing=listing)
    totals: dict[str, dict[str, int]] = {}
    for account, kind, amount in rows.values_list("account", "kind", "amount").iterator():
        per_kind = totals.setdefault(account, dict.fromkeys(Payout.Kind.values, 0))
        per_kind[kind] += int(amount)
    return totals


def ledger_sales_total(*, currency: str = ZERO_ADDRESS, listing: Listing | None = None) -> int:
    """What buyers paid in `currency` (for one listing, or in all)."""
    rows = Purchase.objects.filter(currency=currency)
    return wei_sum(rows.filter(listing=listing) if listing is not None else rows, "amount")


def ledger_distributed_total(
    *, currency: str = ZERO_ADDRESS, listing: Listing | None = None
) -> int:
    """Paid plus credited from sales in `currency`: equals `ledger_sales_total` to the wei
    (the contract distributes every sale in full)."""
    rows = Payout.objects.filter(
        currency=currency, kind__in=[Payout.Kind.PAID, Payout.Kind.CREDITED]
    )
    return wei_sum(rows.filter(listing=listing) if listing is not None else rows, "amount")
