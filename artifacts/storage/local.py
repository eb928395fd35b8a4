"""Artifacts as files under ARTIFACT_ROOT, one per CID: `<root>/<2 chars of the CID>/<cid>`.

Every write lands in `<root>/.tmp` first and is renamed into place, so a reader (or nginx) never
sees a partial artifact, and a crash leaves only temp files behind."""

from __future__ import annotations

import errno
import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from artifacts.cid import cid_parse
from artifacts.storage.base import ArtifactNotFound, ArtifactStorage, RangeReader

ACCEL_PREFIX = "/_artifacts/"


class LocalStorage(ArtifactStorage):
    name = "local"

    def __init__(self, root: Path | str | None = None):
        self.root = Path(root or settings.ARTIFACT_ROOT)

    def relative_path(self, cid: str) -> str:
        """Sharded like IPFS's flatfs (next-to-last two characters); base32 CIDs all start
        alike, so the tail spreads files evenly. Parsing the CID first rules out `..` tricks."""
        cid_parse(cid)
        return f"{cid[-3:-1]}/{cid}"

    def path(self, cid: str) -> Path:
        return self.root / self.relative_path(cid)

    def put_path(self, path: Path, *, cid: str, move: bool = False) -> None:
        dest = self.path(cid)
        if dest.exists():
            if move:
                Path(path).unlink(missing_ok=True)
            return
        dest.parent.mkdir(parents=True, exist_ok=True)
        if move:
            try:
                _fsync(path)
                os.chmod(path, 0o444)
                os.replace(path, dest)
                _fsync(dest.parent)
                return
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
        self._copy_in(Path(path), dest)
        if move:
            Path(path).unlink(missing_ok=True)

    def _copy_in(self, source: Path, dest: Path) -> None:
        """Another file system: copy to a temp file next to the store, then rename."""
        tmp_dir = self.root / ".tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=tmp_dir, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
                shutil.copyfileobj(src, out, 1024 * 1024)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(name, 0o444)
            os.replace(name, dest)
            _fsync(dest.parent)
        finally:
            Path(name).unlink(missing_ok=True)

    def open(self, cid: str, *, offset: int = 0, length: int | None = None) -> BinaryIO:
        try:
            handle = open(self.path(cid), "rb")
        except FileNotFoundError:
            raise ArtifactNotFound(cid) from None
        handle.seek(offset)
        if length is None:
            return handle
        return io.BufferedReader(RangeReader(handle, length))

    def exists(self, cid: str) -> bool:
        return self.path(cid).is_file()

    def delete(self, cid: str) -> None:
        self.path(cid).unlink(missing_ok=True)

    def size(self, cid: str) -> int:
        try:
            return self.path(cid).stat().st_size
        except FileNotFoundError:
            raise ArtifactNotFound(cid) from None

    def local_path(self, cid: str) -> Path | None:
        path = self.path(cid)
        return path if path.is_file() else None

    def accel_redirect_path(self, cid: str) -> str:
        return ACCEL_PREFIX + self.relative_path(cid)


def _fsync(path: Path) -> None:
    """fsync a file's bytes, or a directory's entries (so a rename itself survives a crash)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
