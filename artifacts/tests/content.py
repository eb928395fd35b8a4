"""Test content: the deterministic bytes of the reference CID vectors, and their list."""

import functools
import hashlib
import json
from pathlib import Path

# A copy of ../shared/data/cid-vectors.json: tests must not read outside the repository.
VECTORS_PATH = Path(__file__).parent / "data" / "cid-vectors.json"
VECTORS = json.loads(VECTORS_PATH.read_text())
TAG = VECTORS["generator_tag"].encode()
LARGEST = max(vector["size"] for vector in VECTORS["vectors"])


@functools.cache
def _largest() -> bytes:
    """Generated once per run (~1 s): every vector's content is a prefix of the largest."""
    count = LARGEST // 32 + 1
    digests = (hashlib.sha256(TAG + k.to_bytes(8, "big")).digest() for k in range(count))
    return b"".join(digests)[:LARGEST]


def vector_content(size: int) -> bytes:
    """The first `size` bytes of sha256(tag + k.to_bytes(8, 'big')) for k = 0, 1, 2, ..."""
    if size > LARGEST:
        raise ValueError("only the vectors' sizes are generated")
    return _largest()[:size]


def vectors(max_size: int | None = None) -> list[dict]:
    return [v for v in VECTORS["vectors"] if max_size is None or v["size"] <= max_size]
