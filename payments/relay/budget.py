"""The relayer's gas sponsorship: at most settings.RELAY_GAS_BUDGET_WEI_PER_DAY wei of gas per
UTC day. A relay reserves its worst case (gas limit x gas price) before anything is sent, and
the reservation becomes the receipts' real cost once mined; a day's spending is the sum of its
relays' `gas_cost`. The day's row lock serialises the check and the reservation."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import ApiError
from payments.models import RelayDay, RelayedPurchase
from payments.spending.services import spend_check


def today() -> dt.date:
    return timezone.now().astimezone(dt.UTC).date()


def day_lock(day: dt.date) -> RelayDay:
    """Lock the day's row (call inside a transaction)."""
    RelayDay.objects.get_or_create(day=day)
    return RelayDay.objects.select_for_update().get(day=day)


def spent_on(day: dt.date) -> int:
    costs = RelayedPurchase.objects.filter(day=day).values_list("gas_cost", flat=True)
    return sum(int(cost) for cost in costs)


def budget_left(day: dt.date | None = None) -> int:
    return max(0, settings.RELAY_GAS_BUDGET_WEI_PER_DAY - spent_on(day or today()))


def budget_check(*, day: dt.date, reserve: int) -> None:
    """429 when `reserve` wei more would go past the day's sponsorship (lock the day first)."""
    if spent_on(day) + reserve > settings.RELAY_GAS_BUDGET_WEI_PER_DAY:
        raise ApiError(
            "Today's gas sponsorship is spent: buy with a wallet transaction, or try again "
            "tomorrow (UTC).",
            code="sponsorship_exhausted",
            status=429,
        )


def sponsorable(sale) -> None:
    """What the relayer pays gas for: a sale that costs something (a free tier is claimed with
    a wallet transaction; sponsoring it would let empty wallets spend the day's budget)."""
    if sale.total == 0:
        raise ApiError(
            "A free tier is claimed with a transaction from your wallet: the marketplace pays "
            "the gas of paid purchases only.",
            code="gasless_unsupported",
            status=409,
        )


def buyer_check(*, day: dt.date, buyer: str) -> None:
    """One relayed purchase in flight per buyer (a retried payment is refused while an earlier
    one may still be mined: never charged twice), and RELAY_PURCHASES_PER_BUYER_PER_DAY a day."""
    mine = RelayedPurchase.objects.filter(buyer=buyer)
    if mine.filter(_in_flight()).exists():
        raise ApiError(
            "Your previous purchase is still being sent: wait for it (check your access) "
            "before paying again.",
            code="relay_pending",
            status=409,
        )
    if mine.filter(day=day).count() >= settings.RELAY_PURCHASES_PER_BUYER_PER_DAY:
        raise ApiError(
            "This wallet has had its sponsored purchases for today (UTC): buy with a wallet "
            "transaction, or try again tomorrow.",
            code="buyer_sponsorship_limit",
            status=429,
        )


def _in_flight() -> Q:
    """Submitted relays that may still be mined: until their signed payment's deadline (or,
    for a relay recorded without one, RELAY_PENDING_SECONDS)."""
    now = timezone.now()
    since = now - dt.timedelta(seconds=settings.RELAY_PENDING_SECONDS)
    submitted = Q(status=RelayedPurchase.Status.SUBMITTED)
    return submitted & (
        Q(deadline__gte=int(now.timestamp())) | Q(deadline__isnull=True, created_at__gte=since)
    )


def listing_check(*, day: dt.date, listing, reserve: int) -> None:
    """A listing's purchases use at most RELAY_LISTING_BUDGET_SHARE of the day's sponsorship:
    a seller buying its own cheap tier from many wallets cannot spend everyone's."""
    share_bps = round(settings.RELAY_LISTING_BUDGET_SHARE * 10_000)  # wei stay integers
    cap = settings.RELAY_GAS_BUDGET_WEI_PER_DAY * share_bps // 10_000
    costs = RelayedPurchase.objects.filter(day=day, listing=listing).values_list(
        "gas_cost", flat=True
    )
    if sum(int(cost) for cost in costs) + reserve > cap:
        raise ApiError(
            "Today's gas sponsorship for this listing is spent: buy with a wallet transaction, "
            "or try again tomorrow (UTC).",
            code="sponsorship_exhausted",
            status=429,
        )


@transaction.atomic
def relay_reserve(*, reserve: int, **fields) -> RelayedPurchase:
    """Check the budget and record the relay with its reserved cost, under the day's lock.
    The intent digest is unique: a second submission of one signed purchase gets a 409."""
    day = today()
    day_lock(day)
    buyer_check(day=day, buyer=fields["buyer"])
    budget_check(day=day, reserve=reserve)
    listing_check(day=day, listing=fields["listing"], reserve=reserve)
    # Under the same lock: two purchases under one API token cannot both slip under its cap.
    spend_check(
        api_token=fields.get("api_token"),
        listing=fields["listing"],
        currency=fields["currency"],
        amount=int(fields["amount"]),
    )
    try:
        with transaction.atomic():  # the unique digest decides a race the lock may not
            return RelayedPurchase.objects.create(day=day, gas_cost=reserve, **fields)
    except IntegrityError:
        raise ApiError(
            "This signed purchase was already submitted: prepare and sign a new one.",
            code="already_relayed",
            status=409,
        ) from None


def relay_settle(*, relay: RelayedPurchase, receipts: list, error: str = "") -> None:
    """Replace the reservation by the receipts' real cost (gas used x effective gas price)."""
    relay.gas_used = sum(int(r["gasUsed"]) for r in receipts)
    relay.gas_cost = sum(int(r["gasUsed"]) * int(r["effectiveGasPrice"]) for r in receipts)
    relay.tx_hashes = [r["transactionHash"].to_0x_hex() for r in receipts]
    # The purchase is the last transaction; a registration before it may revert because
    # someone registered the listing meanwhile, and the purchase still stands.
    ok = bool(receipts) and receipts[-1]["status"] == 1 and not error
    relay.status = RelayedPurchase.Status.SUCCEEDED if ok else RelayedPurchase.Status.FAILED
    relay.error = error[:300]
    relay.save(update_fields=["gas_used", "gas_cost", "tx_hashes", "status", "error"])
