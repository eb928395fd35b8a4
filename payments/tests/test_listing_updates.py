"""Changing a registered listing's split and tier prices: the owner's wallet sends setSplits /
setTierPrice (built by the server), or signs an update the server relays. The indexer records
the change and the listing follows. A split change applies to sales after it, never before."""

import threading
import time

import pytest
from django.conf import settings
from django.test import Client
from eth_account import Account
from eth_account.messages import encode_typed_data

from accounts.models import User
from chain import client
from core.errors import ApiError
from listings.models import Listing
from payments.dashboard import figures
from payments.models import Payout, SplitChange, TierPriceChange
from payments.offers import updates
from payments.tests.buying import received, send_step
from payments.tests.indexing import (
    TierSpec,
    buy,
    index,
    mine,
    revert,
    rpc,
    snapshot,
    tokenized_listing,
    wallets,
)

pytestmark = [pytest.mark.django_db, pytest.mark.chain]
PRICE = 10**18


@pytest.fixture
def registered(contracts, w3):
    """A listing sold once (which registered it), split 90/10 creator/partner."""
    creator = wallets(1)[0]
    partner, newcomer = Account.create().address, Account.create().address
    listing = tokenized_listing(
        creator_key=creator,
        tiers=[TierSpec(name="Download", price_wei=PRICE)],
        splits=[(creator.address, 9_000, "Me"), (partner, 1_000, "Partner")],
    )
    buyer = wallets(1)[0]
    first = buy(listing, buyer)
    return listing, creator, partner, newcomer, buyer, first


def paid(receipt) -> dict[str, int]:
    """Who was paid at once in the sale (balance changes; the fee is credited instead)."""
    return {who: amount for (who, _, kind), amount in received(receipt).items() if kind == "Paid"}


def test_a_split_change_applies_to_sales_after_it_and_not_before(registered):
    listing, creator, partner, newcomer, buyer, first = registered
    user = User.objects.get(address=creator.address)
    prepared = updates.split_update_prepare(
        listing=listing,
        actor=user,
        splits=[(creator.address, 5_000), (partner, 2_000), (newcomer, 3_000)],
    )
    # Old and new side by side, before anything is signed.
    compare = {row["address"]: (row["old_bps"], row["new_bps"]) for row in prepared["comparison"]}
    assert compare == {
        creator.address: (9_000, 5_000),
        partner: (1_000, 2_000),
        newcomer: (0, 3_000),
    }
    change = send_step(prepared["transaction"], creator)
    assert change.status == 1
    second = buy(listing, buyer)
    index()

    fee = PRICE * client.get_contract("Marketplace").functions.feeBps().call() // 10_000
    net = PRICE - fee
    assert paid(first) == {partner: net // 10, creator.address: net - net // 10}
    assert paid(second) == {
        partner: net * 2_000 // 10_000,
        newcomer: net * 3_000 // 10_000,
        creator.address: net - net * 2_000 // 10_000 - net * 3_000 // 10_000,
    }
    # The ledger per sale, and the dashboard per recipient, say the same.
    per_sale = {
        (p.tx_hash, p.account): int(p.amount)
        for p in Payout.objects.filter(listing=listing, kind="paid")
    }
    assert per_sale[(first.transactionHash.to_0x_hex(), partner)] == net // 10
    assert per_sale[(second.transactionHash.to_0x_hex(), partner)] == net * 2_000 // 10_000
    assert (first.transactionHash.to_0x_hex(), newcomer) not in per_sale
    received = {
        r["account"]: r["received_wei"]
        for r in figures.recipients_received(listings=[listing])
        if r["label"] != "Platform fee"
    }
    assert received[partner] == net // 10 + net * 2_000 // 10_000
    assert received[newcomer] == net * 3_000 // 10_000

    # The listing follows the chain; labels of addresses that stayed are kept; history kept.
    splits = {s.address: (s.bps, s.label) for s in Listing.objects.get(pk=listing.pk).splits.all()}
    assert splits == {
        creator.address: (5_000, "Me"),
        partner: (2_000, "Partner"),
        newcomer: (3_000, ""),
    }
    history = list(SplitChange.objects.filter(listing=listing).order_by("block_number"))
    assert len(history) == 2
    assert history[1].tx_hash == change.transactionHash.to_0x_hex()


def test_a_signed_split_update_is_relayed_by_the_server(registered):
    listing, creator, partner, newcomer, buyer, _ = registered
    browser = Client()
    browser.force_login(User.objects.get(address=creator.address))
    reply = browser.post(
        f"/api/v1/listings/{listing.slug}/splits/prepare",
        {
            "splits": [  # the partner keeps 10%: lowering it would only be announced
                {"address": creator.address, "bps": 7_000},
                {"address": partner, "bps": 1_000},
                {"address": newcomer, "bps": 2_000},
            ]
        },
        content_type="application/json",
    )
    assert reply.status_code == 200, reply.content
    document = reply.json()["typed_data"]
    balance = client.get_web3().eth.get_balance(creator.address)

    stranger_signature = Account.create().sign_message(encode_typed_data(full_message=document))
    wrong = browser.post(
        f"/api/v1/listings/{listing.slug}/splits/relay",
        {"message": document["message"], "signature": stranger_signature.signature.to_0x_hex()},
        content_type="application/json",
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"]["code"] == "signature_invalid"

    signature = creator.sign_message(encode_typed_data(full_message=document)).signature
    body = {"message": document["message"], "signature": signature.to_0x_hex()}
    relayed = browser.post(
        f"/api/v1/listings/{listing.slug}/splits/relay", body, content_type="application/json"
    )
    assert relayed.status_code == 200, relayed.content
    assert client.get_web3().eth.get_balance(creator.address) == balance  # no gas for the creator
    index()
    assert {s.address: s.bps for s in listing.splits.all()} == {
        creator.address: 7_000,
        partner: 1_000,
        newcomer: 2_000,
    }
    again = browser.post(
        f"/api/v1/listings/{listing.slug}/splits/relay", body, content_type="application/json"
    )
    assert again.status_code == 409  # single use: the nonce moved on
    assert again.json()["error"]["code"] == "stale_update"
    changes = browser.get(f"/api/v1/listings/{listing.slug}/changes").json()["changes"]
    assert changes[0]["kind"] == "split" and changes[0]["tx_hash"] == relayed.json()["tx_hash"]
    assert changes[-1]["registration"] is True


def test_split_refusals(registered, contracts):
    listing, creator, partner, *_ = registered
    browser = Client()
    browser.force_login(User.objects.get(address=creator.address))
    url = f"/api/v1/listings/{listing.slug}/splits/prepare"
    short = browser.post(
        url, {"splits": [{"address": partner, "bps": 9_000}]}, content_type="application/json"
    )
    assert short.status_code == 400
    assert "10000" in short.json()["error"]["message"]
    twice = browser.post(
        url,
        {"splits": [{"address": partner, "bps": 5_000}, {"address": partner, "bps": 5_000}]},
        content_type="application/json",
    )
    assert twice.status_code == 400
    unregistered = tokenized_listing(creator_key=creator, title="Not sold yet")
    refused = browser.post(
        f"/api/v1/listings/{unregistered.slug}/splits/prepare",
        {"splits": [{"address": creator.address, "bps": 10_000}]},
        content_type="application/json",
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "not_registered"
    assert Client().post(url, {}, content_type="application/json").status_code in (401, 403)


def test_a_malformed_relay_body_is_a_400_not_a_500(registered):
    listing, creator, partner, *_ = registered
    browser = Client()
    browser.force_login(User.objects.get(address=creator.address))
    url = f"/api/v1/listings/{listing.slug}/splits/relay"
    split = f'{{"recipient": "{partner}", "bps": 10000}}'
    for message in (
        f'{{"listingId": "{listing.onchain_id}", "splits": [{split}], "nonce": 1e400, '
        '"deadline": 99999999999}',  # JSON allows 1e400: Python reads it as float inf
        f'{{"listingId": "{listing.onchain_id}", "splits": [{split}], "nonce": 0, '
        '"deadline": 99999999999, "listingId": 1e400}',
        f'{{"listingId": "{listing.onchain_id}", "splits": "abc", "nonce": 0, "deadline": 1}}',
    ):
        reply = browser.post(
            url, f'{{"message": {message}, "signature": "0x{"00" * 65}"}}',
            content_type="application/json",
        )  # fmt: skip
        assert reply.status_code == 400, (message, reply.content)
        assert reply.json()["error"]["code"] == "update_malformed"


def test_the_same_signed_update_posted_twice_at_once_is_sent_once(registered):
    """While the first relay waits for its block, a second post of the same update passes the
    nonce check (nothing is mined yet): it must be refused, not sent to revert at our cost."""
    listing, creator, partner, newcomer, *_ = registered
    user = User.objects.get(address=creator.address)
    prepared = updates.split_update_prepare(
        listing=listing, actor=user, splits=[(creator.address, 7_000), (newcomer, 3_000)]
    )
    document = prepared["typed_data"]
    signature = creator.sign_message(encode_typed_data(full_message=document)).signature
    body = {"listing": listing, "actor": user, "message": document["message"],
            "signature": signature.to_0x_hex()}  # fmt: skip
    w3, results = client.get_web3(), []
    sent_before = w3.eth.get_transaction_count(relayer_address(), "pending")
    rpc("evm_setAutomine", False)
    try:
        first = threading.Thread(target=lambda: results.append(updates.split_update_relay(**body)))
        first.start()
        deadline = time.monotonic() + 30
        while w3.eth.get_transaction_count(relayer_address(), "pending") == sent_before:
            assert time.monotonic() < deadline, "the first relay never sent its transaction"
            time.sleep(0.05)
        with pytest.raises(ApiError) as second:
            updates.split_update_relay(**body)
        assert second.value.get_codes() == "update_in_flight"
        mine(1)
        first.join(timeout=30)
    finally:
        rpc("evm_setAutomine", True)
    assert len(results) == 1 and results[0]["tx_hash"]
    assert w3.eth.get_transaction_count(relayer_address(), "pending") == sent_before + 1


def relayer_address() -> str:
    return Account.from_key(settings.CHAIN_RELAYER_KEY or settings.CHAIN_DEPLOYER_KEY).address


def test_a_tier_price_change_follows_the_chain(registered):
    listing, creator, _, _, buyer, _ = registered
    user = User.objects.get(address=creator.address)
    prepared = updates.tier_price_prepare(
        listing=listing, actor=user, position=0, price_wei=2 * PRICE + 1
    )
    assert prepared["old_price_wei"] == str(PRICE)
    send_step(prepared["transaction"], creator)
    index()
    tier = listing.tiers.get(position=0)
    assert int(tier.price_wei) == 2 * PRICE + 1
    assert Listing.objects.get(pk=listing.pk).min_price_wei == 2 * PRICE + 1
    assert TierPriceChange.objects.filter(listing=listing).count() == 2  # registration + change
    market = client.get_contract("Marketplace")
    call = market.functions.purchase(listing.onchain_id, 0, 1, "0x" + "00" * 20, 2 * PRICE + 1)
    assert client.transact(call, account=buyer, value=2 * PRICE + 1).status == 1
    with pytest.raises(Exception, match="UnknownTier|no licence tier|unknown_tier"):
        updates.tier_price_prepare(listing=listing, actor=user, position=5, price_wei=1)


def test_a_split_that_cuts_a_contributor_is_only_announced(registered):
    listing, creator, partner, newcomer, *_ = registered
    prepared = updates.split_update_prepare(
        listing=listing,
        actor=User.objects.get(address=creator.address),
        splits=[(creator.address, 8_000), (newcomer, 2_000)],
    )
    assert prepared["lowered"] == [partner] and prepared["notice_seconds"] == 14 * 86_400
    send_step(prepared["transaction"], creator)
    index()
    # The chain announced it; sales keep paying the partner until the notice is over.
    assert {s.address: s.bps for s in listing.splits.all()} == {
        creator.address: 9_000,
        partner: 1_000,
    }
    pending = client.get_contract("Marketplace").functions.pendingSplits(listing.onchain_id)
    assert pending.call()[1] > 0
    # The partner's dashboard shows the announcement, from the indexed SplitsScheduled event.
    (notice,) = figures.split_notices(address=partner)
    assert (notice["listing"], notice["now_bps"], notice["new_bps"]) == (listing, 1_000, 0)
    assert notice["effective_at"].timestamp() == pending.call()[1]
    page = Client()
    page.force_login(User.objects.get_or_create(address=partner)[0])
    reply = page.get("/dashboard/")
    assert reply.status_code == 200
    assert b'data-testid="split-notice"' in reply.content
    assert figures.split_notices(address=newcomer) == []  # raised, not lowered


def test_a_reorg_that_drops_a_split_change_puts_the_old_split_back(registered):
    listing, creator, partner, newcomer, *_ = registered
    index(confirmations=1)
    fork = snapshot()
    prepared = updates.split_update_prepare(
        listing=listing,
        actor=User.objects.get(address=creator.address),
        splits=[(creator.address, 4_000), (partner, 1_000), (newcomer, 5_000)],
    )
    send_step(prepared["transaction"], creator)
    mine(3)
    index(confirmations=1)
    assert {s.address for s in listing.splits.all()} == {creator.address, partner, newcomer}

    revert(fork)
    mine(3)  # a longer branch without the change
    index(confirmations=1)
    assert {s.address: s.bps for s in listing.splits.all()} == {
        creator.address: 9_000,
        partner: 1_000,
    }
    assert SplitChange.objects.filter(listing=listing).count() == 1  # the registration's
