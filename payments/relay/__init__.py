"""Gasless purchases: the buyer signs, the site's relayer sends (and pays the gas), the Checkout
contract pulls exactly the price from the buyer, and the Marketplace mints the licence to the
buyer and pays the split. `gasless_prepare` says what to sign; `gasless_submit` checks what was
signed and relays it within the day's sponsorship budget (payments.relay.budget)."""

from payments.relay.prepare import gasless_method, gasless_prepare
from payments.relay.submit import gasless_submit

__all__ = ["gasless_method", "gasless_prepare", "gasless_submit"]
