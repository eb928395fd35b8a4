"""Spend controls per API token: a cap per day and per listing, an allow-list of listings and
an end date, enforced before the buyer signs (prepare) and before anything is relayed (submit,
x402); what each token spent shows on its owner's profile page."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from eth_account import Account
from eth_account.messages import encode_typed_data
from rest_framework.test import APIClient

from accounts import tokens
from accounts.models import User
from chain import client
from payments.models import RelayedPurchase
from payments.spending import services as spending
from payments.tests.buying import TierSpec, buyer_account, mint, tokenized_listing

pytestmark = [pytest.mark.django_db, pytest.mark.chain]
PRICE = 4 * 10**6


@pytest.fixture
def usdc(contracts, w3):
    return client.get_contract("TestAuthToken")


@pytest.fixture
def owner():
    return User.objects.create_user(Account.create().address)


@pytest.fixture
def issued(owner):
    return tokens.api_token_create(user=owner, name="shopping agent")


@pytest.fixture
def agent(usdc):
    account = Account.create()
    mint(usdc, account.address, 10 * PRICE)
    return account


def listing_in(usdc, title="Tiny model"):
    tiers = [TierSpec(name="Download", price_wei=PRICE, currency=usdc.address)]
    return tokenized_listing(creator_key=buyer_account(3), tiers=tiers, title=title)


def api(issued):
    api_client = APIClient()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    return api_client


def prepare(issued, listing, agent):
    url = f"/api/v1/listings/{listing.slug}/gasless/prepare"
    return api(issued).post(url, {"tier": 0, "buyer": agent.address}, format="json")


def buy(issued, listing, agent):
    reply = prepare(issued, listing, agent)
    assert reply.status_code == 200, reply.json()
    body = reply.json()
    signatures = [
        agent.sign_message(encode_typed_data(full_message=d)).signature.to_0x_hex()
        for d in body["sign"]
    ]
    url = f"/api/v1/listings/{listing.slug}/gasless/submit"
    return api(issued).post(
        url, {"intent": body["intent"], "signatures": signatures}, format="json"
    )


def test_a_daily_cap_refuses_the_purchase_that_would_pass_it(usdc, issued, agent):
    listing = listing_in(usdc)
    spending.spend_policy_set(api_token=issued.token, currency=usdc.address, daily_cap=PRICE)
    assert buy(issued, listing, agent).status_code == 201
    reply = prepare(issued, listing, agent)
    assert reply.status_code == 403 and reply.json()["error"]["code"] == "token_daily_cap"
    assert usdc.functions.balanceOf(agent.address).call() == 9 * PRICE


def test_a_cap_is_checked_again_at_submit(usdc, issued, agent):
    listing = listing_in(usdc)
    reply = prepare(issued, listing, agent)  # no policy yet: signable
    body = reply.json()
    spending.spend_policy_set(api_token=issued.token, currency=usdc.address, listing_cap=PRICE - 1)
    signatures = [
        agent.sign_message(encode_typed_data(full_message=d)).signature.to_0x_hex()
        for d in body["sign"]
    ]
    url = f"/api/v1/listings/{listing.slug}/gasless/submit"
    sent = api(issued).post(
        url, {"intent": body["intent"], "signatures": signatures}, format="json"
    )
    assert sent.status_code == 403 and sent.json()["error"]["code"] == "token_listing_cap"
    assert usdc.functions.balanceOf(agent.address).call() == 10 * PRICE
    assert not RelayedPurchase.objects.exists()


def test_the_allow_list_and_the_end_date(usdc, issued, agent):
    allowed, other = listing_in(usdc, "Allowed model"), listing_in(usdc, "Other model")
    spending.spend_policy_set(api_token=issued.token, currency=usdc.address, listings=[allowed])
    reply = prepare(issued, other, agent)
    assert reply.status_code == 403
    assert reply.json()["error"]["code"] == "token_listing_not_allowed"
    assert prepare(issued, allowed, agent).status_code == 200
    spending.spend_policy_set(
        api_token=issued.token,
        currency=usdc.address,
        spend_until=timezone.now() - timedelta(seconds=1),
    )
    reply = prepare(issued, allowed, agent)
    assert reply.status_code == 403 and reply.json()["error"]["code"] == "token_expired"


def test_x402_under_a_token_respects_its_cap(usdc, issued, agent):
    from x402.http import decode_payment_required_header
    from x402.http.utils import encode_payment_signature_header
    from x402.mechanisms.evm.exact import ExactEvmScheme
    from x402.schemas import PaymentPayload

    listing = listing_in(usdc)
    spending.spend_policy_set(api_token=issued.token, currency=usdc.address, daily_cap=PRICE - 1)
    url = f"/api/v1/x402/listings/{listing.slug}/licence"
    (terms,) = decode_payment_required_header(Client().get(url)["PAYMENT-REQUIRED"]).accepts
    inner = ExactEvmScheme(agent).create_payment_payload(terms)
    header = encode_payment_signature_header(PaymentPayload(payload=inner, accepted=terms))
    reply = Client().get(
        url, HTTP_PAYMENT_SIGNATURE=header, HTTP_AUTHORIZATION=f"Bearer {issued.secret}"
    )
    assert reply.status_code == 403 and reply.json()["error"]["code"] == "token_daily_cap"
    assert usdc.functions.balanceOf(agent.address).call() == 10 * PRICE


def test_the_profile_shows_spending_per_token_and_the_owner_sets_controls(
    usdc, owner, issued, agent
):
    listing = listing_in(usdc)
    spending.spend_policy_set(api_token=issued.token, currency=usdc.address, daily_cap=10 * PRICE)
    assert buy(issued, listing, agent).status_code == 201
    browser = Client()
    browser.force_login(owner)
    page = browser.get("/accounts/profile").content.decode()
    assert 'data-testid="token-spending"' in page and "shopping agent" in page
    assert "4 tUSDC" in page  # spent today, in the token's units

    url = f"/licences/tokens/{issued.token.pk}/spending"
    saved = browser.post(
        url, {"currency": usdc.address, "daily_cap": "5", "listings": listing.slug}
    )
    assert saved.status_code == 302
    policy = issued.token.spend_policy
    policy.refresh_from_db()
    assert int(policy.daily_cap) == 5 and list(policy.allowed_listings.all()) == [listing]
    stranger = Client()
    stranger.force_login(User.objects.create_user(Account.create().address))
    assert stranger.get(url).status_code == 404


def test_the_controls_form_refuses_what_it_cannot_store(usdc, owner, issued):
    browser = Client()
    browser.force_login(owner)
    url = f"/licences/tokens/{issued.token.pk}/spending"
    for body in (
        {"currency": usdc.address, "daily_cap": str(2**300)},
        {"currency": "not an address"},
        {"currency": usdc.address, "listings": "no-such-listing"},
    ):
        assert browser.post(url, body).status_code == 200  # the form again, with its errors
    assert not hasattr(issued.token, "spend_policy") or issued.token.spend_policy is None
