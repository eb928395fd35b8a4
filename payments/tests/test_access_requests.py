"""Gated access: people request a free tier that requires approval, the creator approves or
denies on the review page, and an approval grants downloads (until revoked or expired)."""

import html
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from core.errors import ApiError
from listings.models import Listing
from listings.tests import factories
from payments import selectors
from payments.access import gated
from payments.models import AccessGrant, AccessRequest
from payments.tests.access_helpers import (
    TierSpec,
    api_for,
    artifact_store,  # noqa: F401 (autouse fixture)
    published_listing,
    tier,
)

pytestmark = pytest.mark.django_db

GATED = [
    TierSpec(name="Research", price_wei=0, requires_approval=True),
    TierSpec(name="Pro", price_wei=10**16),
]


@pytest.fixture
def listing():
    return published_listing(tiers=GATED)


@pytest.fixture
def requester():
    return factories.user()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ask(client, listing, **fields):
    data = {
        "tier": "0",
        "intended_use": "Benchmarking on our eval set.",
        "organisation": "Uni",
        "accept_terms": "on",
    }
    return client.post(f"/listings/{listing.slug}/access/request", {**data, **fields})


def decide(client, listing, request_id, decision, reason=""):
    url = f"/listings/{listing.slug}/requests/{request_id}/decide"
    return client.post(url, {"decision": decision, "reason": reason})


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def can_download(user, listing) -> bool:
    reply = api_for(user).get(f"/api/v1/listings/{listing.slug}/downloads")
    return reply.status_code == 200


def test_request_approve_download_revoke(listing, requester):
    client = signed_in(requester)
    form = client.get(f"/listings/{listing.slug}/access/request?tier=0")
    assert form.status_code == 200
    response = ask(client, listing)
    assert response.status_code == 302
    assert response["Location"] == f"/listings/{listing.slug}/#access"
    request = AccessRequest.objects.get()
    assert (request.status, request.tier.name) == ("pending", "Research")
    assert request.organisation == "Uni"
    detail = client.get(f"/listings/{listing.slug}/")
    assert 'data-status="pending"' in page_text(detail)
    assert not can_download(requester, listing)

    creator = signed_in(listing.creator)
    review = creator.get(f"/listings/{listing.slug}/requests/")
    assert review.status_code == 200
    assert "Benchmarking on our eval set." in page_text(review)
    assert decide(creator, listing, request.pk, "approved").status_code == 302
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("approved", listing.creator)
    assert request.grant.expires_at is None
    assert can_download(requester, listing)
    assert 'data-status="approved"' in page_text(client.get(f"/listings/{listing.slug}/"))
    assert 'data-testid="download-' in page_text(client.get(f"/listings/{listing.slug}/"))
    found = selectors.access_for(address=requester.address, listing=listing)
    assert (found.source, found.tier.name) == ("grant", "Research")

    assert decide(creator, listing, request.pk, "revoked").status_code == 400  # needs a reason
    assert decide(creator, listing, request.pk, "revoked", "Licence breach").status_code == 302
    assert not can_download(requester, listing)
    assert [c.to_status for c in request.status_changes.order_by("id")] == ["approved", "revoked"]


def test_a_denial_shows_its_reason_and_the_requester_may_ask_again(listing, requester):
    client = signed_in(requester)
    ask(client, listing)
    request = AccessRequest.objects.get()
    creator = signed_in(listing.creator)
    refused = decide(creator, listing, request.pk, "denied")
    assert refused.status_code == 400
    assert "Give a reason" in page_text(refused)
    decide(creator, listing, request.pk, "denied", "Commercial users only")
    detail = page_text(client.get(f"/listings/{listing.slug}/"))
    assert 'data-status="denied"' in detail
    assert "Commercial users only" in detail
    assert "Ask again" in detail
    assert ask(client, listing).status_code == 302
    assert AccessRequest.objects.filter(status="pending").count() == 1
    assert not can_download(requester, listing)


def test_the_creator_sees_the_review_link_with_the_pending_count(listing, requester):
    ask(signed_in(requester), listing)
    detail = page_text(signed_in(listing.creator).get(f"/listings/{listing.slug}/"))
    assert "Review requests (1 waiting)" in detail


def test_a_timed_gated_tier_grants_for_its_duration():
    listing = published_listing(
        tiers=[TierSpec(name="Trial", price_wei=0, requires_approval=True, duration_seconds=3600)]
    )
    requester = factories.user()
    request = gated.access_request_create(
        listing=listing,
        tier=tier(listing, "Trial"),
        requester=requester,
        intended_use="Try it",
        accepted_terms=True,
    )
    gated.access_request_set_status(
        access_request=request, to_status="approved", actor=listing.creator
    )
    grant = AccessGrant.objects.get()
    assert timedelta(minutes=59) < grant.expires_at - timezone.now() <= timedelta(hours=1)
    assert can_download(requester, listing)
    AccessGrant.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert not can_download(requester, listing)
    detail = page_text(signed_in(requester).get(f"/listings/{listing.slug}/"))
    assert "Your access has expired." in detail


def test_only_the_creator_sees_and_decides(listing, requester):
    ask(signed_in(requester), listing)
    request = AccessRequest.objects.get()
    for user in (requester, factories.user(), factories.user(moderator=True)):
        client = signed_in(user)
        assert client.get(f"/listings/{listing.slug}/requests/").status_code == 404
        assert decide(client, listing, request.pk, "approved").status_code == 404
    assert Client().get(f"/listings/{listing.slug}/requests/").status_code == 302  # sign in
    request.refresh_from_db()
    assert request.status == "pending"
    with pytest.raises(ApiError) as info:
        gated.access_request_set_status(
            access_request=request, to_status="approved", actor=requester
        )
    assert info.value.status_code == 403


def test_a_request_on_someone_elses_listing_is_404_for_its_creator(listing, requester):
    ask(signed_in(requester), listing)
    request = AccessRequest.objects.get()
    other = published_listing(creator=factories.user(), tiers=GATED)
    assert decide(signed_in(other.creator), other, request.pk, "approved").status_code == 404


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"accept_terms": ""}, 400),
        ({"intended_use": ""}, 400),
        ({"intended_use": "x" * 2001}, 400),
        ({"tier": "1"}, 400),  # not a gated tier: not a choice
        ({"tier": "abc"}, 400),
        ({"organisation": "o" * 201}, 400),
    ],
)
def test_bad_request_forms_are_400(listing, requester, fields, status):
    assert ask(signed_in(requester), listing, **fields).status_code == status
    assert not AccessRequest.objects.exists()


def test_bad_decisions_are_4xx(listing, requester):
    ask(signed_in(requester), listing)
    request = AccessRequest.objects.get()
    creator = signed_in(listing.creator)
    assert decide(creator, listing, request.pk, "maybe").status_code == 400
    assert decide(creator, listing, 999_999, "approved").status_code == 404
    assert creator.get(f"/listings/{listing.slug}/requests/{request.pk}/decide").status_code == 405
    decide(creator, listing, request.pk, "denied", "No")
    assert decide(creator, listing, request.pk, "approved").status_code == 409


def test_requests_are_refused_where_they_make_no_sense(listing, requester):
    client = signed_in(requester)
    assert ask(client, listing).status_code == 302
    assert ask(client, listing).status_code == 409  # one pending request per tier
    assert ask(signed_in(listing.creator), listing).status_code == 409  # the creator has access
    ungated = published_listing(tiers=[TierSpec(name="Pro", price_wei=10**16)])
    assert client.get(f"/listings/{ungated.slug}/access/request").status_code == 404
    with pytest.raises(ApiError) as info:
        gated.access_request_create(
            listing=ungated,
            tier=tier(ungated, "Pro"),
            requester=requester,
            intended_use="x",
            accepted_terms=True,
        )
    assert info.value.get_codes() == "not_gated"
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.PAUSED)
    other = signed_in(factories.user())
    assert ask(other, listing).status_code == 409
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.DRAFT)
    assert ask(other, listing).status_code == 404
    assert Client().post(f"/listings/{listing.slug}/access/request").status_code == 302


def test_requires_approval_is_for_free_tiers_only_and_round_trips_the_api():
    listing = factories.listing()
    client = api_for(listing.creator)
    paid = [{"name": "Pro", "price_wei": "1", "requires_approval": True}]
    reply = client.put(f"/api/v1/listings/{listing.slug}/tiers", paid, format="json")
    assert reply.status_code == 400
    assert "Only a free tier" in reply.json()["error"]["message"]
    free = [{"name": "Research", "price_wei": "0", "requires_approval": True}]
    reply = client.put(f"/api/v1/listings/{listing.slug}/tiers", free, format="json")
    assert reply.status_code == 200
    assert reply.json()["tiers"][0]["requires_approval"] is True


def test_the_tier_form_saves_requires_approval():
    listing = factories.listing()
    client = signed_in(listing.creator)
    data = {
        "tiers-TOTAL_FORMS": "1",
        "tiers-INITIAL_FORMS": "0",
        "tiers-0-name": "Research",
        "tiers-0-price": "0",
        "tiers-0-duration_days": "0",
        "tiers-0-kind": "download",
        "tiers-0-currency": "0x0000000000000000000000000000000000000000",
        "tiers-0-requires_approval": "on",
    }
    response = client.post(f"/listings/{listing.slug}/edit/tiers", data)
    assert response.status_code == 302, page_text(response)
    assert listing.tiers.get().requires_approval is True
    edit = page_text(client.get(f"/listings/{listing.slug}/edit/"))
    assert 'id="id_tiers-0-requires_approval" checked' in edit
