import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.denylist import address_deny, address_lift
from accounts.models import User
from core.errors import ApiError
from listings import services
from listings.models import Listing
from listings.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return User.objects.create_superuser("0x" + "ad" * 20)


def _published() -> Listing:
    listing = factories.complete_listing(title="Hidden gem")
    services.listing_submit(listing=listing, actor=listing.creator)
    return services.listing_set_status(listing=listing, to_status="published", actor=None)


def test_denied_creators_listings_are_hidden_until_the_denial_is_lifted(admin_user):
    listing = _published()
    client = Client()
    assert "Hidden gem" in client.get("/listings/").content.decode()
    address_deny(address=listing.creator.address, reason="Malware", actor=admin_user)
    assert "Hidden gem" not in client.get("/listings/").content.decode()
    assert client.get(f"/listings/{listing.slug}/").status_code == 404
    assert APIClient().get(f"/api/v1/listings/{listing.slug}").status_code == 404
    assert APIClient().get("/api/v1/listings/").json()["results"] == []
    moderator = Client()
    moderator.force_login(factories.user(moderator=True))
    assert moderator.get(f"/listings/{listing.slug}/").status_code == 200  # to review it
    address_lift(address=listing.creator.address, reason="Cleared", actor=admin_user)
    assert "Hidden gem" in client.get("/listings/").content.decode()


def test_a_denied_creator_cannot_list_or_submit(admin_user):
    draft = factories.complete_listing()
    address_deny(address=draft.creator.address, reason="Fraud", actor=admin_user)
    draft.creator.refresh_from_db()
    for attempt in (
        lambda: factories.listing(creator=draft.creator),
        lambda: services.listing_submit(listing=draft, actor=draft.creator),
    ):
        with pytest.raises(ApiError) as error:
            attempt()
        assert error.value.status_code == 403
        assert error.value.get_codes() == "address_denied"


def test_a_denied_buyer_cannot_prepare_a_purchase(admin_user):
    listing = _published()
    buyer = "0x" + "5e" * 20
    address_deny(address=buyer, reason="Sanctioned", actor=admin_user)
    reply = APIClient().post(
        f"/api/v1/listings/{listing.slug}/purchase/prepare",
        {"tier": 0, "quantity": 1, "buyer": buyer},
        format="json",
    )
    assert reply.status_code == 403
    assert reply.json()["error"]["code"] == "address_denied"


def test_a_denied_holder_gets_no_downloads(admin_user):
    from payments.access.downloads import download_allowed

    listing = _published()
    creator = listing.creator.address
    assert download_allowed(listing=listing, address=creator)
    address_deny(address=creator, reason="Leaked data", actor=admin_user)
    assert not download_allowed(listing=listing, address=creator)
