"""Pieces of the dashboard that need no chain: exact unit formatting and time buckets."""

from datetime import UTC, date, datetime

import pytest

from payments.currencies import units
from payments.dashboard import bucket
from payments.templatetags.dashboard_tags import bps_percent


@pytest.mark.parametrize(
    ("amount", "decimals", "text"),
    [
        (10**16 + 7, 18, "0.010000000000000007"),
        (5 * 10**18, 18, "5"),
        (0, 18, "0"),
        (
            2**256 - 1,
            18,
            "115792089237316195423570985008687907853269984665640564039457.584007913129639935",
        ),
        (1234, 2, "12.34"),
        (1234, None, "1234"),
    ],
)
def test_units_are_exact(amount, decimals, text):
    assert units(amount, decimals) == text


def test_buckets_are_utc_days_and_weeks_from_monday():
    late_sunday = datetime(2026, 11, 22, 23, 59, tzinfo=UTC)  # a Sunday
    assert bucket(late_sunday, "daily") == date(2026, 11, 22)
    assert bucket(late_sunday, "weekly") == date(2026, 11, 16)
    assert bucket(datetime(2026, 11, 23, 0, 0, tzinfo=UTC), "weekly") == date(2026, 11, 23)


def test_bps_percent():
    assert [bps_percent(b) for b in (250, 1000, 5, 10_000)] == ["2.5%", "10%", "0.05%", "100%"]
