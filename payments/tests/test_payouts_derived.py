"""Contracts v2 announce only a refused payment (issue 14: no per-payee event on success), so the
indexer derives who got what from each sale and the terms in force at its place in the chain
(payments.onchain.payouts). Held here to the chain itself: for every sale, the indexer's payout
rows equal each payee's balance change plus its change of credit, to the wei, across a refused
payment, a split change, an ownership transfer and a fee change, the first sale registering the
listing in the same transaction."""

from collections import defaultdict

import pytest
from eth_account import Account

from accounts.models import User
from chain import client
from chain.indexer.store import dispatch
from chain.models import ChainLog
from chain.typed_data import ETH, OWNER
from notifications.models import Notification
from payments.models import Payout
from payments.onchain.notices import amount_words
from payments.onchain.payouts import History, chunks
from payments.tests.buying import deployer, received
from payments.tests.indexing import TierSpec, buy, index, tokenized_listing, wallets
from payments.tests.ownership_helpers import send_token
from payments.tests.test_ledger import rejecting_recipient

pytestmark = [pytest.mark.django_db, pytest.mark.chain]
PRICE = 10**16 + 7  # odd: every split leaves rounding dust for the owner
KIND_NAMES = {Payout.Kind.PAID: "Paid", Payout.Kind.CREDITED: "Credited"}


def indexed_payouts(receipt) -> dict[tuple[str, str, str], int]:
    """The indexer's sale payouts of the transaction, keyed like `received`."""
    rows = Payout.objects.filter(
        tx_hash=receipt["transactionHash"].to_0x_hex(), kind__in=list(KIND_NAMES)
    )
    found: dict[tuple[str, str, str], int] = defaultdict(int)
    for row in rows:
        found[(row.account, row.currency, KIND_NAMES[row.kind])] += int(row.amount)
    return dict(found)


def sales_under_changing_terms() -> list:
    """Four sales: at registration (a refusing contributor), after a split change, after the
    listing changed hands, after a fee change to another recipient."""
    creator, heir, buyer = wallets(3)
    partner, newcomer = Account.create().address, Account.create().address
    refuser = rejecting_recipient()
    listing = tokenized_listing(
        creator_key=creator,
        tiers=[TierSpec(name="Download", price_wei=PRICE)],
        splits=[(creator.address, 6_000, "me"), (partner, 3_000, "p"), (refuser, 1_000, "r")],
    )
    market, lid = client.get_contract("Marketplace"), listing.onchain_id
    receipts = [buy(listing, buyer)]
    # The owner gives part of its own share to a newcomer: lowers nobody, so it applies at once.
    splits = [(OWNER, 4_000), (partner, 3_000), (refuser, 1_000), (newcomer, 2_000)]
    client.transact(market.functions.setSplits(lid, splits), account=creator)
    receipts.append(buy(listing, buyer, quantity=3))
    send_token(listing, creator, heir.address)
    receipts.append(buy(listing, buyer))
    # A lower fee applies at once; the new recipient earns from the next sale on.
    fee_to = Account.create().address
    client.transact(market.functions.setPlatformFee(fee_to, 100), account=deployer())
    receipts.append(buy(listing, buyer, quantity=2))
    User.objects.create_user(fee_to)  # told of each fee credited to it, as before
    return receipts


def test_derived_payouts_equal_balance_and_credit_changes_on_chain(contracts, w3):
    receipts = sales_under_changing_terms()
    index()  # one batch: the registration's split and its first sale share a transaction

    for receipt in receipts:
        measured = received(receipt)
        assert indexed_payouts(receipt) == measured, receipt["transactionHash"].to_0x_hex()
        kinds = {kind for _, _, kind in measured}
        assert kinds == {"Paid", "Credited"}  # the fee and the refuser are credited
    fee_rows = Payout.objects.filter(kind=Payout.Kind.CREDITED, position=0, log__event="Purchased")
    assert len({row.account for row in fee_rows}) == 2  # the fee followed its recipient

    # The new fee recipient (an account here) is told of the one fee credited to it.
    fee_to = fee_rows.order_by("-log__block_number").first().account
    told = Notification.objects.filter(recipient__address=fee_to, kind=Notification.Kind.PAYOUT)
    fee = amount_words(PRICE * 2 * 100 // 10_000, ETH)
    assert [n.title.split(" credited")[0] for n in told] == [fee]

    # Handing the same logs over again adds nothing (rows are unique per sale and payee).
    count = Payout.objects.count()
    dispatch(list(ChainLog.objects.all()))
    assert Payout.objects.count() == count and told.count() == 1


def test_terms_in_force_are_those_set_strictly_before_the_sale():
    history = History()
    history.add("fee", (10, 3), 250)
    history.add("fee", (5, 0), 100)  # added out of order: sorted on look-up
    assert history.at("fee", (5, 0)) is None  # a change at the sale's own position is later
    assert history.at("fee", (10, 3)) == 100
    assert history.at("fee", (10, 4)) == 250
    assert history.at("split", (99, 0)) is None
    assert [len(part) for part in chunks(range(601))] == [300, 300, 1]
