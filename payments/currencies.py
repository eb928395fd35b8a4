"""What a currency is called and how many decimals it has, for showing amounts: ETH, or an
ERC-20's symbol() and decimals() read once from the chain and cached. Amounts stay ints in
wei / base units everywhere; `units` only formats them, exactly."""

from decimal import Decimal, localcontext

from django.core.cache import cache

from chain import client
from listings.money import EXACT

ETH = "0x0000000000000000000000000000000000000000"
CACHE_SECONDS = 3600
FAILED_CACHE_SECONDS = 60


def currency_info(address: str) -> dict:
    """{"address", "symbol", "decimals"}; decimals None when the token does not say."""
    if int(address, 16) == 0:
        return {"address": ETH, "symbol": "ETH", "decimals": 18}
    key = f"payments:currency:{address.lower()}"
    found = cache.get(key)
    if found is None:
        found = {"address": address, "symbol": "", "decimals": None}
        try:
            # The purchase code's ABI: the standard ERC-20 functions only.
            token = client.get_contract("TestPermitToken", address=address)
            found["symbol"] = token.functions.symbol().call()
            found["decimals"] = int(token.functions.decimals().call())
        except Exception:  # noqa: BLE001 - any failure: show base units, never fail a page
            found["symbol"] = found["symbol"] or f"{address[:6]}…{address[-4:]}"
            # Remembered briefly too: pages and CSV exports ask once per row, and with the
            # node down each ask would wait for its timeout again.
            cache.set(key, found, FAILED_CACHE_SECONDS)
        else:
            cache.set(key, found, CACHE_SECONDS)
    return found


def units(amount: int, decimals: int | None) -> str:
    """An amount in base units as an exact decimal string: (1234, 2) → '12.34'."""
    if decimals is None:
        return str(int(amount))
    with localcontext(EXACT):
        text = format(Decimal(int(amount)).scaleb(-decimals).normalize(), "f")
    return text


def display(amount: int, currency: str) -> str:
    """'0.0125 ETH', '5 USDC', or '1234 base units of 0xAbCd…'."""
    info = currency_info(currency)
    if info["decimals"] is None:
        return f"{int(amount)} base units of {info['symbol']}"
    return f"{units(amount, info['decimals'])} {info['symbol']}"
