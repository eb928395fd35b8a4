"""address_normalize accepts what eth-utils' checks accept (it no longer imports them)."""

import eth_utils
import pytest

from accounts.addresses import address_normalize
from core.errors import ApiError

GOOD = "0x52908400098527886E0F7030069857D2E4169EE7"
CASES = [GOOD, GOOD.lower(), "0x" + GOOD[2:].upper(), GOOD[2:].lower(), "0x" + "1" * 40,
         "0x" + "1" * 39 + "a", GOOD.replace("E", "e", 1), GOOD[2:], "0x" + "a" * 39, "",
         "0xZZ" + "1" * 38, GOOD + " "]  # fmt: skip


def eth_utils_accepts(address: str) -> bool:
    if not eth_utils.is_hex_address(address):
        return False
    if eth_utils.is_checksum_formatted_address(address):
        return eth_utils.is_checksum_address(address)
    return True


@pytest.mark.parametrize("address", CASES)
def test_accepts_and_refuses_as_eth_utils_does(address):
    if eth_utils_accepts(address):
        assert address_normalize(address) == eth_utils.to_checksum_address(address)
    else:
        with pytest.raises(ApiError):
            address_normalize(address)
