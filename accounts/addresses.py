"""Wallet addresses as people type them: checksummed, or refused with a clear message."""

from eth_utils import (
    is_checksum_address,
    is_checksum_formatted_address,
    is_hex_address,
    to_checksum_address,
)

from core.errors import ApiError


def address_normalize(address: str) -> str:
    """Checksum an address given in any case; refuse a mixed-case one with a bad checksum."""
    valid = isinstance(address, str) and is_hex_address(address)
    if valid and is_checksum_formatted_address(address):
        valid = is_checksum_address(address)  # mixed case is a checksum: a typo must not pass
    if not valid:
        raise ApiError(
            "Enter a wallet address: 0x followed by 40 hexadecimal characters "
            "(mixed case must be a valid EIP-55 checksum).",
            code="address_invalid",
        )
    return to_checksum_address(address)
