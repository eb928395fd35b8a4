"""The job's staging area on the host: its inputs copied from the artifact store by CID and
checked against their sha256, the algorithm, and an empty /out. Everything but /out is made
read-only; the sandbox binds it read-only as well."""

from __future__ import annotations

import hashlib
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings

from artifacts.storage import storage_for
from artifacts.storage.base import StorageError
from compute.models import FINISHED, Job
from core.clock import db_now
from core.errors import ApiError
from listings.models import VersionFile
from listings.moderation import checks

COPY_BLOCK = 1024 * 1024
HEARTBEAT_SECONDS = 5.0


class StagingError(Exception):
    """An input could not be staged; the message is the job's failure reason."""


@dataclass
class Staging:
    root: Path

    @classmethod
    def for_job(cls, job: Job) -> Staging:
        return cls(Path(settings.COMPUTE_STAGING_DIR) / job.uuid.hex)

    @property
    def algo(self) -> Path:
        return self.root / "algo"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def inputs(self) -> Path:
        return self.root / "inputs"

    @property
    def out(self) -> Path:
        return self.root / "out"

    def prepare(self, job: Job) -> None:
        self.cleanup()
        for directory in (self.algo, self.data, self.inputs, self.out):
            directory.mkdir(parents=True)
        self.root.chmod(0o755)
        _check_cleared(job)
        beat = _Heartbeat(job)
        for item in job.inputs.select_related("artifact"):
            base = self.data if item.mount == "data" else self.inputs
            _copy_verified(item.artifact, _inside(base, item.path), label=item.path, beat=beat)
        _copy_verified(
            job.algorithm, _inside(self.algo, job.entry_point), label="the algorithm", beat=beat
        )
        for base in (self.algo, self.data, self.inputs):
            _read_only(base)

    def cleanup(self) -> None:
        if self.root.exists():
            try:
                for path in [self.root, *self.root.rglob("*")]:
                    if path.is_dir() and not path.is_symlink():
                        path.chmod(0o700)  # read-only directories cannot be emptied otherwise
            except FileNotFoundError:
                pass  # the runner and the host's sweep both cleaning: either one finishes it
            shutil.rmtree(self.root, ignore_errors=True)


def staging_sweep() -> list[str]:
    """Remove the staging areas of jobs that have finished: a runner killed outright (the
    task's hard time limit, an OOM kill, a host reboot) never reached its own cleanup, and
    the copies of the paid files would stay on the host. Runs on the host (its heartbeat);
    only directories named after a job's uuid are touched."""
    root = Path(settings.COMPUTE_STAGING_DIR)
    named = {}
    for path in root.iterdir() if root.is_dir() else ():
        try:
            named[uuid.UUID(hex=path.name)] = path
        except ValueError:
            continue
    if not named:
        return []
    active = set(
        Job.objects.filter(uuid__in=named)
        .exclude(status__in=FINISHED)
        .values_list("uuid", flat=True)
    )
    removed = []
    for job_uuid, path in named.items():
        if job_uuid not in active and path.name == job_uuid.hex:
            Staging(path).cleanup()
            removed.append(path.name)
    return removed


def _check_cleared(job: Job) -> None:
    """The listing's files reach the job only when scanned clean (a pickle that runs code on
    load would run next to the data, with the job's own outputs as its way out)."""
    data = job.inputs.filter(mount="data").select_related("artifact")
    rows = checks.file_checks([VersionFile(artifact=i.artifact, path=i.path) for i in data])
    try:
        checks.check_files_cleared(rows)
    except ApiError as exc:
        raise StagingError(f"Not staged: {exc.message}") from exc


def _inside(base: Path, relative: str) -> Path:
    """`relative` under `base`; a path that would climb out is refused, not trusted."""
    parts = PurePosixPath(relative).parts
    if not parts or PurePosixPath(relative).is_absolute() or ".." in parts:
        raise StagingError(f"Refusing the input path {relative!r}.")
    target = base.joinpath(*parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


class _Heartbeat:
    """Stamps the job's heartbeat while inputs are copied: staging a large dataset takes longer
    than COMPUTE_JOB_STALE_SECONDS, and the watchdog would fail a job that is only staging."""

    def __init__(self, job: Job):
        self.job_id, self.stamped = job.pk, time.monotonic()

    def __call__(self) -> None:
        if time.monotonic() - self.stamped >= HEARTBEAT_SECONDS:
            self.stamped = time.monotonic()
            Job.objects.filter(pk=self.job_id).update(heartbeat_at=db_now())


def _copy_verified(artifact, target: Path, *, label: str, beat=lambda: None) -> None:
    digest = hashlib.sha256()
    try:
        with storage_for(artifact).open(artifact.cid) as source, open(target, "wb") as sink:
            while block := source.read(COPY_BLOCK):
                digest.update(block)
                sink.write(block)
                beat()
    except (OSError, StorageError) as exc:
        raise StagingError(f"Could not stage {label} ({artifact.cid}): {exc}") from exc
    if digest.hexdigest() != artifact.sha256:
        raise StagingError(f"{label} ({artifact.cid}) does not match its sha256; not run.")


def _read_only(base: Path) -> None:
    for path in sorted(base.rglob("*"), reverse=True):
        path.chmod(0o555 if path.is_dir() else 0o444)
    base.chmod(0o555)
