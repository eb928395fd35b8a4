"""A SHA-256 whose state can be saved between requests.

A resumable upload receives a file over many requests, possibly in different worker processes,
and we want its sha256 without reading the file again at the end. `hashlib` objects cannot be
serialized, but OpenSSL's low-level SHA256_CTX is a plain public struct (openssl/sha.h: eight
chaining words, a 64-bit bit count, a 64-byte block buffer and two counters), so its bytes are the
whole state. We drive libcrypto (already loaded by Python's `_hashlib`) through ctypes, which
releases the GIL during each call, and save the struct field by field in a fixed byte order.

Where libcrypto lacks these (deprecated, but present in OpenSSL 1.1 and 3.x) functions,
`AVAILABLE` is False and callers fall back to hashing the finished file once.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import struct

_STATE_FORMAT = "<8I2I16I2I"  # h[8], Nl, Nh, data[16], num, md_len
STATE_SIZE = struct.calcsize(_STATE_FORMAT)


class _Ctx(ctypes.Structure):
    _fields_ = [
        ("h", ctypes.c_uint32 * 8),
        ("nl", ctypes.c_uint32),
        ("nh", ctypes.c_uint32),
        ("data", ctypes.c_uint32 * 16),
        ("num", ctypes.c_uint),
        ("md_len", ctypes.c_uint),
    ]


def _load():
    import _hashlib  # noqa: F401  (makes sure the libcrypto Python uses is the one loaded)

    name = ctypes.util.find_library("crypto")
    if not name:
        return None
    try:
        lib = ctypes.CDLL(name)
        for fn in ("SHA256_Init", "SHA256_Update", "SHA256_Final"):
            getattr(lib, fn).restype = ctypes.c_int
        lib.SHA256_Update.argtypes = [ctypes.POINTER(_Ctx), ctypes.c_void_p, ctypes.c_size_t]
    except (OSError, AttributeError):
        return None
    return lib


_lib = _load()
AVAILABLE = _lib is not None


class Sha256State:
    """`update()` like hashlib; `to_bytes()`/`from_bytes()` to carry the state across requests."""

    def __init__(self):
        if not AVAILABLE:
            raise RuntimeError("libcrypto's SHA256_* functions are not available")
        self._ctx = _Ctx()
        _lib.SHA256_Init(ctypes.byref(self._ctx))

    def update(self, data) -> None:
        view = memoryview(data).cast("B")
        if not len(view):
            return
        if view.readonly:
            # bytes cannot be wrapped by from_buffer; c_char_p points at them without a copy.
            buffer = ctypes.c_char_p(view.tobytes() if not isinstance(data, bytes) else data)
        else:
            buffer = (ctypes.c_char * len(view)).from_buffer(view)
        _lib.SHA256_Update(ctypes.byref(self._ctx), buffer, len(view))

    def hexdigest(self) -> str:
        """The digest of everything so far; the state stays usable (we finish a copy)."""
        copy = _Ctx.from_buffer_copy(self._ctx)
        out = ctypes.create_string_buffer(32)
        _lib.SHA256_Final(out, ctypes.byref(copy))
        return out.raw.hex()

    def to_bytes(self) -> bytes:
        c = self._ctx
        return struct.pack(_STATE_FORMAT, *c.h, c.nl, c.nh, *c.data, c.num, c.md_len)

    @classmethod
    def from_bytes(cls, blob: bytes) -> Sha256State:
        values = struct.unpack(_STATE_FORMAT, blob)
        state = cls()
        c = state._ctx
        c.h[:] = values[0:8]
        c.nl, c.nh = values[8:10]
        c.data[:] = values[10:26]
        c.num, c.md_len = values[26:28]
        return state
