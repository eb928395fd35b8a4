"""The storage interface every backend implements."""

from __future__ import annotations

import io
import os
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path
from typing import BinaryIO, ClassVar

from django.conf import settings

from artifacts.cid import CidHasher, Digests

READ_SIZE = 1024 * 1024


class StorageError(Exception):
    """The backend failed (node down, disk full, wrong CID back): not the user's fault."""


class ArtifactNotFound(StorageError):
    pass


class ArtifactStorage(ABC):
    """Bytes by CID. Writes are all-or-nothing: an artifact is either absent or complete."""

    name: ClassVar[str]

    @abstractmethod
    def put_path(self, path: Path, *, cid: str, move: bool = False) -> None:
        """Store the file at `path`, whose CID the caller has computed, under `cid`. Storing a
        CID that is already there is a no-op. `move` lets the backend consume the file."""

    def put_stream(self, stream: BinaryIO) -> Digests:
        """Store what `stream` yields, hashing it on the way; returns its digests."""
        spool_dir = Path(settings.UPLOAD_DIR)
        spool_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=spool_dir, prefix="put-", suffix=".part")
        try:
            hasher = CidHasher()
            with os.fdopen(fd, "wb") as out:
                while block := stream.read(READ_SIZE):
                    hasher.update(block)
                    out.write(block)
            digests = hasher.finalize()
            self.put_path(Path(name), cid=digests.cid, move=True)
            return digests
        finally:
            Path(name).unlink(missing_ok=True)

    @abstractmethod
    def open(self, cid: str, *, offset: int = 0, length: int | None = None) -> BinaryIO:
        """A reader over bytes [offset, offset + length) (to the end when length is None).
        Raises ArtifactNotFound. Close it (or use it as a context manager)."""

    @abstractmethod
    def exists(self, cid: str) -> bool: ...

    @abstractmethod
    def delete(self, cid: str) -> None:
        """Remove (or unpin) the artifact; deleting a missing one is a no-op."""

    @abstractmethod
    def size(self, cid: str) -> int:
        """Size in bytes; raises ArtifactNotFound."""

    def local_path(self, cid: str) -> Path | None:
        """A path on this machine's file system, when the backend has one."""
        return None

    @abstractmethod
    def accel_redirect_path(self, cid: str) -> str:
        """The internal URI nginx serves the bytes from (`X-Accel-Redirect`): an `internal`
        location aliased to ARTIFACT_ROOT for local files, proxied to an IPFS gateway for IPFS."""


class RangeReader(io.RawIOBase):
    """At most `length` bytes of an underlying reader, then EOF."""

    def __init__(self, raw: BinaryIO, length: int):
        self._raw = raw
        self._left = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")[: self._left]
        if not len(view):
            return 0
        count = self._raw.readinto(view) or 0
        self._left -= count
        return count

    def close(self) -> None:
        self._raw.close()
        super().close()
