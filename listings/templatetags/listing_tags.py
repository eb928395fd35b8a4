"""Template helpers for listing pages: prices in ETH (exact), durations, shares, page links."""

from decimal import Decimal

from django import template

from listings import licences, sale, selectors
from listings.models import Tier
from listings.money import wei_to_eth

register = template.Library()


@register.filter
def on_sale(listing) -> bool:
    """`{% if listing|on_sale %}`: listings.sale.listing_on_sale."""
    return sale.listing_on_sale(listing=listing)


@register.filter
def sale_closed(listing) -> str:
    """Why sales are closed ("paused", "not_published"; "" when open): listings.sale."""
    return sale.listing_sale_closed(listing=listing)


@register.filter
def tier_on_sale(tier, listing) -> bool:
    """`{% if tier|tier_on_sale:listing %}`: listings.sale.tier_on_sale."""
    return sale.tier_on_sale(tier=tier, listing=listing)


@register.filter
def eth(wei) -> str:
    """10**16 → '0.01 ETH'."""
    return "" if wei is None else f"{wei_to_eth(wei)} ETH"


@register.filter
def listing_price(listing) -> str:
    """What a card says about price (listings/prices.py): the cheapest tier anyone can buy now,
    'free on request' when a free tier needs the creator's approval, or nothing to buy yet."""
    on_request = listing.free_on_request
    if listing.min_price_wei is None:
        return "Free on request" if on_request else "No tiers yet"
    if listing.is_free:
        return "Free"
    price = _amount(listing.min_price_wei, listing.min_price_currency or Tier.ETH)
    return f"from {price} · free on request" if on_request else f"from {price}"


def _amount(wei, currency: str) -> str:
    if currency == Tier.ETH:
        return eth(wei)
    # The token's decimals are not known here: show base units rather than guess.
    return f"{int(wei)} units of token {currency[:6]}…{currency[-4:]}"


@register.filter
def tier_price(tier: Tier) -> str:
    if tier.price_wei == 0:
        return "Free"
    return _amount(tier.price_wei, tier.currency)


@register.filter
def duration(seconds) -> str:
    seconds = int(seconds or 0)
    if seconds == 0:
        return "perpetual"
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def _percent(value: Decimal) -> str:
    text = format(value.quantize(Decimal("0.01")), "f").rstrip("0").rstrip(".")
    return f"{text}%"


@register.filter
def percent(bps) -> str:
    """Basis points as a percentage: 250 → '2.5%'."""
    return _percent(Decimal(int(bps)) / 100)


@register.filter
def share_of_sale(bps, fee_bps) -> str:
    """A recipient's share of the whole price, after the platform fee: 5000, 250 → '48.75%'."""
    return _percent(Decimal(int(bps)) * (10_000 - int(fee_bps)) / 1_000_000)


@register.filter
def parameters(count) -> str:
    """110000000 → '110M' (how model sizes are usually written)."""
    count = int(count)
    for suffix, size in (("T", 10**12), ("B", 10**9), ("M", 10**6), ("K", 10**3)):
        if count >= size:
            return f"{Decimal(count) / size:.1f}".removesuffix(".0") + suffix
    return str(count)


@register.filter
def as_list(value) -> list:
    """Card metadata values may be a string or a list; templates want a list."""
    if value in (None, ""):
        return []
    return value if isinstance(value, list) else [value]


@register.simple_tag(takes_context=True)
def page_url(context, number: int) -> str:
    """This page's query string with another page number (filters kept)."""
    query = context["request"].GET.copy()
    query.pop("page", None)
    if number > 1:
        query["page"] = number
    return f"?{query.urlencode()}" if query else "?"


@register.inclusion_tag("listings/_latest.html")
def latest_listings(limit: int = 6) -> dict:
    """The newest published listings, for the home page."""
    filters = selectors.ListingFilters(sort="newest")
    return {"listings": list(selectors.listing_search(filters=filters)[:limit])}


@register.filter
def buyer_may(terms) -> str:
    """The listing page's one plain summary of what a licence holder may do."""
    return licences.buyer_may(terms)
