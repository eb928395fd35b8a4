"""Issue 15: one licence truth. A card licence that contradicts the chosen terms is refused
by the editor and flagged by moderation, and the page says once what a buyer may do."""

import pytest
from django.test import Client

from core.errors import ApiError
from listings import services
from listings.licences import buyer_may, licence_conflicts
from listings.models import LicenseTerms, Listing
from listings.moderation import checks
from listings.tests import factories
from payments.tests.access_helpers import api_for, published_listing

pytestmark = pytest.mark.django_db


def terms(name_start: str) -> LicenseTerms:
    return LicenseTerms.objects.get(owner=None, name__startswith=name_start)


def test_the_editor_refuses_a_card_licence_that_contradicts_the_terms():
    listing = factories.listing(license_terms=terms("Commercial use, no redistribution"))
    reply = api_for(listing.creator).patch(
        f"/api/v1/listings/{listing.slug}",
        {"card": "---\nlicense: cc-by-4.0\n---\nOpen data!\n"},
        format="json",
    )
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["code"] == "license_mismatch" and "redistribution" in error["message"]
    listing.refresh_from_db()
    assert listing.license_id == ""  # nothing half-written
    ok = api_for(listing.creator).patch(
        f"/api/v1/listings/{listing.slug}", {"card": "---\nlicense: other\n---\n"}, format="json"
    )
    assert ok.status_code == 200


def test_choosing_contradicting_terms_for_a_card_is_refused_too():
    listing = factories.listing(card="---\nlicense: mit\n---\n", license_terms=terms("Open"))
    with pytest.raises(ApiError, match="disagree"):
        services.listing_update(
            listing=listing, actor=listing.creator, license_terms=terms("Research only")
        )


def test_moderation_flags_a_mismatch_stored_before_the_check():
    listing = factories.listing(license_terms=terms("Commercial use, no redistribution"))
    Listing.objects.filter(pk=listing.pk).update(license_id="cc-by-4.0")  # an old row
    listing.refresh_from_db()
    problems = checks.metadata_lint(listing)
    assert any("one licence" in p and "redistribution" in p for p in problems), problems


def test_the_page_shows_one_plain_summary():
    listing = published_listing()
    page = Client().get(f"/listings/{listing.slug}/").content.decode()
    summary = page.split('data-testid="licence-summary">')[1].split("</p>")[0]
    assert summary == buyer_may(listing.license_terms)
    assert "may" in summary and page.count('data-testid="licence-summary"') == 1


def test_the_summary_and_conflicts_in_words():
    research = terms("Research only")
    assert buyer_may(research) == (
        "A licence holder may modify it and build on it or train other AI models with it. "
        "They may not use it commercially or share copies with others. "
        "They must credit the creator."
    )
    assert licence_conflicts(license_id="cc-by-nc-4.0", terms=research) == [
        "the card's licence (cc-by-nc-4.0) allows redistribution but the licence terms "
        "“Research only (non-commercial)” forbid it"
    ]
    assert licence_conflicts(license_id="other", terms=research) == []
