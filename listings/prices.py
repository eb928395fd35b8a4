"""What a listing's card says it costs, derived from its tiers in one place (the creator's tier
edits and the chain indexer's price updates both call it).

Honest prices: the card shows the cheapest tier anyone can buy now. A free tier that needs the
creator's approval is not "Free": it is "free on request", next to the cheapest price one can
simply pay. ETH tiers come first: a token tier's price is in that token's units, so it is only
the card price when no ETH tier is open."""

from dataclasses import dataclass
from decimal import Decimal

from listings.models import Tier


@dataclass(frozen=True)
class PriceSummary:
    min_price_wei: Decimal | None  # cheapest open tier (None: every tier needs approval)
    min_price_currency: str  # that tier's currency ("" when there is none)
    is_free: bool  # an open tier costs nothing
    free_on_request: bool  # a tier is free once the creator approves the request

    def fields(self) -> dict:
        return self.__dict__.copy()


def price_summary(tiers) -> PriceSummary:
    """`tiers`: Tier rows or TierSpecs (anything with price_wei, currency, requires_approval)."""
    tiers = list(tiers)
    open_tiers = [t for t in tiers if not t.requires_approval]
    candidates = [t for t in open_tiers if t.currency == Tier.ETH] or open_tiers
    cheapest = min(candidates, key=lambda t: int(t.price_wei), default=None)
    return PriceSummary(
        min_price_wei=None if cheapest is None else Decimal(int(cheapest.price_wei)),
        min_price_currency="" if cheapest is None else cheapest.currency,
        is_free=cheapest is not None and int(cheapest.price_wei) == 0,
        free_on_request=any(t.requires_approval for t in tiers),
    )
