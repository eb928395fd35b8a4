"""Gasless purchases through the API: a buyer holding only tUSDC (EIP-3009) and no ETH signs
once, the site's relayer sends it, the licence is the buyer's and the split is paid. A replay,
a wrong amount, another chain, a lapsed intent and a spent sponsorship budget each get a clear
4xx and move no money."""

import time

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from rest_framework.test import APIClient

from chain import client, typed_data
from payments.models import RelayedPurchase
from payments.tests.buying import TierSpec, buyer_account, mint, payouts, tokenized_listing
from payments.tests.indexing import index

pytestmark = [pytest.mark.django_db, pytest.mark.chain]
PRICE = 7 * 10**6 + 1  # 7.000001 tUSDC


@pytest.fixture
def usdc(contracts, w3):
    return client.get_contract("TestAuthToken")


@pytest.fixture
def buyer(contracts, w3):
    """A wallet with no ETH at all."""
    return Account.create()


def listing_in(token, *, price=PRICE):
    creator = buyer_account(3)
    tiers = [TierSpec(name="Download", price_wei=price, currency=token.address)]
    return tokenized_listing(creator_key=creator, tiers=tiers)


def post(listing, action, body):
    url = f"/api/v1/listings/{listing.slug}/gasless/{action}"
    return APIClient().post(url, body, format="json")


def sign_all(documents, account) -> list[str]:
    return [
        account.sign_message(encode_typed_data(full_message=doc)).signature.to_0x_hex()
        for doc in documents
    ]


def prepared(listing, buyer, **body):
    reply = post(listing, "prepare", {"tier": 0, "buyer": buyer.address, **body})
    assert reply.status_code == 200, reply.json()
    return reply.json()


def balance(token, address):
    return token.functions.balanceOf(address).call()


def test_one_signature_buys_with_no_eth_and_the_gas_is_accounted(usdc, buyer):
    listing = listing_in(usdc)  # not registered yet: the relayer registers it first
    mint(usdc, buyer.address, 10 * PRICE)
    reply = prepared(listing, buyer)
    assert reply["method"] == "authorization" and len(reply["sign"]) == 1
    (document,) = reply["sign"]
    assert document["primaryType"] == "ReceiveWithAuthorization"
    assert document["message"]["to"] == reply["checkout"]
    assert document["message"]["value"] == str(PRICE) == reply["total_wei"]

    done = post(
        listing, "submit", {"intent": reply["intent"], "signatures": sign_all(reply["sign"], buyer)}
    )
    assert done.status_code == 201, done.json()
    body = done.json()
    licence = client.get_contract("LicenseToken")
    assert licence.functions.balanceOf(buyer.address, int(body["token_id"])).call() == 1
    assert balance(usdc, buyer.address) == 9 * PRICE
    assert client.get_web3().eth.get_balance(buyer.address) == 0
    receipt = client.get_web3().eth.get_transaction_receipt(body["tx_hash"])
    assert sum(payouts(receipt).values()) == PRICE  # the whole price went to the split

    relayed = RelayedPurchase.objects.get(pk=body["relay"])
    assert relayed.status == "succeeded" and len(relayed.tx_hashes) == 2  # register + buy
    receipts = [client.get_web3().eth.get_transaction_receipt(h) for h in relayed.tx_hashes]
    assert int(relayed.gas_cost) == sum(r["gasUsed"] * r["effectiveGasPrice"] for r in receipts)
    assert relayed.gas_used == sum(r["gasUsed"] for r in receipts)

    index()
    access = APIClient().get(f"/api/v1/listings/{listing.slug}/access?address={buyer.address}")
    assert access.json()["has_download"] is True


def test_a_replayed_signature_is_refused_and_moves_nothing(usdc, buyer):
    listing = listing_in(usdc)
    mint(usdc, buyer.address, 10 * PRICE)
    reply = prepared(listing, buyer)
    body = {"intent": reply["intent"], "signatures": sign_all(reply["sign"], buyer)}
    assert post(listing, "submit", body).status_code == 201
    again = post(listing, "submit", body)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_relayed"
    assert balance(usdc, buyer.address) == 9 * PRICE
    assert RelayedPurchase.objects.count() == 1


def test_a_payment_for_the_wrong_amount_is_refused(usdc, buyer):
    listing = listing_in(usdc)
    mint(usdc, buyer.address, 10 * PRICE)
    reply = prepared(listing, buyer)
    intent = {**reply["intent"], "amount": str(PRICE - 1)}
    (document,) = reply["sign"]
    document = {**document, "message": {**document["message"], "value": str(PRICE - 1)}}
    reply = post(listing, "submit", {"intent": intent, "signatures": sign_all([document], buyer)})
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "wrong_amount"
    assert balance(usdc, buyer.address) == 10 * PRICE
    assert not RelayedPurchase.objects.exists()


def test_a_signature_for_another_chain_is_refused(usdc, buyer):
    listing = listing_in(usdc)
    mint(usdc, buyer.address, 10 * PRICE)
    reply = prepared(listing, buyer)
    (document,) = reply["sign"]
    document = {**document, "domain": {**document["domain"], "chainId": 1}}
    sent = post(
        listing, "submit", {"intent": reply["intent"], "signatures": sign_all([document], buyer)}
    )
    assert sent.status_code == 400 and sent.json()["error"]["code"] == "signature_invalid"
    assert balance(usdc, buyer.address) == 10 * PRICE


def test_an_expired_intent_is_refused(usdc, buyer):
    listing = listing_in(usdc)
    mint(usdc, buyer.address, 10 * PRICE)
    reply = prepared(listing, buyer)
    intent = {**reply["intent"], "deadline": str(int(time.time()) - 1)}
    sent = post(listing, "submit", {"intent": intent, "signatures": sign_all(reply["sign"], buyer)})
    assert sent.status_code == 400 and sent.json()["error"]["code"] == "intent_expired"


def test_a_spent_sponsorship_budget_refuses_with_429(usdc, buyer, settings):
    listing = listing_in(usdc)
    mint(usdc, buyer.address, 10 * PRICE)
    reply = prepared(listing, buyer)
    body = {"intent": reply["intent"], "signatures": sign_all(reply["sign"], buyer)}
    settings.RELAY_GAS_BUDGET_WEI_PER_DAY = 1000  # less than any transaction costs
    sent = post(listing, "submit", body)
    assert sent.status_code == 429 and sent.json()["error"]["code"] == "sponsorship_exhausted"
    assert balance(usdc, buyer.address) == 10 * PRICE
    assert not RelayedPurchase.objects.exists()


def test_a_permit_only_currency_signs_a_permit_and_the_intent(contracts, w3, buyer):
    token = client.get_contract("TestPermitToken")
    listing = listing_in(token, price=10**18)
    mint(token, buyer.address, 5 * 10**18)
    reply = prepared(listing, buyer, quantity=2)
    assert reply["method"] == "permit"
    assert [d["primaryType"] for d in reply["sign"]] == ["Permit", "PurchaseIntent"]
    sent = post(
        listing, "submit", {"intent": reply["intent"], "signatures": sign_all(reply["sign"], buyer)}
    )
    assert sent.status_code == 201, sent.json()
    licence = client.get_contract("LicenseToken")
    token_id = typed_data.token_id(listing.onchain_id, 0)
    assert licence.functions.balanceOf(buyer.address, token_id).call() == 2
    assert balance(token, buyer.address) == 3 * 10**18


def test_an_eth_tier_has_no_gasless_purchase(contracts, w3, buyer):
    listing = tokenized_listing(creator_key=buyer_account(3))
    reply = post(listing, "prepare", {"tier": 0, "buyer": buyer.address})
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "gasless_unsupported"


@pytest.mark.parametrize(
    "change",
    [
        {"tierId": str(10**30)},
        {"quantity": str(2**40)},
        {"deadline": str(2**70)},
        {"amount": "-1"},
        {"nonce": "0x1234"},
        {"buyer": "not an address"},
        {"listingId": "x"},
    ],
)
def test_a_malformed_intent_is_400(usdc, buyer, change):
    listing = listing_in(usdc)
    mint(usdc, buyer.address, 10 * PRICE)
    reply = prepared(listing, buyer)
    intent = {**reply["intent"], **change}
    sent = post(listing, "submit", {"intent": intent, "signatures": ["0x" + "11" * 65]})
    assert sent.status_code == 400, sent.json()
    assert sent.json()["error"]["code"] == "bad_intent"
