"""The bytes of an upload in progress, on disk, and the hash state that goes with them.

Per upload, in UPLOAD_DIR:
- `<id>.part`: the bytes received so far (the database's `Upload.received` says how many count;
  anything past it is a chunk that never finished and is cut off before the next append);
- `<id>.leaves`: the sha256 of every complete 256 KiB chunk so far, 32 bytes each.

How hashing survives between requests (and worker processes), without reading the file twice:
- CID: leaf digests are independent, so each request appends the digests of the chunks it
  completed. A leaf left unfinished at the end of a request is not saved: the next request reads
  those (< 256 KiB) bytes back from the part file and continues it. Finishing builds the DAG from
  the leaves file plus the last partial leaf; it never re-reads the rest.
- sha256: the whole-file state (OpenSSL's SHA256_CTX, 112 bytes, see sha256state.py) is saved in
  `Upload.hash_state` after each chunk. Where that is not available the state stays empty and
  finishing hashes the part file once (the only case that re-reads it).

Appends to one upload are serialized by an exclusive `flock` on the part file; a second
concurrent request gets 409 instead of waiting (a client only ever sends one chunk at a time).
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.http import UnreadablePostError

from artifacts import sha256state
from artifacts.cid import CHUNK_SIZE, Digests, LeafSplitter, cid_from_leaf_digests
from core.errors import ApiError

READ_SIZE = 1024 * 1024
DIGEST_SIZE = 32
CHECKSUM_MISMATCH = 460  # tus's status for a chunk whose checksum does not match


@dataclass(frozen=True)
class Checksum:
    """A client's per-chunk checksum, from `Upload-Checksum: sha256 <base64 digest>`."""

    algorithm: str
    digest: bytes

    @classmethod
    def parse(cls, header: str) -> Checksum:
        algorithm, _, encoded = header.strip().partition(" ")
        if algorithm.lower() != "sha256":
            raise ApiError(
                "Upload-Checksum supports sha256 only, as 'sha256 <base64 digest>'.",
                code="checksum_algorithm",
            )
        try:
            digest = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            digest = b""
        if len(digest) != DIGEST_SIZE:
            raise ApiError(
                "Upload-Checksum must be 'sha256 <base64 of the 32-byte digest>'.",
                code="checksum_invalid",
            )
        return cls(algorithm="sha256", digest=digest)


class PartFile:
    def __init__(self, upload_id):
        directory = Path(settings.UPLOAD_DIR)
        self.path = directory / f"{upload_id}.part"
        self.leaves_path = directory / f"{upload_id}.leaves"

    @contextmanager
    def locked(self) -> Iterator[BinaryIO]:
        """The part file opened for appending, held exclusively; 409 if someone else holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+b") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ApiError(
                    "Another request is writing to this upload; retry when it is done.",
                    code="upload_busy",
                    status=409,
                ) from None
            yield handle

    def append(self, handle: BinaryIO, *, received: int, hash_state, **chunk) -> bytes | None:
        """Append one chunk (`stream`, `length`, `checksum`) after the first `received` bytes;
        returns the new sha256 state. All or nothing: on any error the files are cut back."""
        self._rewind(handle, received)
        try:
            return self._append(handle, received=received, hash_state=hash_state, **chunk)
        except BaseException:
            self._rewind(handle, received)
            raise

    def _rewind(self, handle: BinaryIO, received: int) -> None:
        os.ftruncate(handle.fileno(), received)
        with open(self.leaves_path, "a+b") as leaves:
            leaves.truncate(received // CHUNK_SIZE * DIGEST_SIZE)

    def _append(self, handle, *, received, hash_state, stream, length, checksum) -> bytes | None:
        done = received // CHUNK_SIZE * CHUNK_SIZE
        splitter = LeafSplitter(pending=os.pread(handle.fileno(), received - done, done))
        sha = _restore_sha(received, hash_state)
        check = hashlib.sha256() if checksum else None
        leaves = []
        for piece in _read_exactly(stream, length):
            handle.write(piece)
            leaves += splitter.update(piece)
            if sha is not None:
                sha.update(piece)
            if check is not None:
                check.update(piece)
        if check is not None and check.digest() != checksum.digest:
            raise ApiError(
                "The chunk's sha256 does not match Upload-Checksum: it was corrupted on the way. "
                "Send it again from the same offset.",
                code="checksum_mismatch",
                status=CHECKSUM_MISMATCH,
            )
        handle.flush()
        os.fsync(handle.fileno())
        with open(self.leaves_path, "ab") as out:
            out.write(b"".join(leaves))
            out.flush()
            os.fsync(out.fileno())
        return sha.to_bytes() if sha is not None else None

    def digests(self, *, size: int, hash_state: bytes | None) -> Digests:
        """CID and sha256 of the complete file, from the saved leaves and hash state."""
        if self.path.stat().st_size != size:
            raise ValueError(f"part file holds {self.path.stat().st_size} bytes, not {size}")
        done = size // CHUNK_SIZE * CHUNK_SIZE
        stored = self.leaves_path.read_bytes() if self.leaves_path.exists() else b""
        leaves = [stored[at : at + DIGEST_SIZE] for at in range(0, len(stored), DIGEST_SIZE)]
        with open(self.path, "rb") as handle:
            tail = os.pread(handle.fileno(), size - done, done)
        if tail or not leaves:
            leaves.append(hashlib.sha256(tail).digest())
        cid = cid_from_leaf_digests(leaves, size=size)
        if hash_state is not None:
            sha = sha256state.Sha256State.from_bytes(hash_state).hexdigest()
        else:
            sha = _file_sha256(self.path)
        return Digests(cid=cid, sha256=sha, size=size)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
        self.leaves_path.unlink(missing_ok=True)


def _restore_sha(received: int, hash_state: bytes | None):
    """The sha256 state at `received`, or None when it cannot be carried on (see module doc)."""
    if not sha256state.AVAILABLE:
        return None
    if hash_state is not None:
        return sha256state.Sha256State.from_bytes(hash_state)
    return sha256state.Sha256State() if received == 0 else None


def _read_exactly(stream, length: int) -> Iterator[bytes]:
    """The request body in pieces (never whole in memory); a body cut short is an error."""
    left = length
    while left:
        try:
            piece = stream.read(min(READ_SIZE, left))
        except (OSError, UnreadablePostError):
            piece = b""
        if not piece:
            raise ApiError(
                f"The chunk ended after {length - left} of {length} bytes; nothing was kept. "
                "Send it again from the same offset.",
                code="chunk_incomplete",
            )
        left -= len(piece)
        yield piece


def _file_sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(16 * READ_SIZE):
            sha.update(block)
    return sha.hexdigest()
