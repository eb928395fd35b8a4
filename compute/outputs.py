"""What comes back from a job: its log, streamed into the database as it is written (the job
page polls it), and the files it left in /out, stored as artifacts under a manifest whose
sha256 is the receipt's output digest."""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import stat
import time
from pathlib import Path

from django.conf import settings
from django.db.models import F

from artifacts.models import Artifact
from artifacts.services import artifact_create_from_file, artifact_create_from_stream
from compute.models import ComputeEnvironment, Job, JobLogChunk, JobOutput
from core.clock import db_now

FLUSH_SECONDS = 0.5
CANCEL_CHECK_SECONDS = 0.5
# A running job also proves its host alive: when every worker slot is busy, the host's
# heartbeat tasks wait in its queue, and the host must not look offline meanwhile.
HOST_STAMP_SECONDS = 5.0
TRUNCATED = "\n[log truncated: the job wrote more than the log limit]\n"


class LogSink:
    """Collects the sandbox's output and flushes it as JobLogChunk rows (at most every
    FLUSH_SECONDS), stamping the job's heartbeat as it goes. Also answers "was the job
    cancelled?" for the sandbox loop, reading the database at most every CANCEL_CHECK_SECONDS."""

    def __init__(self, job: Job):
        self.job = job
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.pending: list[str] = []
        self.size = job.log_size
        self.truncated = False
        self.flushed_at = self.checked_at = time.monotonic()
        self.host_stamped_at = 0.0
        self.tail = ""

    def write(self, data: bytes) -> None:
        # PostgreSQL text cannot hold NUL: one printed NUL would fail the job as a runner error.
        text = self.decoder.decode(data).replace("\x00", "\ufffd")
        self.tail = (self.tail + text)[-4096:]
        room = settings.COMPUTE_LOG_MAX_BYTES - self.size - sum(map(len, self.pending))
        if len(text) > room:
            text = text[: max(room, 0)] + ("" if self.truncated else TRUNCATED)
            self.truncated = True
        if text:
            self.pending.append(text)
        if time.monotonic() - self.flushed_at >= FLUSH_SECONDS:
            self.flush()

    def note(self, text: str) -> None:
        """A line from the runner itself (not the job), e.g. why it was stopped."""
        self.pending.append(f"[runner] {text}\n")
        self.flush()

    def flush(self) -> None:
        self.flushed_at = time.monotonic()
        text = "".join(self.pending)
        self.pending = []
        updates = {"heartbeat_at": db_now()}
        if text:
            JobLogChunk.objects.create(job=self.job, offset=self.size, text=text)
            self.size += len(text)
            updates["log_size"] = F("log_size") + len(text)
        Job.objects.filter(pk=self.job.pk).update(**updates)
        if self.flushed_at - self.host_stamped_at >= HOST_STAMP_SECONDS:
            self.host_stamped_at = self.flushed_at
            ComputeEnvironment.objects.filter(pk=self.job.environment_id).update(
                last_seen_at=updates["heartbeat_at"]
            )

    def cancelled(self) -> bool:
        now = time.monotonic()
        if now - self.flushed_at >= FLUSH_SECONDS:
            self.flush()  # also the heartbeat of a job that prints nothing
        if now - self.checked_at < CANCEL_CHECK_SECONDS:
            return False
        self.checked_at = now
        # Cancelled by its owner, or failed by the watchdog meanwhile: either way, stop.
        return Job.objects.filter(pk=self.job.pk).exclude(status=Job.Status.RUNNING).exists()


class OutputRejected(Exception):
    """/out holds something that cannot be published; the message is the job's reason."""


class OutputTooLarge(OutputRejected):
    pass


def _checked_name(relative: str) -> str:
    """A name the database, the download URL and the manifest can hold: UTF-8 (os.walk gives
    other bytes as surrogates), no control characters (a tab or newline would forge manifest
    lines), and short enough for JobOutput.path."""
    try:
        relative.encode()
    except UnicodeEncodeError:
        raise OutputRejected("A file name in /out is not UTF-8; nothing was published.") from None
    if any(ord(char) < 32 or ord(char) == 127 for char in relative) or len(relative) > 255:
        raise OutputRejected(
            f"The name {relative!r} in /out has control characters or is longer than 255; "
            "nothing was published."
        )
    return relative


def output_files(out_dir: Path) -> list[tuple[str, Path, int]]:
    """(relative path, path, size) of the regular files under /out, sorted. Symlinks are not
    followed (they could point anywhere on the host) and are left out, as are fifos and
    sockets. Raises OutputTooLarge as soon as the total passes the cap, OutputRejected past
    COMPUTE_OUTPUT_MAX_FILES files (each becomes a stored artifact and a database row)."""
    cap = settings.COMPUTE_OUTPUT_MAX_BYTES
    found, total = [], 0
    for directory, dirnames, filenames in os.walk(out_dir, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(directory) / name
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode):
                continue
            total += info.st_size
            if total > cap:
                raise OutputTooLarge(
                    f"The job wrote more than the output limit of {cap} bytes to /out."
                )
            found.append((_checked_name(path.relative_to(out_dir).as_posix()), path, info.st_size))
            if len(found) > settings.COMPUTE_OUTPUT_MAX_FILES:
                raise OutputRejected(
                    f"The job wrote more than {settings.COMPUTE_OUTPUT_MAX_FILES} files to /out; "
                    "nothing was published."
                )
    return found


class OutputGuard:
    """Polled by the sandbox loop: RLIMIT_FSIZE caps each file, not their total, so a job
    could fill the host's disk with many files; this stops it once /out passes the cap."""

    CHECK_SECONDS = 2.0

    def __init__(self, out_dir: Path):
        self.out_dir, self.checked_at, self.exceeded = out_dir, time.monotonic(), ""

    def __call__(self) -> bool:
        if time.monotonic() - self.checked_at < self.CHECK_SECONDS:
            return False
        self.checked_at = time.monotonic()
        total, cap = 0, settings.COMPUTE_OUTPUT_MAX_BYTES
        for directory, _dirnames, filenames in os.walk(self.out_dir, followlinks=False):
            for name in filenames:
                try:
                    total += os.lstat(os.path.join(directory, name)).st_size
                except OSError:
                    continue  # removed meanwhile: the job is still running
        if total > cap:
            self.exceeded = f"The job wrote more than the output limit of {cap} bytes to /out."
        return bool(self.exceeded)


def outputs_store(*, job: Job, out_dir: Path) -> tuple[str, Artifact, list[JobOutput]]:
    """Store /out's files and their manifest (one "path<TAB>cid" line per file, sorted by
    path): (output digest = 0x sha256 of the manifest, the manifest, unsaved JobOutput rows).
    Outside any transaction, stamping the heartbeat per file: a large result takes longer than
    the watchdog waits, and a stamp made inside a transaction is not seen until it commits."""
    lines, outputs = [], []
    for relative, path, _size in output_files(out_dir):
        artifact = artifact_create_from_file(path=path)
        outputs.append(JobOutput(job=job, path=relative, artifact=artifact))
        lines.append(f"{relative}\t{artifact.cid}\n")
        Job.objects.filter(pk=job.pk).update(heartbeat_at=db_now())
    manifest = "".join(lines).encode()
    stored = artifact_create_from_stream(stream=io.BytesIO(manifest))
    return "0x" + hashlib.sha256(manifest).hexdigest(), stored, outputs
