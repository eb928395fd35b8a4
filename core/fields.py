"""Serializer fields shared by every app's API: wei amounts and Ethereum addresses."""

from rest_framework import serializers

from core.eth import is_address, to_checksum_address

UINT256_MAX = 2**256 - 1


class WeiField(serializers.Field):
    """A uint256 amount in wei. Read as a decimal string (JSON numbers lose precision past
    2^53); accepted as a string of digits or an integer, never a float."""

    default_error_messages = {
        "invalid": 'Give a whole number of wei as a string of digits, e.g. "1000000000000000".',
        "range": "The amount must be between 0 and 2^256 - 1 wei.",
    }

    def to_internal_value(self, data) -> int:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        if isinstance(data, str):
            data = data.strip()
            if not data.isascii() or not data.isdigit() or len(data) > 78:
                self.fail("invalid")
        value = int(data)
        if not 0 <= value <= UINT256_MAX:
            self.fail("range")
        return value

    def to_representation(self, value) -> str:
        return str(int(value))


class AddressField(serializers.CharField):
    """An Ethereum address, stored and returned checksummed."""

    default_error_messages = {"address": "Not a valid Ethereum address."}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 42)
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> str:
        value = super().to_internal_value(data)
        if not is_address(value):
            self.fail("address")
        return to_checksum_address(value)
