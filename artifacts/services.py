"""Writes for artifacts: storing files by CID, and the life of a resumable upload.

Status changes of an upload go through `upload_set_status` only. Long file work (streaming a
chunk, moving a finished file into the store) runs outside database transactions, so a slow
client never holds a lock (with SQLite a write transaction would block every other writer)."""

from __future__ import annotations

import fnmatch
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from artifacts import scanning
from artifacts.cid import Digests, hash_file
from artifacts.models import Artifact, ArtifactScan, Upload, UploadStatusChange
from artifacts.parts import Checksum, PartFile
from artifacts.selectors import upload_usage_for
from artifacts.storage import get_storage, storage_for
from core.errors import ApiError
from core.transitions import transition_check, transition_record

S = Upload.Status
# The one table of allowed status changes.
TRANSITIONS = {(S.OPEN, S.COMPLETE), (S.OPEN, S.FAILED), (S.OPEN, S.EXPIRED)}
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class UploadOffsetConflict(ApiError):
    """The client's offset is not where the upload stands; `offset` is where to resume."""

    def __init__(self, message: str, *, offset: int):
        super().__init__(message, code="offset_mismatch", status=409)
        self.offset = offset


# --- Artifacts --------------------------------------------------------------------------------


def artifact_create_from_file(
    *, path: Path, move: bool = False, digests: Digests | None = None
) -> Artifact:
    """Store a file and return its Artifact, the existing one if these bytes are stored already.
    `digests`, when the caller has them (a finished upload), spare a second read of the file."""
    digests = digests or hash_file(path)
    existing = Artifact.objects.filter(cid=digests.cid).first()
    storage = storage_for(existing) if existing else get_storage()
    if storage.exists(digests.cid):
        if move:
            Path(path).unlink(missing_ok=True)
    else:
        # Also heals a row whose bytes went missing from the store.
        storage.put_path(Path(path), cid=digests.cid, move=move)
    return existing or _artifact_record(digests, storage.name)


def artifact_create_from_stream(*, stream: BinaryIO) -> Artifact:
    """Store what `stream` yields, hashed while it is spooled to disk."""
    storage = get_storage()
    digests = storage.put_stream(stream)
    return _artifact_record(digests, storage.name)


def _artifact_record(digests: Digests, storage: str) -> Artifact:
    try:
        with transaction.atomic():
            artifact, _ = Artifact.objects.get_or_create(
                cid=digests.cid,
                defaults={"sha256": digests.sha256, "size": digests.size, "storage": storage},
            )
            return artifact
    except IntegrityError:
        # The same bytes were recorded at the same moment elsewhere: theirs is ours.
        return Artifact.objects.get(cid=digests.cid)


# --- Uploads ----------------------------------------------------------------------------------


def upload_check_file(*, filename: str, size: int, content_type: str) -> tuple[str, str]:
    """Refuse what may not be uploaded before a byte is sent; returns the cleaned name and type."""
    name = re.sub(r"[\x00-\x1f\x7f]", "", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    if not name or name in (".", "..") or len(name) > 255:
        raise ApiError("Give the file a name of 1 to 255 characters.", code="invalid_filename")
    if size < 0:
        raise ApiError("The size must be zero or more bytes.", code="invalid_size")
    if size > settings.UPLOAD_MAX_BYTES:
        raise ApiError(
            f"{name} is {_human(size)}; the largest file accepted is "
            f"{_human(settings.UPLOAD_MAX_BYTES)}.",
            code="too_large",
            status=413,
        )
    extension = Path(name).suffix.lower()
    if not _matches(extension, settings.UPLOAD_ALLOWED_EXTENSIONS):
        raise ApiError(
            f"{name}: files of type {extension or '(no extension)'} are not accepted.",
            code="unsupported_type",
            status=415,
        )
    kind = content_type.split(";", 1)[0].strip().lower()
    if not _matches(kind, settings.UPLOAD_ALLOWED_CONTENT_TYPES):
        raise ApiError(
            f"{name}: content type {kind} is not accepted.", code="unsupported_type", status=415
        )
    return name, kind


def _matches(value: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(value, pattern.lower()) for pattern in patterns)


def _human(size: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)  # unreachable; keeps type checkers calm


def _new_expiry() -> datetime:
    return timezone.now() + timedelta(hours=settings.UPLOAD_EXPIRE_HOURS)


def upload_create(
    *, owner, filename: str, size: int, content_type: str = "", sha256: str = ""
) -> Upload:
    """Open an upload of one file of `size` bytes; a declared `sha256` (hex) is checked at the
    end."""
    name, kind = upload_check_file(filename=filename, size=size, content_type=content_type)
    _check_quotas(owner=owner, name=name, size=size)
    sha256 = sha256.strip().lower()
    if sha256 and not SHA256_HEX.match(sha256):
        raise ApiError("sha256 must be 64 hex digits.", code="invalid_sha256")
    return Upload.objects.create(
        owner=owner,
        filename=name,
        size=size,
        content_type=kind,
        sha256=sha256,
        expires_at=_new_expiry(),
    )


def _check_quotas(*, owner, name: str, size: int) -> None:
    """Refuse (413) an upload that would take its owner past a quota, with the figures. Checked
    when the upload opens; a race of two opens may overshoot by one file, which is all a quota
    of this kind needs."""
    usage = upload_usage_for(owner=owner)
    if usage.open_bytes + size > usage.open_quota:
        raise ApiError(
            f"{name} ({_human(size)}) would take your unfinished uploads to "
            f"{_human(usage.open_bytes + size)}; the limit is {_human(usage.open_quota)}. "
            "Finish or cancel some first.",
            code="open_upload_quota",
            status=413,
        )
    if usage.stored_bytes + size > usage.stored_quota:
        raise ApiError(
            f"{name} ({_human(size)}) would take your stored files to "
            f"{_human(usage.stored_bytes + size)}; your storage limit is "
            f"{_human(usage.stored_quota)}.",
            code="storage_quota",
            status=413,
        )


def upload_set_status(*, upload: Upload, to_status: str, reason: str = "", **fields) -> Upload:
    """The one door for status changes: checks the transition table, applies it only if the row
    still has the status we read (so two racing requests cannot both close an upload), and
    records it. `fields` are saved with it (the artifact of a complete upload)."""
    transition_check(
        TRANSITIONS,
        upload.status,
        to_status,
        lambda: ApiError(
            f"This upload is {upload.get_status_display().lower()}; it cannot become "
            f"{S(to_status).label.lower()}.",
            code="upload_closed",
            status=409,
        ),
    )
    with transaction.atomic():
        changed = Upload.objects.filter(pk=upload.pk, status=upload.status).update(
            status=to_status, updated_at=timezone.now(), **fields
        )
        if not changed:
            raise ApiError(
                "This upload was closed by another request.", code="upload_closed", status=409
            )
        transition_record(
            UploadStatusChange,
            upload=upload,
            from_status=upload.status,
            to_status=to_status,
            reason=reason,
        )
    upload.refresh_from_db()
    return upload


def _require_open(upload: Upload) -> None:
    if upload.status != S.OPEN:
        raise ApiError(
            f"This upload is {upload.get_status_display().lower()}; start a new one.",
            code="upload_closed",
            status=409,
        )


def _check_append(upload: Upload, *, offset: int, length: int) -> None:
    _require_open(upload)
    if length > settings.UPLOAD_CHUNK_BYTES:  # the size each upload offers (chunk_size)
        raise ApiError(
            f"Chunks may be at most {settings.UPLOAD_CHUNK_BYTES} bytes (the upload's "
            "chunk_size); send this one in smaller pieces.",
            code="chunk_too_large",
            status=413,
        )
    if offset != upload.received:
        raise UploadOffsetConflict(
            f"This upload stands at byte {upload.received}, not {offset}; "
            f"resume from {upload.received}.",
            offset=upload.received,
        )
    if offset + length > upload.size:
        raise ApiError(
            f"This chunk would take the file past its declared size of {upload.size} bytes.",
            code="too_large",
            status=413,
        )


def upload_append_chunk(
    *, upload: Upload, offset: int, stream: BinaryIO, length: int, checksum: Checksum | None = None
) -> Upload:
    """Append `length` bytes read from `stream` at `offset`, which must be where the upload
    stands; the chunk is kept whole or not at all. The checks run once before reading the body
    (to fail fast) and again on a fresh row once the part file is locked."""
    _check_append(upload, offset=offset, length=length)
    part = PartFile(upload.pk)
    with part.locked() as handle:
        upload.refresh_from_db()
        _check_append(upload, offset=offset, length=length)
        state = part.append(
            handle,
            received=offset,
            hash_state=upload.hash_state,
            stream=stream,
            length=length,
            checksum=checksum,
        )
        # The status filter lets a cancel or expiry that happened meanwhile win.
        moved = Upload.objects.filter(pk=upload.pk, status=S.OPEN, received=offset).update(
            received=offset + length,
            hash_state=state,
            expires_at=_new_expiry(),
            updated_at=timezone.now(),
        )
    if not moved:
        raise ApiError("This upload was closed meanwhile.", code="upload_closed", status=409)
    upload.refresh_from_db()
    return upload


def upload_finish(*, upload: Upload, sha256: str = "") -> Upload:
    """Verify a fully received upload (size, and sha256 if the client declared one) and turn it
    into an Artifact, deduplicated by CID. Finishing a complete upload again returns it as it is,
    so a client whose first finish request got lost can simply retry."""
    if upload.status == S.COMPLETE:
        return upload
    _require_open(upload)
    part = PartFile(upload.pk)
    with part.locked():
        upload.refresh_from_db()
        if upload.status == S.COMPLETE:
            return upload
        _require_open(upload)
        if upload.received != upload.size:
            raise UploadOffsetConflict(
                f"Only {upload.received} of {upload.size} bytes have arrived; "
                f"resume from {upload.received}.",
                offset=upload.received,
            )
        digests = part.digests(size=upload.size, hash_state=upload.hash_state)
        expected = (sha256 or upload.sha256).strip().lower()
        if expected and expected != digests.sha256:
            part.remove()
            upload_set_status(
                upload=upload,
                to_status=S.FAILED,
                reason=f"sha256 mismatch: declared {expected}, received {digests.sha256}",
            )
            raise ApiError(
                "The file that arrived does not match the sha256 you declared; upload it again.",
                code="sha256_mismatch",
            )
        artifact = artifact_create_from_file(path=part.path, move=True, digests=digests)
        part.remove()
        upload = upload_set_status(upload=upload, to_status=S.COMPLETE, artifact=artifact)
    artifact_scan_schedule(files=[(artifact.pk, upload.filename)])
    return upload


def upload_cancel(*, upload: Upload) -> Upload:
    """The client gave up: close the upload and free its disk space."""
    _require_open(upload)
    part = PartFile(upload.pk)
    with part.locked():
        upload = upload_set_status(upload=upload, to_status=S.FAILED, reason="cancelled")
        part.remove()
    return upload


def upload_purge_expired(*, now: datetime | None = None) -> int:
    """Expire open uploads idle past their `expires_at` and delete their part files. An upload
    busy receiving a chunk right now is left for the next run. Returns how many expired."""
    now = now or timezone.now()
    expired = 0
    stale = Upload.objects.filter(status=S.OPEN, expires_at__lt=now).only("pk", "status")
    for upload in stale.iterator():
        part = PartFile(upload.pk)
        try:
            with part.locked():
                upload_set_status(upload=upload, to_status=S.EXPIRED, reason="idle too long")
                part.remove()
                expired += 1
        except ApiError:
            continue  # busy, or closed by another request meanwhile
    return expired


# --- Automatic checks -------------------------------------------------------------------------


def artifact_scan_schedule(
    *, files: list[tuple[int, str]], rescan: bool = False, at_once: bool = False
) -> None:
    """Scan these (artifact id, file name) pairs after the current transaction commits, unless
    the current scanner has scanned the bytes already, as a pickle too when the name loads as
    one (the same bytes uploaded twice are scanned once). `rescan`: scan again whatever was
    found before (a moderator retrying a scan that errored). `at_once`: queue now, not after
    commit (the artifacts are stored already, and the caller is about to refuse and roll
    back: a download or release of a file that is not scanned yet)."""
    from artifacts import tasks  # tasks import services: import here to avoid a cycle

    wanted: dict[int, bool] = {}
    for artifact_id, name in files:
        wanted[artifact_id] = wanted.get(artifact_id, False) or scanning.loads_as_pickle(name)
    done = {
        scan.artifact_id: scan.pickle_scanned
        for scan in ArtifactScan.objects.filter(artifact_id__in=wanted, scanner=scanning.SCANNER)
        .exclude(verdict=ArtifactScan.Verdict.PENDING)
        .only("artifact_id", "pickle_scanned")
        if not rescan
    }
    for artifact_id, as_pickle in wanted.items():
        if artifact_id not in done or (as_pickle and not done[artifact_id]):
            queue = tasks.artifact_scan.delay if at_once else tasks.artifact_scan.delay_on_commit
            queue(artifact_id, as_pickle)


def artifact_scan_run(*, artifact_id: int, as_pickle: bool = False) -> ArtifactScan:
    """Scan an artifact's bytes with the current scanner and store the outcome (idempotent:
    a second run overwrites the same row, and never forgets it was scanned as a pickle). The
    file work happens outside any transaction."""
    artifact = Artifact.objects.get(pk=artifact_id)
    previous = ArtifactScan.objects.filter(artifact=artifact, scanner=scanning.SCANNER).first()
    as_pickle = as_pickle or bool(previous and previous.pickle_scanned)
    outcome = scanning.scan_artifact(artifact, as_pickle=as_pickle)
    scan, _ = ArtifactScan.objects.update_or_create(
        artifact=artifact,
        scanner=scanning.SCANNER,
        defaults={
            "verdict": outcome.verdict,
            "findings": outcome.findings,
            "detected_type": outcome.detected_type,
            "detected_mime": outcome.detected_mime,
            "pickle_scanned": outcome.pickle_scanned,
            "scanned_at": timezone.now(),
        },
    )
    return scan
