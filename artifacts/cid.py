"""The UnixFS importer: the CIDv1 that `ipfs add --cid-version=1` gives for a file, plus sha256.

Kubo's (and js-ipfs's) defaults for CIDv1: 256 KiB fixed-size chunks, each chunk a *raw* leaf
(CID codec raw, sha2-256 of the chunk bytes); a single-chunk file is that leaf itself; longer files
get a balanced DAG of dag-pb nodes with at most 174 links each, all leaves at the same depth, filled
left to right. An internal node is a dag-pb PBNode whose Data is a UnixFS `File` message carrying
the total `filesize` and one `blocksizes` entry per child; each link carries the child's CID, an
empty name and the child's cumulative block size (Tsize).

Only the leaf hashes need the bytes; the rest of the DAG is built from (CID, Tsize, filesize)
triples, so an upload can persist its leaf digests and build the DAG later without re-reading.
"""

from __future__ import annotations

import base64
import hashlib
import mmap
import os
from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass

CHUNK_SIZE = 256 * 1024
MAX_LINKS = 174
RAW = 0x55
DAG_PB = 0x70
SHA2_256 = 0x12
# Below this much data per update, a thread handoff costs more than it saves.
PARALLEL_MIN_BYTES = 4 * CHUNK_SIZE


# --- Encoding ---------------------------------------------------------------------------------


def varint(value: int) -> bytes:
    """Unsigned LEB128, as protobuf and multiformats use."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field_varint(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def _field_bytes(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def unixfs_file_data(*, filesize: int, blocksizes: Iterable[int] = ()) -> bytes:
    """UnixFS `Data` of an internal file node: Type=File(2), filesize, blocksizes (unpacked,
    as proto2 `repeated uint64` is written by go-unixfs and js-ipfs)."""
    out = _field_varint(1, 2) + _field_varint(3, filesize)
    return out + b"".join(_field_varint(4, size) for size in blocksizes)


def pb_link(*, cid: bytes, tsize: int, name: str = "") -> bytes:
    """dag-pb PBLink: Hash(1), Name(2, written even when empty, as both importers do), Tsize(3)."""
    body = _field_bytes(1, cid) + _field_bytes(2, name.encode()) + _field_varint(3, tsize)
    return _field_bytes(2, body)


def pb_node(*, links: Iterable[bytes], data: bytes) -> bytes:
    """dag-pb PBNode in canonical order: all Links (field 2) first, then Data (field 1)."""
    return b"".join(links) + _field_bytes(1, data)


def cid_bytes(*, codec: int, digest: bytes) -> bytes:
    """Binary CIDv1 with a sha2-256 multihash."""
    return b"\x01" + varint(codec) + bytes([SHA2_256, len(digest)]) + digest


def cid_string(cid: bytes) -> str:
    """Multibase base32 (lower case, no padding), the `bafy…`/`bafk…` form."""
    return "b" + base64.b32encode(cid).decode().lower().rstrip("=")


def cid_parse(text: str) -> bytes:
    """Binary CID from its base32 string; raises ValueError for anything else."""
    if not text.startswith("b") or text != text.lower() or len(text) < 10:
        raise ValueError("not a base32 CIDv1")
    body = text[1:].upper()
    raw = base64.b32decode(body + "=" * (-len(body) % 8))
    if raw[0] != 1 or raw[1] not in (RAW, DAG_PB) or raw[2:4] != bytes([SHA2_256, 32]):
        raise ValueError("not a sha2-256 CIDv1 of a raw or dag-pb block")
    if len(raw) != 36:
        raise ValueError("wrong CID length")
    return raw


# --- The DAG ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Block:
    """What a parent needs to know about a child: its CID, cumulative size and file bytes."""

    cid: bytes
    tsize: int
    filesize: int


def raw_leaf(digest: bytes, size: int) -> Block:
    return Block(cid=cid_bytes(codec=RAW, digest=digest), tsize=size, filesize=size)


def _parent(children: list[Block]) -> Block:
    filesize = sum(child.filesize for child in children)
    node = pb_node(
        links=(pb_link(cid=child.cid, tsize=child.tsize) for child in children),
        data=unixfs_file_data(filesize=filesize, blocksizes=(c.filesize for c in children)),
    )
    digest = hashlib.sha256(node).digest()
    tsize = len(node) + sum(child.tsize for child in children)
    return Block(cid=cid_bytes(codec=DAG_PB, digest=digest), tsize=tsize, filesize=filesize)


class DagBuilder:
    """Leaves in, root out, in O(depth × 174) memory. A level that reaches 174 blocks becomes
    one parent at once; this yields the same tree as go-unixfs's balanced layout, whose every
    full subtree of depth d holds exactly 174^d leaves, filled left to right."""

    def __init__(self, *, max_links: int = MAX_LINKS):
        self._max_links = max_links
        self._levels: list[list[Block]] = [[]]
        self.leaves = 0

    def add_leaf(self, block: Block) -> None:
        self.leaves += 1
        self._push(0, block)

    def _push(self, level: int, block: Block) -> None:
        if level == len(self._levels):
            self._levels.append([])
        self._levels[level].append(block)
        if len(self._levels[level]) == self._max_links:
            parent = _parent(self._levels[level])
            self._levels[level] = []
            self._push(level + 1, parent)

    def root(self) -> Block:
        """Close every partial level bottom-up. A lone block is the root only at the top level;
        below it, even a single child gets its own parent, so all leaves keep the same depth."""
        if not self.leaves:
            raise ValueError("a DAG needs at least one leaf (the empty file is one empty leaf)")
        level = 0
        while True:
            blocks = self._levels[level]
            is_top = level == len(self._levels) - 1
            if is_top and len(blocks) == 1:
                return blocks[0]
            if blocks:
                self._levels[level] = []
                self._push(level + 1, _parent(blocks))
            level += 1


def cid_from_leaf_digests(digests: Iterable[bytes], *, size: int) -> str:
    """The file's CID from the sha256 of each 256 KiB chunk in order (the last may be short)."""
    builder = DagBuilder()
    remaining = size
    for digest in digests:
        chunk = min(CHUNK_SIZE, remaining)
        builder.add_leaf(raw_leaf(digest, chunk))
        remaining -= chunk
    if remaining or builder.leaves != max(1, -(-size // CHUNK_SIZE)):
        raise ValueError(f"{builder.leaves} leaf digests do not cover {size} bytes")
    return cid_string(builder.root().cid)


# --- Streaming --------------------------------------------------------------------------------


class LeafSplitter:
    """Cuts a byte stream into 256 KiB chunks and returns the sha256 of each complete one.
    `pending` (the bytes of an unfinished chunk) lets a caller resume from a saved position."""

    def __init__(self, *, pending: bytes = b""):
        self.pending = bytearray(pending)

    def update(self, data) -> list[bytes]:
        view = memoryview(data).cast("B")
        digests = []
        if self.pending:
            take = min(CHUNK_SIZE - len(self.pending), len(view))
            self.pending += view[:take]
            view = view[take:]
            if len(self.pending) < CHUNK_SIZE:
                return digests
            digests.append(hashlib.sha256(self.pending).digest())
            self.pending.clear()
        whole = len(view) - len(view) % CHUNK_SIZE
        digests += [
            hashlib.sha256(view[at : at + CHUNK_SIZE]).digest()
            for at in range(0, whole, CHUNK_SIZE)
        ]
        self.pending += view[whole:]
        return digests


@dataclass(frozen=True)
class Digests:
    cid: str
    sha256: str  # hex
    size: int


class CidHasher:
    """CID + sha256 + size of a stream in one pass: feed `update()` pieces of any size, then
    `finalize()`.

    With an executor, a large piece is hashed on two cores at once: the whole-file sha256 in a
    worker thread, the leaf hashes in this one (hashlib releases the GIL on large buffers). Both
    are the same amount of work, and the whole-file sha256 is inherently sequential, so two
    threads already reach the floor (one sha256 pass); more would not help."""

    def __init__(self, *, executor: Executor | None = None):
        self._sha = hashlib.sha256()
        self._splitter = LeafSplitter()
        self._builder = DagBuilder()
        self._executor = executor
        self.size = 0

    def update(self, data) -> None:
        view = memoryview(data).cast("B")
        self.size += len(view)
        if self._executor is not None and len(view) >= PARALLEL_MIN_BYTES:
            whole = self._executor.submit(self._sha.update, view)
            digests = self._splitter.update(view)
            whole.result()
        else:
            self._sha.update(view)
            digests = self._splitter.update(view)
        for digest in digests:
            self._builder.add_leaf(raw_leaf(digest, CHUNK_SIZE))

    def finalize(self) -> Digests:
        tail = bytes(self._splitter.pending)
        if tail or not self._builder.leaves:
            self._builder.add_leaf(raw_leaf(hashlib.sha256(tail).digest(), len(tail)))
        root = self._builder.root()
        return Digests(cid=cid_string(root.cid), sha256=self._sha.hexdigest(), size=self.size)


def hash_file(path, *, executor: Executor | None = None, block_size: int = 16 * 1024**2) -> Digests:
    """Digests of a file in one pass. The file is memory-mapped, so both hashes read the page
    cache directly instead of through a copy into a Python buffer."""
    hasher = CidHasher(executor=executor)
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if not size:
            return hasher.finalize()
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            mapped.madvise(mmap.MADV_SEQUENTIAL)
            with memoryview(mapped) as view:
                for at in range(0, size, block_size):
                    hasher.update(view[at : at + block_size])
    return hasher.finalize()
