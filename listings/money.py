"""ETH ↔ wei, exactly. Pages show and accept ETH; the database and the chain hold wei. Only
Decimal and int arithmetic: a float cannot even hold 0.1 ETH (10**17 wei) exactly."""

from decimal import Context, Decimal, InvalidOperation, localcontext

WEI_PER_ETH = 10**18
ETH_DECIMALS = 18
# Far above any uint256 amount, low enough that the exact arithmetic below stays cheap.
MAX_ETH = Decimal(10) ** 60
# Decimal's default 28 significant digits would round a 2**128 wei price; this never rounds.
EXACT = Context(prec=120)


class AmountError(ValueError):
    """Text that is not an amount of ETH the site can hold (the message says why)."""


def eth_to_wei(eth: Decimal | str | int) -> int:
    """'0.01' → 10**16. Refuses negatives, NaN/infinity and anything finer than 1 wei."""
    with localcontext(EXACT):
        try:
            amount = eth if isinstance(eth, Decimal) else Decimal(str(eth).strip())
        except InvalidOperation:
            raise AmountError("Enter an amount of ETH, like 0.05.") from None
        if not amount.is_finite():
            raise AmountError("Enter an amount of ETH, like 0.05.")
        if amount < 0:
            raise AmountError("An amount cannot be negative.")
        if amount > MAX_ETH:
            raise AmountError("That amount is too large.")
        wei = amount.scaleb(ETH_DECIMALS)
        if wei != wei.to_integral_value():
            raise AmountError("ETH has 18 decimal places at most (1 wei = 0.000000000000000001).")
        return int(wei)


def wei_to_eth(wei: Decimal | int | str | None) -> str:
    """10**16 → '0.01'; 1 → '0.000000000000000001'; 5 * 10**18 → '5'. Never exponent notation."""
    if wei is None or wei == "":
        return ""
    whole, fraction = divmod(int(wei), WEI_PER_ETH)
    if not fraction:
        return str(whole)
    return f"{whole}.{fraction:018d}".rstrip("0")
