"""Creators and trust (issue 17): public creator pages, profile links that cannot carry a script,
the result count, and "you hold this licence" on a listing."""

import pytest
from django.test import Client

from accounts import services as account_services
from accounts.models import DeniedAddress, User
from core.errors import ApiError
from listings.models import Listing
from listings.tests import factories
from payments.tests.access_helpers import entitle, published_listing, tier

pytestmark = pytest.mark.django_db


def test_the_creator_page_shows_profile_listings_and_sales():
    creator = factories.user()
    account_services.user_update_profile(
        user=creator,
        display_name="Ada Labs",
        email="",
        bio="We train small models.",
        links="https://ada.example.org\nhttps://github.com/ada",
    )
    first = published_listing(creator=creator, title="First model")
    published_listing(creator=creator, title="Second model")
    factories.listing(creator=creator, title="Hidden draft")
    Listing.objects.filter(pk=first.pk).update(sales_count=7)

    reply = Client().get(f"/creators/{creator.address.lower()}/")
    assert reply.status_code == 200
    page = reply.content.decode()
    assert "Ada Labs" in page and "We train small models." in page
    assert 'href="https://github.com/ada" rel="nofollow ugc noopener noreferrer"' in page
    assert "First model" in page and "Second model" in page and "Hidden draft" not in page
    assert 'data-testid="creator-sales">7<' in page
    assert 'data-testid="creator-listings-count">2<' in page
    assert "data:image/svg+xml;base64," in page  # the default avatar
    # The listing page and the cards link to it.
    detail = Client().get(f"/listings/{first.slug}/").content.decode()
    assert f'href="/creators/{creator.address}/"' in detail
    assert f'href="/creators/{creator.address}/"' in Client().get("/listings/").content.decode()


@pytest.mark.parametrize(
    "links",
    ["javascript:alert(1)", "http://plain.example.org", "data:text/html,x", "https://a.b\n" * 4],
)
def test_profile_links_must_be_https_and_few(links):
    user = factories.user()
    with pytest.raises(ApiError):
        account_services.user_update_profile(user=user, display_name="", email="", links=links)
    reply = Client()
    reply.force_login(user)
    answer = reply.post("/accounts/profile", {"display_name": "", "email": "", "links": links})
    assert answer.status_code == 200  # the form again, with the error under "links"
    assert User.objects.get(pk=user.pk).links == ""


def test_unknown_and_denied_creators_are_not_found():
    assert Client().get(f"/creators/0x{'12' * 20}/").status_code == 404
    assert Client().get("/creators/not-an-address/").status_code == 404
    denied = factories.user()
    published_listing(creator=denied)
    DeniedAddress.objects.create(address=denied.address, reason="spam")
    assert Client().get(f"/creators/{denied.address}/").status_code == 404


def test_result_count_and_you_hold_this_licence():
    listings = [published_listing(title=f"Model {n}") for n in range(3)]
    page = Client().get("/listings/?q=Model").content.decode()
    assert 'data-testid="result-count">3 results<' in page
    holder = factories.user()
    entitle(holder.address, tier(listings[0], "Compute"))
    client = Client()
    client.force_login(holder)
    held = client.get(f"/listings/{listings[0].slug}/").content.decode()
    assert 'data-testid="you-hold"' in held and "<strong>Compute</strong>" in held
    assert (
        'data-testid="you-hold"'
        not in client.get(f"/listings/{listings[1].slug}/").content.decode()
    )


def test_likes_and_download_counts():
    from payments.access import downloads

    listing = published_listing(title="Counted")
    fan, other = factories.user(), factories.user()
    client = Client()
    client.force_login(fan)
    assert client.get(f"/listings/{listing.slug}/like").status_code == 405  # a change: POST
    for _ in range(2):  # liking twice is one like
        assert client.post(f"/listings/{listing.slug}/like", {"liked": "true"}).status_code == 302
    other_client = Client()
    other_client.force_login(other)
    other_client.post(f"/listings/{listing.slug}/like", {"liked": "true"})
    listing.refresh_from_db()
    assert listing.like_count == 2
    client.post(f"/listings/{listing.slug}/like", {"liked": "false"})
    listing.refresh_from_db()
    assert listing.like_count == 1
    assert Client().post(f"/listings/{listing.slug}/like", {"liked": "true"}).status_code == 302
    listing.refresh_from_db()
    assert listing.like_count == 1  # signed out: sent to sign in, nothing counted

    entitle(fan.address, tier(listing, "Download"))
    downloads.download_link(listing=listing, address=fan.address, path="README.md")
    downloads.download_link(listing=listing, address=listing.creator.address, path="README.md")
    listing.refresh_from_db()
    assert listing.download_count == 1  # the creator's own downloads do not count
    page = Client().get(f"/listings/{listing.slug}/").content.decode()
    assert ">1 download<" in page and ">1 like<" in page
