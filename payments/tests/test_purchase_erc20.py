"""ERC-20 tiers: approve then purchase for a plain token; an ERC-2612 permit signed in the
wallet, then purchaseWithPermit, for a token that has it (once the listing is registered)."""

import time

import pytest
from eth_account.messages import encode_typed_data
from rest_framework.test import APIClient

from chain import client
from core.errors import ApiError
from payments.tests.buying import (
    TierSpec,
    buyer_account,
    deploy_token,
    mint,
    payouts,
    send_step,
    tokenized_listing,
)

pytestmark = [pytest.mark.django_db, pytest.mark.chain]
PRICE = 5 * 10**18 + 3
PARTNER = "0x" + "ab" * 20


@pytest.fixture
def buyer(contracts, w3):
    return buyer_account(2)


def prepare(listing, **body):
    return APIClient().post(
        f"/api/v1/listings/{listing.slug}/purchase/prepare", body, format="json"
    )


def prepared(listing, **body) -> dict:
    reply = prepare(listing, **body)
    assert reply.status_code == 200, reply.json()
    return reply.json()


def token_listing(token, buyer, price=PRICE):
    mint(token, buyer.address, 100 * price)
    tiers = [TierSpec(name="Token tier", price_wei=price, currency=token.address)]
    creator = buyer_account(3)
    return tokenized_listing(
        creator_key=creator,
        tiers=tiers,
        splits=[(creator.address, 8001, ""), (PARTNER, 1999, "Partner")],
    )


def run_steps(reply: dict, buyer) -> list:
    receipts = [send_step(step, buyer) for step in reply["steps"]]
    assert [r["status"] for r in receipts] == [1] * len(receipts)
    return receipts


def assert_paid_as_previewed(reply, receipt):
    expected: dict[str, int] = {}
    for row in reply["split"]:
        expected[row["address"]] = expected.get(row["address"], 0) + int(row["amount"])
    assert payouts(receipt) == {a: v for a, v in expected.items() if v}


def test_plain_token_is_approve_then_purchase(buyer):
    token = deploy_token("Plain", "PLN", permit=False)
    listing = token_listing(token, buyer)
    reply = prepared(listing, tier=0, quantity=2, buyer=buyer.address)

    assert [s["name"] for s in reply["steps"]] == ["approve", "purchase"]
    assert reply["method"] == "purchaseWithOffer" and reply["value"] == "0"
    assert reply["currency"] == {"address": token.address, "symbol": "PLN", "decimals": 18}
    approve = reply["steps"][0]
    assert approve["to"] == token.address and approve["value"] == "0"
    before = token.functions.balanceOf(buyer.address).call()
    receipts = run_steps(reply, buyer)
    assert before - token.functions.balanceOf(buyer.address).call() == 2 * PRICE
    assert_paid_as_previewed(reply, receipts[-1])

    # Registered now; the allowance was spent, so the next purchase approves again.
    again = prepared(listing, tier=0, buyer=buyer.address)
    assert [s["name"] for s in again["steps"]] == ["approve", "purchase"]
    assert again["method"] == "purchaseLicense"
    assert_paid_as_previewed(again, run_steps(again, buyer)[-1])


def test_enough_allowance_skips_the_approval(buyer):
    token = deploy_token("Plain", "PLN", permit=False)
    listing = token_listing(token, buyer)
    market = client.get_contract("Marketplace")
    client.transact(token.functions.approve(market.address, 10 * PRICE), account=buyer)
    reply = prepared(listing, tier=0, buyer=buyer.address)
    assert [s["name"] for s in reply["steps"]] == ["purchase"]
    run_steps(reply, buyer)


def sign_permit(step: dict, account) -> str:
    document = step["typed_data"]
    signed = account.sign_message(encode_typed_data(full_message=document))
    return signed.signature.to_0x_hex()


def test_permit_token_signs_a_permit_then_buys_with_it(buyer):
    token = deploy_token("Permit Token", "PRMT", permit=True)
    listing = token_listing(token, buyer)
    # The first purchase registers the offer: purchaseWithPermit cannot, so approve it is.
    first = prepared(listing, tier=0, buyer=buyer.address)
    assert [s["name"] for s in first["steps"]] == ["approve", "purchase"]
    run_steps(first, buyer)

    reply = prepared(listing, tier=0, quantity=3, buyer=buyer.address)
    assert reply["method"] == "purchaseWithPermit" and "data" not in reply
    (step,) = reply["steps"]
    assert step["type"] == "sign_typed_data" and step["name"] == "permit"
    document = step["typed_data"]
    assert document["primaryType"] == "Permit"
    assert document["domain"]["verifyingContract"] == token.address
    assert document["domain"]["name"] == "Permit Token"
    assert document["message"]["spender"] == client.get_contract("Marketplace").address
    assert document["message"]["value"] == str(3 * PRICE) == reply["total_wei"]

    signature = sign_permit(step, buyer)
    final = prepared(
        listing,
        tier=0,
        quantity=3,
        buyer=buyer.address,
        permit_signature=signature,
        deadline=int(step["deadline"]),
    )
    assert final["method"] == "purchaseWithPermit"
    assert [s["name"] for s in final["steps"]] == ["purchase"]
    receipt = send_step(final["steps"][0], buyer)
    assert receipt["status"] == 1
    assert_paid_as_previewed(final, receipt)
    license_token = client.get_contract("LicenseToken")
    assert license_token.functions.balanceOf(buyer.address, int(final["token_id"])).call() == 4


@pytest.mark.parametrize("problem", ["wrong_signer", "other_amount", "expired", "garbage"])
def test_bad_permits_are_refused(buyer, problem):
    token = deploy_token("Permit Token", "PRMT", permit=True)
    listing = token_listing(token, buyer)
    run_steps(prepared(listing, tier=0, buyer=buyer.address), buyer)
    step = prepared(listing, tier=0, buyer=buyer.address)["steps"][0]
    signer = buyer_account(4) if problem == "wrong_signer" else buyer
    body = {
        "tier": 0,
        "quantity": 2 if problem == "other_amount" else 1,
        "buyer": buyer.address,
        "permit_signature": "0x1234" if problem == "garbage" else sign_permit(step, signer),
        "deadline": int(time.time()) - 5 if problem == "expired" else int(step["deadline"]),
    }
    reply = prepare(listing, **body)
    assert reply.status_code == 400
    expected = "permit_expired" if problem == "expired" else "signature_invalid"
    assert reply.json()["error"]["code"] == expected


def test_a_permit_for_a_token_without_permit_is_refused(buyer):
    token = deploy_token("Plain", "PLN", permit=False)
    listing = token_listing(token, buyer)
    reply = prepare(
        listing, tier=0, buyer=buyer.address, permit_signature="0x" + "11" * 65, deadline=1
    )
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "permit_not_used"


def test_not_enough_tokens_is_409(buyer):
    token = deploy_token("Plain", "PLN", permit=False)
    listing = token_listing(token, buyer, price=10**30)
    reply = prepare(listing, tier=0, buyer=buyer_account(4).address)
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "insufficient_funds"


def test_a_currency_that_is_not_a_token_is_409(buyer):
    # Contracts v2 accept only the admin's allow-listed tokens: such a tier is refused before
    # the creator signs, so it never reaches a buyer (payments/tests/test_offers.py has the API).
    with pytest.raises(ApiError) as refused:
        tokenized_listing(tiers=[TierSpec(name="Odd", price_wei=1, currency="0x" + "12" * 20)])
    assert refused.value.status_code == 409
    assert refused.value.get_codes() == "currency_not_allowed"
