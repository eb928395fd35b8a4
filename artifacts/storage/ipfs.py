"""Artifacts pinned to an IPFS node through the Kubo RPC API (`/api/v0/...`; js-ipfs speaks the
same). Plain HTTP POSTs with requests: the RPC client libraries refuse modern daemons' versions.

`put_path` asks the node for exactly our importer settings (CIDv1, raw leaves, 256 KiB chunks,
balanced DAG) and checks that the CID the node computed equals ours before trusting it."""

from __future__ import annotations

import io
import json
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from django.conf import settings

from artifacts.cid import CHUNK_SIZE, cid_parse
from artifacts.storage.base import ArtifactNotFound, ArtifactStorage, StorageError

ACCEL_PREFIX = "/_ipfs/ipfs/"
ADD_PARAMS = {
    "cid-version": "1",
    "raw-leaves": "true",
    "chunker": f"size-{CHUNK_SIZE}",
    "hash": "sha2-256",
    "pin": "true",
    "cid-base": "base32",
    "progress": "false",
}
SEND_SIZE = 1024 * 1024

if TYPE_CHECKING:
    import requests  # loaded by the first call to the node, not by the web process's start


class IpfsStorage(ArtifactStorage):
    name = "ipfs"

    def __init__(self, api_url: str | None = None, *, timeout: float | None = None):
        self.api_url = (api_url or settings.IPFS_API_URL).rstrip("/")
        self.timeout = timeout or settings.IPFS_TIMEOUT_SECONDS

    def _post(self, command: str, *, params=None, stream=False, **kwargs) -> requests.Response:
        import requests

        url = f"{self.api_url}/api/v0/{command}"
        try:
            response = requests.post(
                url, params=params, stream=stream, timeout=self.timeout, **kwargs
            )
        except requests.RequestException as exc:
            raise StorageError(f"IPFS node at {self.api_url} unreachable: {exc}") from exc
        if response.status_code != 200:
            message = _error_message(response)
            response.close()
            if "not found" in message.lower() or "not pinned" in message.lower():
                raise ArtifactNotFound(message)
            raise StorageError(f"IPFS {command} failed ({response.status_code}): {message}")
        return response

    def put_path(self, path: Path, *, cid: str, move: bool = False) -> None:
        body = _MultipartFile(Path(path), filename=cid)
        headers = {"Content-Type": body.content_type}
        with self._post("add", params=ADD_PARAMS, data=body, headers=headers) as response:
            lines = [json.loads(line) for line in response.text.splitlines() if line.strip()]
        added = lines[-1].get("Hash", "") if lines else ""
        if not added:
            raise StorageError(f"IPFS add returned no CID: {lines!r:.300}")
        if not _same_cid(added, cid):
            self.delete(added)
            raise StorageError(f"IPFS node computed {added} for the file, we computed {cid}")
        if move:
            Path(path).unlink(missing_ok=True)

    def open(self, cid: str, *, offset: int = 0, length: int | None = None) -> BinaryIO:
        params = {"arg": cid, "offset": offset}
        if length is not None:
            if length == 0:
                return io.BytesIO(b"")
            params["length"] = length
        if not self.exists(cid):
            raise ArtifactNotFound(cid)
        response = self._post("cat", params=params, stream=True)
        return io.BufferedReader(_ResponseReader(response), SEND_SIZE)

    def exists(self, cid: str) -> bool:
        """Pinned by us: a block merely cached by the node may be garbage-collected any time."""
        try:
            self._post("pin/ls", params={"arg": cid, "type": "recursive"}).close()
        except ArtifactNotFound:
            return False
        except StorageError as exc:
            if "not pinned" in str(exc).lower() or "invalid" in str(exc).lower():
                return False
            raise
        return True

    def delete(self, cid: str) -> None:
        try:
            self._post("pin/rm", params={"arg": cid}).close()
        except ArtifactNotFound:
            pass
        except StorageError as exc:
            if "not pinned" not in str(exc).lower():
                raise

    def size(self, cid: str) -> int:
        if not self.exists(cid):
            raise ArtifactNotFound(cid)
        with self._post("files/stat", params={"arg": f"/ipfs/{cid}"}) as response:
            return int(response.json()["Size"])

    def accel_redirect_path(self, cid: str) -> str:
        cid_parse(cid)
        return ACCEL_PREFIX + cid


def _error_message(response: requests.Response) -> str:
    try:
        return str(response.json().get("Message", response.text))
    except ValueError:
        return response.text[:500]


def _same_cid(a: str, b: str) -> bool:
    try:
        return cid_parse(a) == cid_parse(b)
    except ValueError:
        return False


class _MultipartFile:
    """A multipart/form-data body with one file, streamed from disk. It has a length, so
    requests sends a Content-Length instead of chunked encoding, which some nodes refuse."""

    def __init__(self, path: Path, *, filename: str):
        self._path = path
        boundary = secrets.token_hex(16)
        self.content_type = f"multipart/form-data; boundary={boundary}"
        self._head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        self._tail = f"\r\n--{boundary}--\r\n".encode()

    def __len__(self) -> int:
        return len(self._head) + os.path.getsize(self._path) + len(self._tail)

    def __iter__(self):
        yield self._head
        with open(self._path, "rb") as handle:
            while block := handle.read(SEND_SIZE):
                yield block
        yield self._tail


class _ResponseReader(io.RawIOBase):
    def __init__(self, response: requests.Response):
        self._response = response

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return self._response.raw.readinto(buffer)

    def close(self) -> None:
        self._response.close()
        super().close()
