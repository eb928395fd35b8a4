"""ETH ↔ wei conversions and the template filters that show prices, durations and shares."""

from decimal import Decimal

import pytest

from listings.money import AmountError, eth_to_wei, wei_to_eth
from listings.templatetags import listing_tags


@pytest.mark.parametrize(
    "wei, eth",
    [
        (0, "0"),
        (1, "0.000000000000000001"),
        (10**16, "0.01"),
        (5 * 10**18, "5"),
        (2**128 - 1, "340282366920938463463.374607431768211455"),
        (
            2**256 - 1,
            "115792089237316195423570985008687907853269984665640564039457.584007913129639935",
        ),
    ],
)
def test_round_trip_is_exact(wei, eth):
    assert wei_to_eth(wei) == eth
    assert eth_to_wei(eth) == wei
    assert wei_to_eth(Decimal(wei)) == eth  # WeiField values are Decimals


@pytest.mark.parametrize(
    "text, message",
    [
        ("abc", "Enter an amount"),
        ("NaN", "Enter an amount"),
        ("inf", "Enter an amount"),
        ("-0.1", "negative"),
        ("0.0000000000000000001", "18 decimal places"),
        ("1e100", "too large"),
    ],
)
def test_bad_amounts_are_refused(text, message):
    with pytest.raises(AmountError, match=message):
        eth_to_wei(text)


def test_amounts_accept_what_people_type():
    assert eth_to_wei(" 0.10 ") == 10**17
    assert eth_to_wei("1e-3") == 10**15


@pytest.mark.parametrize(
    "seconds, text",
    [
        (0, "perpetual"),
        (86_400, "1 day"),
        (30 * 86_400, "30 days"),
        (7_200, "2 hours"),
        (61, "61 seconds"),
    ],
)
def test_duration(seconds, text):
    assert listing_tags.duration(seconds) == text


def test_shares_and_sizes():
    assert listing_tags.percent(250) == "2.5%"
    assert listing_tags.percent(10_000) == "100%"
    assert listing_tags.share_of_sale(5_000, 250) == "48.75%"
    assert listing_tags.parameters(110_000_000) == "110M"
    assert listing_tags.parameters(7_240_000_000) == "7.2B"
    assert listing_tags.eth(Decimal(10**16)) == "0.01 ETH"
