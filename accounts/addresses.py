"""Wallet addresses as people type them: checksummed, or refused with a clear message."""

from core.errors import ApiError
from core.eth import is_address, to_checksum_address


def address_normalize(address: str) -> str:
    """Checksum an address given in any case; refuse a mixed-case one with a bad checksum."""
    valid = isinstance(address, str) and is_address(address)
    if valid and _mixed_case(address):
        valid = address == to_checksum_address(address)  # a checksum: a typo must not pass
    if not valid:
        raise ApiError(
            "Enter a wallet address: 0x followed by 40 hexadecimal characters "
            "(mixed case must be a valid EIP-55 checksum).",
            code="address_invalid",
        )
    return to_checksum_address(address)


def _mixed_case(address: str) -> bool:
    digits = address[2:] if address[:2] in ("0x", "0X") else address
    return not (digits.islower() or digits.isupper() or digits.isnumeric())
