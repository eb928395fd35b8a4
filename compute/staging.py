"""The job's staging area on the host: its inputs copied from the artifact store by CID and
checked against their sha256, the algorithm, and an empty /out. Everything but /out is made
read-only; the sandbox binds it read-only as well."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings

from artifacts.storage import storage_for
from artifacts.storage.base import StorageError
from compute.models import Job

COPY_BLOCK = 1024 * 1024


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
        for item in job.inputs.select_related("artifact"):
            base = self.data if item.mount == "data" else self.inputs
            _copy_verified(item.artifact, _inside(base, item.path), label=item.path)
        _copy_verified(job.algorithm, _inside(self.algo, job.entry_point), label="the algorithm")
        for base in (self.algo, self.data, self.inputs):
            _read_only(base)

    def cleanup(self) -> None:
        if self.root.exists():
            for path in [self.root, *self.root.rglob("*")]:
                if path.is_dir() and not path.is_symlink():
                    path.chmod(0o700)  # read-only directories cannot be emptied otherwise
            shutil.rmtree(self.root, ignore_errors=True)


def _inside(base: Path, relative: str) -> Path:
    """`relative` under `base`; a path that would climb out is refused, not trusted."""
    parts = PurePosixPath(relative).parts
    if not parts or PurePosixPath(relative).is_absolute() or ".." in parts:
        raise StagingError(f"Refusing the input path {relative!r}.")
    target = base.joinpath(*parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _copy_verified(artifact, target: Path, *, label: str) -> None:
    digest = hashlib.sha256()
    try:
        with storage_for(artifact).open(artifact.cid) as source, open(target, "wb") as sink:
            while block := source.read(COPY_BLOCK):
                digest.update(block)
                sink.write(block)
    except (OSError, StorageError) as exc:
        raise StagingError(f"Could not stage {label} ({artifact.cid}): {exc}") from exc
    if digest.hexdigest() != artifact.sha256:
        raise StagingError(f"{label} ({artifact.cid}) does not match its sha256; not run.")


def _read_only(base: Path) -> None:
    for path in sorted(base.rglob("*"), reverse=True):
        path.chmod(0o555 if path.is_dir() else 0o444)
    base.chmod(0o555)
