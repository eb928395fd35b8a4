"""The three Ethereum helpers the request paths use: `keccak`, `is_address` and
`to_checksum_address`, with eth-utils' behaviour for the inputs the code gives them.

Why not eth-utils itself: importing it imports pydantic (its `applicators` module builds pydantic
models), ~15 MiB of the web process for three small functions. The hash is eth-hash's, the one
eth-utils calls. eth-utils stays where a chain library needs it anyway (web3, eth_abi and
eth_account load it on the first chain call). core/tests/test_eth.py compares these with
eth-utils."""

import re

from eth_hash.auto import keccak as _keccak_256

_HEX_ADDRESS = re.compile("(0x)?[0-9a-f]{40}", re.IGNORECASE | re.ASCII)


def keccak(primitive: bytes | bytearray | memoryview | None = None, *, hexstr=None, text=None):
    """keccak-256 of bytes, of a hex string (`hexstr=`, odd lengths padded) or of UTF-8 text."""
    if isinstance(primitive, (bytes, bytearray, memoryview)):
        data = bytes(primitive)
    elif hexstr is not None:
        digits = hexstr[2:] if hexstr[:2] in ("0x", "0X") else hexstr
        data = bytes.fromhex(digits if len(digits) % 2 == 0 else "0" + digits)
    elif text is not None:
        data = text.encode("utf-8")
    else:
        raise TypeError("keccak takes bytes, or a keyword hexstr= or text=")
    return bytes(_keccak_256(data))


def is_address(value) -> bool:
    """A 20-byte address as 40 hex digits (0x optional, any case: the checksum is not checked,
    as in eth-utils) or as 20 raw bytes."""
    if isinstance(value, str):
        return _HEX_ADDRESS.fullmatch(value) is not None
    return isinstance(value, (bytes, bytearray)) and len(value) == 20


def to_checksum_address(value) -> str:
    """The EIP-55 form of an address given as hex text or 20 raw bytes; ValueError for
    anything else that is text or bytes, TypeError for other types."""
    if isinstance(value, (bytes, bytearray)):
        lower = bytes(value).hex()
        if len(lower) != 40:
            raise ValueError(f"Unknown format {value!r}: not 20 bytes")
    elif isinstance(value, str):
        if not is_address(value):
            raise ValueError(f"Unknown format {value!r}, not a 20-byte hex address")
        lower = value[-40:].lower()
    else:
        raise TypeError(f"Value must be any string, instead got type {type(value)}")
    digest = keccak(text=lower).hex()[:40]  # a nibble of the hash per hex digit
    return "0x" + "".join(
        c.upper() if int(d, 16) > 7 else c for c, d in zip(lower, digest, strict=True)
    )
