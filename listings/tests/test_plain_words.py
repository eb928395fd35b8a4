"""Plain words (issue 17): the licence presets are explained on the edit page before one is
chosen, side by side."""

import pytest
from django.test import Client

from listings.models import LicenseTerms
from listings.tests import factories

pytestmark = pytest.mark.django_db


def test_licence_presets_are_compared_before_choosing():
    LicenseTerms.objects.get_or_create(
        owner=None, name="Research only", defaults={"attribution_required": True}
    )
    LicenseTerms.objects.get_or_create(
        owner=None,
        name="Open everything",
        defaults={"commercial_use": True, "derivatives_allowed": True, "ai_training_allowed": True},
    )
    listing = factories.listing()
    client = Client()
    client.force_login(listing.creator)
    page = client.get(f"/listings/{listing.slug}/edit/").content.decode()
    guide = page.split('data-testid="terms-guide"', 1)[1].split("</details>", 1)[0]
    research = guide.split('data-terms="Research only"', 1)[1].split("</tr>", 1)[0]
    assert research.count("✕ no") == 4 and research.count("✓ yes") == 1  # attribution only
    open_row = guide.split('data-terms="Open everything"', 1)[1].split("</tr>", 1)[0]
    assert open_row.count("✓ yes") == 4  # commercial, derivatives, training, attribution
