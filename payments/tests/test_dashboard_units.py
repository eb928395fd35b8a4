"""Pieces of the dashboard that need no chain: exact unit formatting and time buckets."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from rest_framework.test import APIClient

from listings.tests import factories
from payments.currencies import units
from payments.dashboard.exports import csv_stream
from payments.dashboard.figures import bucket
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


def test_csv_cells_from_others_text_never_run_as_formulas():
    """A listing title, tier name or token symbol like `=HYPERLINK(...)` must reach the
    spreadsheet as text: such cells get a leading quote; numbers and addresses stay as they are."""
    rows = [
        ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", 5, "0xAbC", "12.5", "Plain"]
    ]
    lines = list(csv.reader(io.StringIO("".join(csv_stream(["h"] * 9, iter(rows))))))
    assert lines[1] == [
        "'=HYPERLINK(\"http://x\")", "'+1", "'-2+3", "'@SUM(A1)", "'\tx", "5", "0xAbC", "12.5",
        "Plain",
    ]  # fmt: skip


@pytest.mark.django_db
def test_relaying_signed_updates_has_its_own_strict_limit(settings):
    """Each relayed update the checks let through costs the relayer gas, so the relay endpoint
    has a scope of its own, not the purchase preparation's generous one."""
    settings.API_THROTTLE_RATES = {"user": "100/minute", "purchase": None, "relay": "2/hour"}
    api = APIClient()
    api.force_authenticate(factories.user())
    url = "/api/v1/listings/no-such-listing/splits/relay"
    body = {"message": {}, "signature": "0x00"}
    assert [api.post(url, body, format="json").status_code for _ in range(2)] == [404, 404]
    throttled = api.post(url, body, format="json")
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "throttled"
