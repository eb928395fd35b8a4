"""The money ledger, built by the indexer from Purchased (payouts derived from the terms in
force), Credited and Withdrawn: rows, never a flag, exact to the wei, and in step with the
contract's own books."""

import threading

import pytest
from eth_account import Account

from chain import client
from chain.models import ChainLog
from core.db import wei_sum
from payments.dashboard import ledger
from payments.models import Entitlement, Payout, Purchase
from payments.tests.buying import deployer
from payments.tests.indexing import (
    ETH,
    TierSpec,
    buy,
    buy_call,
    index,
    tokenized_listing,
    wallets,
)

pytestmark = [pytest.mark.django_db, pytest.mark.chain]
ODD_PRICE = 10**16 + 7  # every split leaves rounding dust


@pytest.fixture
def chain(contracts, w3):
    return w3


def rejecting_recipient():
    """A contract that refuses ETH: its share is credited, never lost."""
    artifact = client.load_artifact("RejectingRecipient")
    factory = client.get_web3().eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    return client.transact(factory.constructor(), account=deployer()).contractAddress


def split_listing():
    creator, partner = Account.create(), Account.create()
    refuser = rejecting_recipient()
    listing = tokenized_listing(
        creator_key=creator,
        tiers=[TierSpec(name="Download", price_wei=ODD_PRICE)],
        splits=[
            (creator.address, 6_000, "me"),
            (partner.address, 3_000, "p"),
            (refuser, 1_000, "r"),
        ],
    )
    return listing, creator.address, partner.address, refuser


def test_200_parallel_purchases_give_200_grants_and_a_ledger_exact_to_the_wei(chain):
    listing, creator, partner, refuser = split_listing()
    buyers = wallets(20)
    errors: list[Exception] = []
    call, value = buy_call(listing)  # read the offer here: the threads only talk to the chain

    def purchases(buyer):
        try:
            for _ in range(10):
                client.transact(call, account=buyer, value=value, gas=500_000)
        except Exception as exc:  # surfaced below, with the test's traceback
            errors.append(exc)

    threads = [threading.Thread(target=purchases, args=(b,)) for b in buyers]
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):  # index while the purchases land
        index()
    for thread in threads:
        thread.join()
    assert not errors, errors[0]
    index()

    assert Purchase.objects.count() == 200
    assert sum(e.balance for e in Entitlement.objects.all()) == 200
    assert {e.holder: e.balance for e in Entitlement.objects.all()} == {
        b.address: 10 for b in buyers
    }
    listing.refresh_from_db()
    assert listing.sales_count == 200
    assert ChainLog.objects.filter(event="Purchased").count() == 200

    paid_in = ledger.ledger_sales_total(currency=ETH)
    assert paid_in == 200 * ODD_PRICE
    assert ledger.ledger_distributed_total(currency=ETH) == paid_in
    assert ledger.ledger_distributed_total(currency=ETH, listing=listing) == paid_in

    # Each account's rows agree with the chain: balances received, credits held.
    market = client.get_contract("Marketplace")
    w3 = client.get_web3()
    for account in (creator, partner):
        totals = ledger.ledger_account_totals(account=account)
        assert totals["paid"] == w3.eth.get_balance(account) and totals["credited"] == 0
    for account in (refuser, deployer().address):  # the refuser's share, the platform fee
        totals = ledger.ledger_account_totals(account=account)
        assert totals["credited"] == market.functions.credits(account, ETH).call() > 0
    by_account = ledger.ledger_totals_by_account(listing=listing)
    assert sum(sum(kinds.values()) for kinds in by_account.values()) == paid_in


def test_withdrawals_are_ledgered_and_outstanding_credit_matches_the_contract(chain):
    listing, *_ = split_listing()
    buy(listing, wallets(1)[0], quantity=3)
    fee_recipient = deployer()
    market = client.get_contract("Marketplace")
    index()
    before = ledger.ledger_account_totals(account=fee_recipient.address)
    assert before["outstanding"] == market.functions.credits(fee_recipient.address, ETH).call()
    assert before["outstanding"] == 3 * ODD_PRICE * 250 // 10_000

    destination = Account.create().address
    client.transact(market.functions.withdraw(ETH, destination), account=fee_recipient)
    index()
    after = ledger.ledger_account_totals(account=fee_recipient.address)
    assert after["withdrawn"] == before["credited"] and after["outstanding"] == 0
    withdrawal = Payout.objects.get(kind=Payout.Kind.WITHDRAWN)
    assert withdrawal.to_address == destination and withdrawal.onchain_listing_id is None
    assert market.functions.credits(fee_recipient.address, ETH).call() == 0


def test_ledger_sums_are_exact_for_amounts_beyond_float_precision(chain):
    listing = tokenized_listing()
    buy(listing, wallets(1)[0])
    index()
    purchase = Purchase.objects.get()
    huge = 2**200 + 1  # an ERC-20 with 18 decimals and a silly supply; a float would round
    Purchase.objects.filter(pk=purchase.pk).update(amount=huge)
    assert ledger.ledger_sales_total() == huge
    assert wei_sum(Purchase.objects.all(), "amount") == huge
