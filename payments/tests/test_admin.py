"""The payments admin: ledger facts and change histories are browsable, searchable and
read-only (only the indexer writes them)."""

import pytest
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db

MODELS = [
    "purchase", "payout", "entitlement", "listingoffer", "listingchainevent", "splitchange",
    "tierpricechange", "platformfeechange", "relayedpurchase",
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


def test_relayed_purchases_show_the_day_s_sponsored_gas(admin_client, settings):
    settings.RELAY_GAS_BUDGET_WEI_PER_DAY = 5 * 10**16
    page = admin_client.get("/admin/payments/relayedpurchase/").content.decode()
    assert "today 0 of 50,000,000,000,000,000 wei of gas sponsored" in page
