"""The payments admin: ledger facts and change histories are browsable, searchable and
read-only (only the indexer writes them)."""

import pytest
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db

MODELS = [
    "purchase", "payout", "entitlement", "listingoffer", "listingchainevent", "splitchange",
    "tierpricechange", "platformfeechange",
]  # fmt: skip


@pytest.fixture
def admin_client():
    user = User.objects.create_user("0x" + "ad" * 20)
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(User.objects.get(pk=user.pk))
    return browser


@pytest.mark.parametrize("model", MODELS)
def test_changelists_render_with_search_and_adding_is_refused(admin_client, model):
    assert admin_client.get(f"/admin/payments/{model}/?q=0xabc").status_code == 200
    assert admin_client.get(f"/admin/payments/{model}/add/").status_code == 403
