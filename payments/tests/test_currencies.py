"""Currency names for pages and exports: an ERC-20's symbol and decimals from the chain, and a
failed lookup remembered briefly, so a page or a CSV export of many rows asks the node once,
not once per row (each ask waiting for the node's timeout while it is down)."""

import pytest
from django.core.cache import cache

from payments import currencies
from payments.tests.buying import deploy_token

pytestmark = [pytest.mark.django_db, pytest.mark.chain]


def test_a_failed_lookup_is_remembered_briefly_then_retried(contracts, w3, settings):
    token = deploy_token("Quote Token", "QT", permit=False)
    reachable = settings.CHAIN_RPC_URL
    settings.CHAIN_RPC_URL = "http://127.0.0.1:9"  # nothing listens there: the node is "down"
    down = currencies.currency_info(token.address)
    assert down["decimals"] is None and down["symbol"].startswith(token.address[:6])
    settings.CHAIN_RPC_URL = reachable
    # Within FAILED_CACHE_SECONDS the fallback is used without asking the node again.
    assert currencies.currency_info(token.address) == down
    cache.clear()  # as when the short expiry has passed
    assert currencies.currency_info(token.address)["symbol"] == "QT"
    assert currencies.currency_info(token.address)["decimals"] == 18
