"""WeiField keeps uint256 amounts exact on SQLite (stored as padded text) and PostgreSQL."""

from decimal import Decimal

import pytest

from core.db import wei_sum
from listings.models import Tier
from listings.tests import factories

pytestmark = pytest.mark.django_db

AMOUNTS = [0, 1, 10**18 + 1, 1_234_567_890_123_456_789, 2**128 - 1, 2**256 - 1]


def _tiers(amounts):
    listing = factories.listing()
    return Tier.objects.bulk_create(
        Tier(listing=listing, position=i, name=str(i), price_wei=amount)
        for i, amount in enumerate(amounts)
    )


def test_amounts_round_trip_exactly():
    _tiers(AMOUNTS)
    assert [
        int(p) for p in Tier.objects.order_by("position").values_list("price_wei", flat=True)
    ] == AMOUNTS
    assert all(isinstance(t.price_wei, Decimal) for t in Tier.objects.all())


def test_filters_and_ordering_are_numeric():
    _tiers([9, 10, 2**200, 100])
    assert [int(t.price_wei) for t in Tier.objects.order_by("price_wei")] == [9, 10, 100, 2**200]
    assert Tier.objects.filter(price_wei__gte=10, price_wei__lt=2**200).count() == 2
    assert Tier.objects.filter(price_wei__in=[9, 2**200]).count() == 2


def test_wei_sum_is_exact():
    _tiers([10**18 + 1, 10**18 + 2, 2**128 - 1])
    assert wei_sum(Tier.objects.all(), "price_wei") == 2 * 10**18 + 3 + 2**128 - 1
    assert wei_sum(Tier.objects.none(), "price_wei") == 0


@pytest.mark.parametrize("bad", [-1, 2**256, Decimal("1.5")])
def test_out_of_range_amounts_are_refused(bad):
    with pytest.raises(ValueError):
        _tiers([bad])
