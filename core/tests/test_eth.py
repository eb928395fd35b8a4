"""core.eth gives eth-utils' answers (it replaces eth-utils in the web process, which must not
import pydantic through it)."""

import os
import random

import eth_utils
import pytest

from core import eth

RNG = random.Random(20)


def random_addresses(count: int) -> list[str]:
    return ["0x" + os.urandom(20).hex() for _ in range(count)]


@pytest.mark.parametrize("address", random_addresses(200))
def test_checksum_matches_eth_utils_in_every_spelling(address):
    expected = eth_utils.to_checksum_address(address)
    spellings = [address, address.upper().replace("0X", "0x"), address[2:], expected]
    spellings.append(bytes.fromhex(address[2:]))
    for spelling in spellings:
        assert eth.to_checksum_address(spelling) == expected
        assert eth.is_address(spelling) is True


@pytest.mark.parametrize(
    "value",
    ["", "0x", "0x1234", "0x" + "g" * 40, "0x" + "a" * 41, "0x" + "a" * 39, " 0x" + "a" * 40,
     b"\x01" * 19, b"\x01" * 21, "0x" + "a" * 40 + "\n"],
)  # fmt: skip
def test_not_an_address_is_refused_like_eth_utils(value):
    assert eth.is_address(value) is eth_utils.is_address(value) is False
    with pytest.raises(ValueError):
        eth_utils.to_checksum_address(value)
    with pytest.raises(ValueError):
        eth.to_checksum_address(value)


@pytest.mark.parametrize("value", [None, 12, 1.5, ["0x" + "a" * 40]])
def test_other_types_are_type_errors(value):
    assert eth.is_address(value) is eth_utils.is_address(value) is False
    with pytest.raises(TypeError):
        eth.to_checksum_address(value)


def test_keccak_matches_eth_utils():
    for size in (0, 1, 31, 32, 33, 136, 1000):
        data = RNG.randbytes(size)
        assert eth.keccak(data) == eth_utils.keccak(data)
        assert eth.keccak(bytearray(data)) == eth_utils.keccak(bytearray(data))
        assert eth.keccak(hexstr="0x" + data.hex()) == eth_utils.keccak(hexstr="0x" + data.hex())
    assert eth.keccak(hexstr="0xabc") == eth_utils.keccak(hexstr="0xabc")  # odd: padded
    assert eth.keccak(text="Transfer(address,address,uint256)") == eth_utils.keccak(
        text="Transfer(address,address,uint256)"
    )
    assert eth.keccak(text="née ✓") == eth_utils.keccak(text="née ✓")
    with pytest.raises(TypeError):
        eth.keccak()
