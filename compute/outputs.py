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
from django.utils import timezone

from artifacts.services import artifact_create_from_file, artifact_create_from_stream
from compute.models import Job, JobLogChunk, JobOutput

FLUSH_SECONDS = 0.5
CANCEL_CHECK_SECONDS = 0.5
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
        self.tail = ""

    def write(self, data: bytes) -> None:
        text = self.decoder.decode(data)
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
        updates = {"heartbeat_at": timezone.now()}
        if text:
            JobLogChunk.objects.create(job=self.job, offset=self.size, text=text)
            self.size += len(text)
            updates["log_size"] = F("log_size") + len(text)
        Job.objects.filter(pk=self.job.pk).update(**updates)

    def cancelled(self) -> bool:
        now = time.monotonic()
        if now - self.flushed_at >= FLUSH_SECONDS:
            self.flush()  # also the heartbeat of a job that prints nothing
        if now - self.checked_at < CANCEL_CHECK_SECONDS:
            return False
        self.checked_at = now
        return Job.objects.filter(pk=self.job.pk, status=Job.Status.CANCELLED).exists()


class OutputTooLarge(Exception):
    pass


def output_files(out_dir: Path) -> list[tuple[str, Path, int]]:
    """(relative path, path, size) of the regular files under /out, sorted. Symlinks are not
    followed (they could point anywhere on the host) and are left out, as are fifos and
    sockets. Raises OutputTooLarge as soon as the total passes the cap."""
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
            found.append((path.relative_to(out_dir).as_posix(), path, info.st_size))
    return found


def outputs_publish(*, job: Job, out_dir: Path) -> str:
    """Store /out's files and their manifest; returns the output digest (0x sha256 of the
    manifest: one "path<TAB>cid" line per file, sorted by path)."""
    lines = []
    for relative, path, _size in output_files(out_dir):
        artifact = artifact_create_from_file(path=path)
        JobOutput.objects.create(job=job, path=relative, artifact=artifact)
        lines.append(f"{relative}\t{artifact.cid}\n")
    manifest = "".join(lines).encode()
    job.output_manifest = artifact_create_from_stream(stream=io.BytesIO(manifest))
    return "0x" + hashlib.sha256(manifest).hexdigest()
