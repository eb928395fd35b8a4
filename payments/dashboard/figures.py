"""Reads for the creator dashboard, from the ledger facts the indexer wrote from chain events
(Purchase, Payout, Entitlement). Every amount is an exact int in wei (or an ERC-20's base
units), summed in Python from the rows, never a float and never mixed across currencies: each
figure is per currency. Time buckets are UTC days, or weeks starting on Monday.

A listing's sales belong to whoever held its ownership token at each sale (the contract paid
the owner's share to them): a person's dashboard shows the listings they control now and the
ones they held before, each with the sales of their own holding periods only."""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from core.eth import to_checksum_address
from listings import selectors as listing_selectors
from listings.models import Listing
from payments.models import Entitlement, Payout, PlatformFeeChange, Purchase, SplitNotice

PERIODS = ("daily", "weekly")
EXPIRING_DAYS = 7
# A chart spans at least this many buckets (ending at the last sale): one sale is a point on
# a fortnight's (or two months') axis, not a lone dot on an axis of its own.
MIN_BUCKETS = {"daily": 14, "weekly": 8}
SALE_KINDS = (Payout.Kind.PAID, Payout.Kind.CREDITED)


def bucket(moment: datetime, period: str) -> date:
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday()) if period == "weekly" else day


def fee_recipients() -> set[str]:
    """Every address the platform fee has gone to (from PlatformFeeUpdated events)."""
    return set(PlatformFeeChange.objects.values_list("recipient", flat=True))


class HeldBy:
    """Keeps the rows (sales, payouts) of the listings' logs made while `address` held the
    listing's ownership token (the creator before registration)."""

    def __init__(self, *, address: str, listings):
        self.address = address
        self.periods = listing_selectors.ownership_periods(listings=listings)

    def __call__(self, row) -> bool:
        periods = self.periods.get(row.listing_id)
        order = (row.log.block_number, row.log.log_index)
        return periods is not None and periods.held_by(self.address, order)


def _sales(listings, held: HeldBy | None = None):
    sales = (
        Purchase.objects.filter(listing__in=listings)
        .select_related("tier", "listing", "log")
        .order_by("block_time", "id")
    )
    return sales if held is None else filter(held, sales)


def revenue_by_tier(*, listings, held: HeldBy | None = None) -> list[dict]:
    """Per (listing, tier, currency): sales (events), licences sold, revenue (what buyers
    paid), in listing and tier order; with `held`, only the sales made while they held it."""
    rows: dict[tuple, dict] = {}
    for p in _sales(listings, held):
        key = (p.listing_id, p.tier_index, p.currency)
        row = rows.setdefault(
            key,
            {
                "listing": p.listing,
                "tier_index": p.tier_index,
                "tier_name": p.tier.name if p.tier else f"Tier {p.tier_index}",
                "currency": p.currency,
                "sales": 0,
                "quantity": 0,
                "revenue_wei": 0,
            },
        )
        row["sales"] += 1
        row["quantity"] += p.quantity
        row["revenue_wei"] += int(p.amount)
    return sorted(
        rows.values(), key=lambda r: (r["listing"].title, r["listing"].pk, r["tier_index"])
    )


def totals_by_currency(rows: list[dict], amount_key: str) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        totals[row["currency"]] += row[amount_key]
    return dict(totals)


def revenue_series(
    *, listings, period: str, by: str = "listing", held: HeldBy | None = None
) -> dict[str, dict]:
    """{currency: {"buckets": [date...], "series": [{"label", "values_wei": [int...]}]}}: what
    buyers paid per bucket, one series per listing (or per tier, `by="tier"`). Buckets run
    from the first sale to the last with no gaps, so a chart's x axis is true time."""
    sums: dict[str, dict[str, dict[date, int]]] = defaultdict(lambda: defaultdict(dict))
    first: dict[str, date] = {}
    last: dict[str, date] = {}
    for p in _sales(listings, held):
        b = bucket(p.block_time, period)
        if by == "tier":
            label = p.tier.name if p.tier else f"Tier {p.tier_index}"
        else:
            label = p.listing.title
        per_label = sums[p.currency][label]
        per_label[b] = per_label.get(b, 0) + int(p.amount)
        first[p.currency] = min(first.get(p.currency, b), b)
        last[p.currency] = max(last.get(p.currency, b), b)
    step = timedelta(days=7 if period == "weekly" else 1)
    charts = {}
    for currency, labels in sums.items():
        start = min(first[currency], last[currency] - step * (MIN_BUCKETS[period] - 1))
        buckets, day = [], start
        while day <= last[currency]:
            buckets.append(day)
            day += step
        series = [
            {"label": label, "values_wei": [values.get(b, 0) for b in buckets]}
            for label, values in sorted(labels.items())
        ]
        charts[currency] = {"buckets": buckets, "series": series}
    return charts


def recipients_received(*, listings, held: HeldBy | None = None) -> list[dict]:
    """What each address received from the sales of `listings`, per (listing, address,
    currency): paid at once, credited (to withdraw), and their sum; with `held`, from the
    sales made while they held it."""
    labels = {
        (s.listing_id, s.address): s.label for listing in listings for s in listing.splits.all()
    }
    platform = fee_recipients()
    rows: dict[tuple, dict] = {}
    payouts = Payout.objects.filter(listing__in=listings, kind__in=SALE_KINDS).select_related(
        "listing__creator", "log"
    )
    payouts = payouts.order_by("block_time", "id")
    for p in payouts if held is None else filter(held, payouts):
        key = (p.listing_id, p.account, p.currency)
        row = rows.setdefault(
            key,
            {
                "listing": p.listing,
                "account": p.account,
                "label": _label(p, labels, platform),
                "currency": p.currency,
                "paid_wei": 0,
                "credited_wei": 0,
            },
        )
        row[f"{p.kind}_wei"] += int(p.amount)
    for row in rows.values():
        row["received_wei"] = row["paid_wei"] + row["credited_wei"]
    return sorted(rows.values(), key=lambda r: (r["listing"].title, r["listing"].pk, r["account"]))


def _label(payout: Payout, labels: dict, platform: set[str]) -> str:
    if payout.account in platform and payout.kind == Payout.Kind.CREDITED:
        return "Platform fee"
    if payout.account == payout.listing.owner_address:
        return labels.get((payout.listing_id, payout.account)) or "Owner"
    if payout.account == payout.listing.creator.address:
        return labels.get((payout.listing_id, payout.account)) or "Creator"
    return labels.get((payout.listing_id, payout.account)) or "Contributor"


def licences(*, listings, days: int = EXPIRING_DAYS) -> dict:
    """Licences held now (tokens with a balance, not expired) and those expiring within
    `days`, for `listings`."""
    now = timezone.now()
    held = Entitlement.objects.filter(listing__in=listings, balance__gt=0).exclude(
        expires_at__lte=now
    )
    expiring = held.filter(expires_at__isnull=False, expires_at__lte=now + timedelta(days=days))
    return {
        "outstanding_holders": held.order_by().values("holder").distinct().count(),
        "outstanding_tokens": sum(held.values_list("balance", flat=True)),
        "expiring_days": days,
        "expiring": list(expiring.select_related("listing", "tier").order_by("expires_at")[:100]),
    }


def contributor_received(*, address: str) -> list[dict]:
    """What `address` received as a split recipient on listings it did not hold the ownership
    token of at the time (the owner's own share is on the owner's side of the dashboard), per
    (listing, currency): paid, credited, and the number of sales it was paid from."""
    rows: dict[tuple, dict] = {}
    payouts = list(
        Payout.objects.filter(account=address, kind__in=SALE_KINDS, listing__isnull=False)
        .select_related("listing", "listing__creator", "log")
        .order_by("block_time", "id")
    )
    held = HeldBy(address=address, listings={p.listing for p in payouts})
    for p in payouts:
        if held(p):
            continue
        row = rows.setdefault(
            (p.listing_id, p.currency),
            {"listing": p.listing, "currency": p.currency, "paid_wei": 0, "credited_wei": 0,
             "sales": 0},
        )  # fmt: skip
        row[f"{p.kind}_wei"] += int(p.amount)
        row["sales"] += 1
    for row in rows.values():
        row["received_wei"] = row["paid_wei"] + row["credited_wei"]
    return sorted(rows.values(), key=lambda r: (r["listing"].title, r["listing"].pk))


def split_notices(*, address: str) -> list[dict]:
    """Announced split changes that lower `address`'s share of a listing (contracts v2): the
    share today, the share announced, and from when it may apply. Only announcements newer
    than the listing's live split count (a later change replaces or applies them)."""
    address = to_checksum_address(address)
    found = []
    notices = SplitNotice.objects.select_related("listing").filter(listing__isnull=False)
    for notice in notices.order_by("-block_number")[:200]:
        listing = notice.listing
        live = listing.split_changes.order_by("-block_number", "-id").first()
        if live is not None and live.block_number > notice.block_number:
            continue  # applied or replaced since
        now = {s.address: s.bps for s in listing.splits.all()}.get(address, 0)
        later = sum(
            s["bps"] for s in notice.splits if to_checksum_address(s["recipient"]) == address
        )
        if later < now:
            found.append({"listing": listing, "now_bps": now, "new_bps": later,
                          "effective_at": notice.effective_at})  # fmt: skip
    return found


def dashboard_for_user(*, user, period: str = "daily") -> dict:
    """Everything the dashboard page and its API show for `user`: the listings they control
    now, and, read-only, the past revenue of the ones they held before (`former_listings`)."""
    current = list(
        listing_selectors.listings_controlled_by(user=user)
        .select_related("creator")
        .prefetch_related("splits")
        .order_by("title", "pk")
    )
    former = list(
        listing_selectors.listings_formerly_owned(user=user)
        .select_related("creator")
        .prefetch_related("splits")
    )
    listings = current + former
    held = HeldBy(address=user.address, listings=listings)
    tiers = revenue_by_tier(listings=listings, held=held)
    contributor = contributor_received(address=user.address)
    return {
        "period": period,
        "listings": current,
        "former_listings": former,
        "revenue": tiers,
        "revenue_totals": totals_by_currency(tiers, "revenue_wei"),
        "sales_count": sum(row["sales"] for row in tiers),
        "series": revenue_series(listings=listings, period=period, held=held),
        "recipients": recipients_received(listings=listings, held=held),
        "licences": licences(listings=current),
        "contributor": contributor,
        "contributor_totals": totals_by_currency(contributor, "received_wei"),
        "split_notices": split_notices(address=user.address),
    }


def dashboard_for_listing(*, listing: Listing, period: str = "daily") -> dict:
    """One listing's breakdown: revenue per tier, its chart per tier, recipients, licences."""
    listings = [listing]
    tiers = revenue_by_tier(listings=listings)
    return {
        "period": period,
        "listing": listing,
        "revenue": tiers,
        "revenue_totals": totals_by_currency(tiers, "revenue_wei"),
        "sales_count": sum(row["sales"] for row in tiers),
        "series": revenue_series(listings=listings, period=period, by="tier"),
        "recipients": recipients_received(listings=listings),
        "licences": licences(listings=listings),
    }
