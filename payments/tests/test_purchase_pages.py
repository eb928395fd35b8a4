"""The buy area of a listing page, the access API and the "My licences" page (no chain needed:
entitlements are made here as the indexer would make them)."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from web3 import Web3

from chain import typed_data
from listings import services as listing_services
from listings.tests import factories
from payments.models import Entitlement

pytestmark = pytest.mark.django_db


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def listing_in(status: str, *, tiers=None):
    listing = factories.listing()
    creator = listing.creator
    listing_services.version_create(
        listing=listing, actor=creator, tag="v1", files=[("model.bin", factories.artifact())]
    )
    listing_services.listing_set_tiers(
        listing=listing,
        actor=creator,
        tiers=tiers or [listing_services.TierSpec(name="Download", price_wei=10**16)],
    )
    if status != "draft":
        listing_services.listing_submit(listing=listing, actor=creator)
    if status in ("published", "paused"):
        listing_services.listing_set_status(listing=listing, to_status="published", actor=None)
    if status == "paused":
        listing_services.listing_set_status(
            listing=listing, to_status="paused", actor=None, reason="Reported"
        )
    listing.refresh_from_db()
    return listing


def entitle(listing, holder, *, position=0, balance=1, expires_at=None, kind="download"):
    tier = listing.tiers.get(position=position)
    return Entitlement.objects.create(
        holder=holder,
        listing=listing,
        tier=tier,
        token_id=typed_data.token_id(listing.onchain_id, position),
        kind=kind,
        balance=balance,
        expires_at=expires_at,
    )


def purchase_config(html: str) -> dict:
    start = html.index('<script id="purchase-config" type="application/json">')
    body = html[start:].split(">", 1)[1].split("</script>", 1)[0]
    return json.loads(body)


def test_published_listing_offers_tiers_and_a_buy_button():
    listing = listing_in(
        "published",
        tiers=[
            listing_services.TierSpec(name="Download", price_wei=10**16),
            listing_services.TierSpec(name="Compute", price_wei=3 * 10**17, kind="compute"),
        ],
    )
    html = client_for(factories.user()).get(f"/listings/{listing.slug}/").content.decode()
    assert 'data-testid="buy"' in html and 'data-testid="buy-sign-in"' not in html
    assert 'data-price-wei="10000000000000000"' in html
    assert 'value="1" data-tier-name="Compute"' in html
    assert "js/purchase.js" in html and "css/purchase.css" in html
    config = purchase_config(html)
    assert config["prepareUrl"] == f"/api/v1/listings/{listing.slug}/purchase/prepare"
    assert config["accessUrl"] == f"/api/v1/listings/{listing.slug}/access"
    assert config["confirmations"] == 2 and config["maxQuantity"] == 100
    paused = Web3.keccak(text="ListingIsPaused(uint256)")[:4].to_0x_hex()
    assert config["revertReasons"][paused] == "ListingIsPaused"


def test_visitors_are_asked_to_sign_in_to_buy():
    listing = listing_in("published")
    html = client_for().get(f"/listings/{listing.slug}/").content.decode()
    assert 'data-testid="buy-sign-in"' in html and 'data-testid="buy"' not in html


@pytest.mark.parametrize(
    "status, note",
    [
        ("paused", "Sales of this listing are paused."),
        ("pending_review", "Purchases open when the listing is published."),
    ],
)
def test_listings_not_on_sale_show_why_and_no_buy_button(status, note):
    listing = listing_in(status)
    html = client_for(listing.creator).get(f"/listings/{listing.slug}/").content.decode()
    assert note in html
    assert 'name="tier"' not in html and 'data-testid="buy"' not in html


def test_explorer_link_template_reaches_the_page(settings):
    settings.CHAIN_EXPLORER_TX_URL = "https://explorer.example/tx/{hash}"
    listing = listing_in("published")
    html = client_for().get(f"/listings/{listing.slug}/").content.decode()
    assert purchase_config(html)["explorerTxUrl"] == "https://explorer.example/tx/{hash}"


# --- access API ---------------------------------------------------------------------------


def test_access_reports_the_entitlements_of_an_address():
    listing = listing_in("published")
    holder = factories.user()
    url = f"/api/v1/listings/{listing.slug}/access"
    empty = client_for(holder).get(url).json()
    assert empty == {
        "address": holder.address,
        "has_download": False,
        "has_compute": False,
        "entitlements": [],
    }
    entitle(listing, holder.address, balance=3)
    mine = client_for(holder).get(url).json()
    assert mine["has_download"] is True and mine["has_compute"] is False
    assert mine["entitlements"][0]["balance"] == 3
    assert mine["entitlements"][0]["token_id"] == str(typed_data.token_id(listing.onchain_id, 0))
    # Anyone may ask about an address (balances are public on chain).
    theirs = client_for().get(url, {"address": holder.address.lower()}).json()
    assert theirs["address"] == holder.address and theirs["has_download"] is True


def test_expired_entitlements_give_no_access():
    listing = listing_in("published")
    holder = factories.user()
    entitle(listing, holder.address, expires_at=timezone.now() - timedelta(days=1))
    reply = client_for(holder).get(f"/api/v1/listings/{listing.slug}/access").json()
    assert reply["has_download"] is False and reply["entitlements"][0]["active"] is False


@pytest.mark.parametrize("query", [{}, {"address": "0x123"}, {"address": "me"}])
def test_access_needs_an_address(query):
    listing = listing_in("published")
    reply = client_for().get(f"/api/v1/listings/{listing.slug}/access", query)
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "bad_address"


def test_access_of_a_hidden_listing_is_404():
    listing = listing_in("draft")
    reply = client_for().get(
        f"/api/v1/listings/{listing.slug}/access", {"address": "0x" + "11" * 20}
    )
    assert reply.status_code == 404


# --- My licences ----------------------------------------------------------------------------


def test_my_licences_needs_sign_in_and_is_in_the_nav():
    reply = client_for().get("/licences/")
    assert reply.status_code == 302 and "/accounts/" in reply["Location"]
    assert "My licences" not in client_for().get("/").content.decode()
    assert 'href="/licences/"' in client_for(factories.user()).get("/").content.decode()


def test_my_licences_lists_what_the_wallet_holds():
    user = factories.user()
    perpetual = listing_in("published")
    timed = listing_in(
        "published",
        tiers=[
            listing_services.TierSpec(
                name="Monthly compute", price_wei=1, kind="compute", duration_seconds=86400
            )
        ],
    )
    old = listing_in("published")
    entitle(perpetual, user.address, balance=2)
    until = timezone.now() + timedelta(days=20)
    entitle(timed, user.address, expires_at=until, kind="compute")
    entitle(old, user.address, expires_at=timezone.now() - timedelta(days=2))
    entitle(old, factories.user().address)  # someone else's
    html = client_for(user).get("/licences/").content.decode()

    assert html.count("data-licence=") == 3
    assert "perpetual" in html and "Monthly compute" in html and "expired" in html
    assert f'href="/listings/{perpetual.slug}/#files"' in html  # downloads
    assert f'href="/listings/{timed.slug}/#files"' not in html  # compute-only: no downloads
    assert f'href="/listings/{old.slug}/#files"' not in html  # expired
    assert "data-pending-purchases" in html and "js/licences.js" in html


def test_my_licences_when_there_are_none():
    html = client_for(factories.user()).get("/licences/").content.decode()
    assert "You hold no licences yet." in html
