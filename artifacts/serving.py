"""Serving artifact bytes over HTTP. Callers decide who may read (artifacts checks no licence);
this module gives them two tools:

- Signed URL tokens (`url_token_sign` / `url_token_read`): Django's TimestampSigner with its
  own salt over {cid, expiry, caller's claims}. The caller's claims (e.g. the holder and the
  listing) come back on download so it can check access again then.
- `artifact_response(request, artifact, filename=...)`: the response for one file. With
  `accel=True` it hands the bytes to nginx (`X-Accel-Redirect` to the storage's internal
  location, see docs/downloads.md); otherwise Django streams them: a FileResponse on the local
  file (gunicorn sends it with sendfile()), or a reader over the IPFS node's `cat`. One byte
  range per request (RFC 9110: 206 + Content-Range; 416 when unsatisfiable; a request for
  several ranges gets the whole file, which the RFC allows); ETag is the CID (the bytes can
  never change under it), so If-None-Match answers 304 and If-Range works.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from django.core import signing
from django.http import FileResponse, HttpResponse
from django.utils.http import content_disposition_header

from artifacts.models import Artifact
from artifacts.storage import storage_for

URL_TOKEN_SALT = "artifacts.serving.url-token"
# A hard ceiling on any token's age, whatever expiry it claims.
URL_TOKEN_MAX_AGE_SECONDS = 24 * 3600
# Bytes per read when Django itself streams a file (FileResponse's default is 4 KiB).
SEND_BLOCK_SIZE = 1024 * 1024
CONTENT_TYPE = "application/octet-stream"
# One range, both ends optional; at most 20 digits so int() never sees a huge string.
RANGE_RE = re.compile(r"bytes=(\d{0,20})-(\d{0,20})", re.IGNORECASE | re.ASCII)


class UrlTokenError(Exception):
    """A download token that is forged, altered or truncated."""


class UrlTokenExpired(UrlTokenError):
    pass


def url_token_sign(*, cid: str, expires_at: int, claims: dict) -> str:
    """A URL-safe token for `cid`, valid until `expires_at` (Unix seconds)."""
    payload = {**claims, "c": cid, "e": int(expires_at)}
    return signing.TimestampSigner(salt=URL_TOKEN_SALT).sign_object(payload, compress=True)


def url_token_read(token: str) -> dict:
    """The payload of a token we signed: `c` (CID), `e` (expiry) and the caller's claims.
    Raises UrlTokenExpired past its expiry, UrlTokenError when it is not ours or altered."""
    signer = signing.TimestampSigner(salt=URL_TOKEN_SALT)
    try:
        payload = signer.unsign_object(token, max_age=URL_TOKEN_MAX_AGE_SECONDS)
    except signing.SignatureExpired as exc:
        raise UrlTokenExpired("This download link has expired.") from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise UrlTokenError("This download link is not valid.") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("e"), int):
        raise UrlTokenError("This download link is not valid.")
    if payload["e"] <= time.time():
        raise UrlTokenExpired("This download link has expired.")
    return payload


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive, as in Content-Range

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class RangeNotSatisfiable(Exception):
    pass


def parse_range(header: str, size: int) -> ByteRange | None:
    """The one byte range a `Range` header asks for, or None for the whole file (no header, a
    unit other than bytes, or several ranges). Raises RangeNotSatisfiable for a malformed
    bytes range or one that lies outside the file."""
    header = header.strip().replace(" ", "")
    if not header or not header.lower().startswith("bytes="):
        return None
    if "," in header:
        return None
    match = RANGE_RE.fullmatch(header)
    if match is None:
        raise RangeNotSatisfiable(header)
    first, last = match.groups()
    if not first:  # a suffix: the last N bytes
        if not last or int(last) == 0 or size == 0:
            raise RangeNotSatisfiable(header)
        return ByteRange(max(size - int(last), 0), size - 1)
    start = int(first)
    if start >= size or (last and int(last) < start):
        raise RangeNotSatisfiable(header)
    return ByteRange(start, min(int(last), size - 1) if last else size - 1)


def artifact_response(
    request, artifact: Artifact, *, filename: str, accel: bool = False
) -> HttpResponse:
    """The response serving `artifact` as an attachment named `filename` (GET or HEAD).
    Raises the storage's ArtifactNotFound / StorageError when the bytes cannot be opened."""
    etag = f'"{artifact.cid}"'
    if accel:
        response = HttpResponse(content_type=CONTENT_TYPE)
        response["X-Accel-Redirect"] = storage_for(artifact).accel_redirect_path(artifact.cid)
        return _decorate(response, etag, filename)
    if _etag_matches(request.headers.get("If-None-Match", ""), etag):
        return _decorate(HttpResponse(status=304), etag, filename=None)
    byte_range = None
    if request.headers.get("If-Range", etag) == etag:
        try:
            byte_range = parse_range(request.headers.get("Range", ""), artifact.size)
        except RangeNotSatisfiable:
            response = HttpResponse(status=416, content_type="text/plain")
            response["Content-Range"] = f"bytes */{artifact.size}"
            return _decorate(response, etag, filename=None)
    start, length = (byte_range.start, byte_range.length) if byte_range else (0, artifact.size)
    if request.method == "HEAD":
        response = HttpResponse(content_type=CONTENT_TYPE)
    else:
        response = FileResponse(_open(artifact, start, length), content_type=CONTENT_TYPE)
        response.block_size = SEND_BLOCK_SIZE
    response["Content-Length"] = str(length)
    if byte_range:
        response.status_code = 206
        response["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{artifact.size}"
    return _decorate(response, etag, filename)


def _decorate(response: HttpResponse, etag: str, filename: str | None) -> HttpResponse:
    response["ETag"] = etag
    response["Accept-Ranges"] = "bytes"
    # The link itself is the credential: no shared cache may keep the bytes or the answer.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    if filename:
        response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _etag_matches(header: str, etag: str) -> bool:
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in tags or etag in tags


def _open(artifact: Artifact, start: int, length: int):
    """A reader over [start, start + length). For a local file: the file itself, or a slice
    that keeps its fileno() so a sendfile()-capable server still uses it."""
    storage = storage_for(artifact)
    path = storage.local_path(artifact.cid)
    if path is None:
        return storage.open(artifact.cid, offset=start, length=length)
    handle = open(path, "rb")  # the response closes it
    if start == 0 and length == artifact.size:
        return handle
    handle.seek(start)
    return FileSlice(handle, length)


class FileSlice:
    """`length` bytes of an open file from its current position. read() stops at the slice's
    end (servers that iterate the file); fileno() stays, and gunicorn's sendfile() sends
    exactly Content-Length bytes from the file's current offset."""

    def __init__(self, handle, length: int):
        self._handle = handle
        self._left = length

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        count = self._left if size is None or size < 0 else min(size, self._left)
        data = self._handle.read(count)
        self._left -= len(data)
        return data

    def fileno(self) -> int:
        return self._handle.fileno()

    def close(self) -> None:
        self._handle.close()
