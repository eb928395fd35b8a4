"""ETH forced into the Marketplace outside a sale (a selfdestruct's beneficiary, a block reward:
no code runs) becomes the platform fee recipient's, since its ETH credit is the balance beyond
what the contract owes (issue 14's gas work). The books must say so once it is withdrawn, not
show a negative balance for good."""

import pytest

from chain import client
from chain.typed_data import ETH
from payments.dashboard.payouts import credited_balances
from payments.tests.buying import deployer, tokenized_listing
from payments.tests.indexing import TierSpec, buy, index, rpc, wallets

pytestmark = [pytest.mark.django_db, pytest.mark.chain]


def test_forced_eth_is_booked_as_unattributed_fee_when_withdrawn(contracts, w3):
    creator, buyer, fee_to = wallets(3)
    market = client.get_contract("Marketplace")
    bps = market.functions.feeBps().call()
    client.transact(market.functions.setPlatformFee(fee_to.address, bps), account=deployer())
    try:
        forced_then_withdrawn(market, fee_to, creator, buyer, bps, w3)
    finally:  # the session's other tests expect the deployer as the fee recipient
        client.transact(
            market.functions.setPlatformFee(deployer().address, bps), account=deployer()
        )


def forced_then_withdrawn(market, fee_to, creator, buyer, bps, w3):
    listing = tokenized_listing(
        creator_key=creator, tiers=[TierSpec(name="Download", price_wei=10**16)]
    )
    buy(listing, buyer)
    index()
    [eth] = credited_balances(account=fee_to.address)
    assert eth["agrees"] and eth["onchain_wei"] == 10**16 * bps // 10_000
    rpc("anvil_setBalance", market.address, hex(w3.eth.get_balance(market.address) + 1))
    client.transact(market.functions.withdraw(ETH, fee_to.address), account=fee_to)
    index()
    [eth] = credited_balances(account=fee_to.address)
    assert (eth["onchain_wei"], eth["ledger_wei"], eth["agrees"]) == (0, 0, True)
    assert eth["unattributed_wei"] == 1
