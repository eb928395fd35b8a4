"""The server builds purchase transactions: the calldata it returns really buys on anvil, the
split it previews is what the contract pays to the wei, and every mistake is a clear 4xx."""

import pytest
from eth_account import Account
from rest_framework.test import APIClient

from chain import client
from listings import services as listing_services
from payments.models import ListingOffer
from payments.tests.buying import (
    TierSpec,
    buyer_account,
    deployer,
    payouts,
    send_step,
    tokenized_listing,
)

pytestmark = [pytest.mark.django_db, pytest.mark.chain]
PARTNER = "0x" + "ab" * 20
LABELLER = "0x" + "cd" * 20
ODD_PRICE = 10**16 + 7  # leaves rounding dust in every split


@pytest.fixture
def chain(contracts, w3):
    return w3


@pytest.fixture
def buyer():
    return buyer_account(2)


def prepare(listing, **body):
    reply = APIClient().post(
        f"/api/v1/listings/{listing.slug}/purchase/prepare", body, format="json"
    )
    return reply


def prepared(listing, **body) -> dict:
    reply = prepare(listing, **body)
    assert reply.status_code == 200, reply.json()
    return reply.json()


def assert_paid_as_previewed(reply: dict, receipt) -> None:
    assert receipt["status"] == 1
    expected: dict[str, int] = {}
    for row in reply["split"]:
        expected[row["address"]] = expected.get(row["address"], 0) + int(row["amount"])
    assert payouts(receipt) == {a: v for a, v in expected.items() if v}
    assert sum(int(row["amount"]) for row in reply["split"]) == int(reply["total_wei"])


def test_first_purchase_registers_the_offer_and_pays_the_split_to_the_wei(chain, buyer):
    creator = Account.create()
    listing = tokenized_listing(
        creator_key=creator,
        tiers=[TierSpec(name="Download", price_wei=ODD_PRICE)],
        splits=[(creator.address, 7000, ""), (PARTNER, 2093, "Data"), (LABELLER, 907, "")],
    )
    reply = prepared(listing, tier=0, quantity=3, buyer=buyer.address)

    assert reply["method"] == "purchaseWithOffer" and reply["registered"] is False
    assert reply["total_wei"] == str(3 * ODD_PRICE) == reply["value"]
    assert reply["to"] == client.get_contract("Marketplace").address
    assert [s["name"] for s in reply["steps"]] == ["purchase"]
    assert [(r["role"], r["label"]) for r in reply["split"]] == [
        ("platform", "Platform fee"),
        ("recipient", "Data"),
        ("recipient", "Contributor"),
        ("owner", "Creator"),
    ]
    receipt = send_step(reply["steps"][0], buyer)
    assert_paid_as_previewed(reply, receipt)
    license_token = client.get_contract("LicenseToken")
    assert license_token.functions.balanceOf(buyer.address, int(reply["token_id"])).call() == 3


def test_later_purchases_use_the_registered_listing(chain, buyer):
    listing = tokenized_listing(tiers=[TierSpec(name="Download", price_wei=ODD_PRICE)])
    send_step(prepared(listing, tier=0, quantity=1, buyer=buyer.address)["steps"][0], buyer)

    reply = prepared(listing, tier=0, quantity=2, buyer=buyer.address)
    assert reply["method"] == "purchaseLicense" and reply["registered"] is True
    assert_paid_as_previewed(reply, send_step(reply["steps"][0], buyer))


def test_the_price_comes_from_the_chain_once_registered(chain, buyer):
    """The owner may reprice on chain; the buyer must send what the contract will charge."""
    creator = Account.create()
    listing = tokenized_listing(creator_key=creator)
    send_step(prepared(listing, tier=0, buyer=buyer.address)["steps"][0], buyer)
    market = client.get_contract("Marketplace")
    chain.eth.send_transaction({"from": buyer.address, "to": creator.address, "value": 10**17})
    call = market.functions.setTierPrice(listing.onchain_id, 0, 12345, "0x" + "00" * 20)
    client.transact(call, account=creator)

    reply = prepared(listing, tier=0, buyer=buyer.address)
    assert reply["price_wei"] == "12345"
    assert_paid_as_previewed(reply, send_step(reply["steps"][0], buyer))


def test_free_tier_sends_no_value(chain, buyer):
    listing = tokenized_listing(tiers=[TierSpec(name="Free", price_wei=0)])
    reply = prepared(listing, tier=0, buyer=buyer.address)
    assert reply["value"] == "0" and reply["total_wei"] == "0"
    assert send_step(reply["steps"][0], buyer)["status"] == 1


def test_sold_out_and_over_the_cap(chain, buyer):
    listing = tokenized_listing(tiers=[TierSpec(name="Rare", price_wei=10**15, supply_cap=2)])
    over = prepare(listing, tier=0, quantity=3, buyer=buyer.address)
    assert over.status_code == 409 and over.json()["error"]["code"] == "supply_cap"
    assert over.json()["error"]["message"] == "Only 2 left in this tier."
    send_step(prepared(listing, tier=0, quantity=2, buyer=buyer.address)["steps"][0], buyer)
    sold_out = prepare(listing, tier=0, quantity=1, buyer=buyer.address)
    assert sold_out.status_code == 409
    assert sold_out.json()["error"]["message"] == "This tier is sold out."


def test_paused_on_chain_is_409_before_and_after_registration(chain, buyer):
    listing = tokenized_listing()
    market = client.get_contract("Marketplace")
    client.transact(market.functions.pauseListing(listing.onchain_id), account=deployer())
    reply = prepare(listing, tier=0, buyer=buyer.address)
    assert reply.status_code == 409
    assert reply.json()["error"] == {
        "code": "paused",
        "message": "Sales of this listing are paused.",
        "fields": {},
    }


def test_paused_in_the_database_is_409(chain, buyer):
    listing = tokenized_listing()
    listing_services.listing_set_status(
        listing=listing, to_status="paused", actor=None, reason="Reported"
    )
    reply = prepare(listing, tier=0, buyer=buyer.address)
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "paused"


def test_no_active_offer_is_409(chain, buyer):
    listing = tokenized_listing()
    ListingOffer.objects.update(status=ListingOffer.Status.SUPERSEDED)
    reply = prepare(listing, tier=0, buyer=buyer.address)
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "no_offer"


def test_offer_cancelled_on_chain_is_409(chain, buyer):
    creator = Account.create()
    listing = tokenized_listing(creator_key=creator)
    chain.eth.send_transaction({"from": buyer.address, "to": creator.address, "value": 10**17})
    client.transact(
        client.get_contract("Marketplace").functions.incrementCounter(), account=creator
    )
    reply = prepare(listing, tier=0, buyer=buyer.address)
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "offer_cancelled"


def test_not_enough_eth_is_409(chain):
    listing = tokenized_listing()
    reply = prepare(listing, tier=0, buyer=Account.create().address)
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "insufficient_funds"


@pytest.mark.parametrize(
    "body, code",
    [
        ({"tier": 5}, "unknown_tier"),
        ({"tier": 0, "quantity": 0}, "bad_quantity"),
        ({"tier": 0, "quantity": 101}, "bad_quantity"),
        ({"tier": 0, "quantity": -3}, "bad_quantity"),
        ({"tier": 0, "buyer": "0x1234"}, "bad_address"),
        ({"tier": 0, "buyer": "0x" + "00" * 20}, "bad_address"),
        ({"tier": 0, "buyer": "not an address at all"}, "bad_address"),
        ({"tier": 0, "quantity": 10**40}, "bad_quantity"),
        ({"tier": "first"}, "invalid"),
        ({"tier": -1}, "invalid"),
        ({"tier": 256}, "invalid"),
        ({"tier": 0, "quantity": "many"}, "invalid"),
        ({"tier": 0, "buyer": None}, "invalid"),
        ({"tier": 0, "buyer": "x" * 500}, "invalid"),
        ({"tier": 0, "deadline": "soon"}, "invalid"),
        ({}, "invalid"),
    ],
)
def test_bad_input_is_a_clear_400(chain, buyer, body, code):
    listing = tokenized_listing()
    reply = prepare(listing, **{"buyer": buyer.address, **body})
    assert reply.status_code == 400, reply.content
    assert reply.json()["error"]["code"] == code
    assert reply.json()["error"]["message"]


def test_listings_not_on_sale(chain, buyer):
    draft = tokenized_listing(publish=False)  # pending review: only its creator sees it
    assert prepare(draft, tier=0, buyer=buyer.address).status_code == 404
    api = APIClient()
    api.force_authenticate(draft.creator)
    reply = api.post(
        f"/api/v1/listings/{draft.slug}/purchase/prepare",
        {"tier": 0, "buyer": buyer.address},
        format="json",
    )
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "not_for_sale"
    missing = APIClient().post(
        "/api/v1/listings/nope/purchase/prepare", {"tier": 0, "buyer": buyer.address}
    )
    assert missing.status_code == 404


def test_chain_down_is_503(chain, buyer, settings):
    listing = tokenized_listing()
    settings.CHAIN_RPC_URL = "http://127.0.0.1:9"  # nothing listens there
    reply = prepare(listing, tier=0, buyer=buyer.address)
    assert reply.status_code == 503 and reply.json()["error"]["code"] == "chain_unavailable"


def test_quote_is_the_prepared_total_and_split_without_a_wallet(chain, buyer):
    listing = tokenized_listing(
        tiers=[TierSpec(name="Download", price_wei=ODD_PRICE)],
        splits=[(PARTNER, 3333, "Data"), (LABELLER, 6667, "")],
    )
    url = f"/api/v1/listings/{listing.slug}/purchase/quote"
    quote = APIClient().get(url, {"tier": 0, "quantity": 4})
    assert quote.status_code == 200, quote.json()
    reply = prepared(listing, tier=0, quantity=4, buyer=buyer.address)
    for key in ("total_wei", "split", "currency", "token_id", "registered"):
        assert quote.json()[key] == reply[key]
    assert "steps" not in quote.json()
    bad = APIClient().get(url, {"tier": 0, "quantity": 0})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_quantity"
    assert APIClient().get(url, {"tier": "x"}).status_code == 400


@pytest.mark.parametrize(
    "window, code",
    [({"validUntil": 1}, "offer_expired"), ({"validAfter": 2**63}, "offer_not_yet_valid")],
)
def test_offer_outside_its_window_is_409(chain, buyer, window, code):
    """Checked at the chain's time, as the contract checks it (here on the stored offer)."""
    listing = tokenized_listing()
    offer = ListingOffer.objects.get(listing=listing)
    offer.message = {**offer.message, **window}
    offer.save(update_fields=["message"])
    reply = prepare(listing, tier=0, buyer=buyer.address)
    assert reply.status_code == 409 and reply.json()["error"]["code"] == code
