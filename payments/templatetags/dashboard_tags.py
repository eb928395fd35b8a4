"""Amounts on dashboard pages: exact decimal strings with the currency's symbol."""

from django import template
from django.conf import settings
from django.utils.html import format_html

from payments import currencies

register = template.Library()


@register.filter
def money(amount, currency: str) -> str:
    """money:row.currency → '0.0125 ETH' (exact; base units when decimals are unknown)."""
    return "" if amount is None else currencies.display(int(amount), currency)


@register.filter
def symbol(currency: str) -> str:
    return currencies.currency_info(currency)["symbol"]


@register.filter
def wei(amount) -> str:
    """The exact integer, for data-wei attributes (tests and scripts compare these)."""
    return "" if amount is None else str(int(amount))


@register.filter
def bps_number(bps) -> str:
    """2500 → '25', 1250 → '12.5': a share as the percent a person types (the split editor)."""
    return bps_percent(bps).removesuffix("%")


@register.filter
def bps_percent(bps) -> str:
    value = int(bps or 0)
    whole, frac = divmod(value, 100)
    return f"{whole}.{frac:02d}".rstrip("0").rstrip(".") + "%"


@register.filter
def tx_link(tx_hash: str):
    """A transaction hash, linked to the block explorer when CHAIN_EXPLORER_TX_URL is set."""
    code = format_html('<code class="hash small">{}</code>', tx_hash)
    template = settings.CHAIN_EXPLORER_TX_URL
    if not template or not tx_hash:
        return code
    url = template.replace("{hash}", tx_hash)
    return format_html('<a href="{}" rel="noopener noreferrer">{}</a>', url, code)
