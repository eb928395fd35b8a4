"""Garbage collection of buyers' job inputs: the files a buyer uploads with a job are theirs
and only that job's, so they are deleted (rows and bytes) once the job has been finished for
settings.COMPUTE_INPUT_RETENTION_DAYS. The receipt keeps their digests."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from artifacts.models import Artifact
from artifacts.storage import storage_for
from artifacts.storage.base import StorageError
from compute.models import JobInput


def job_inputs_purge(*, now: datetime | None = None) -> int:
    """Forget the /inputs files of jobs finished before the retention window, and delete each
    artifact nothing else refers to (a version's file, an upload, another job: their
    PROTECT foreign keys keep it). Returns how many artifacts were deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.COMPUTE_INPUT_RETENTION_DAYS)
    old = JobInput.objects.filter(mount=JobInput.Mount.INPUTS, job__finished_at__lt=cutoff)
    artifact_ids = set(old.values_list("artifact_id", flat=True))
    old.delete()
    deleted = 0
    for artifact in Artifact.objects.filter(pk__in=artifact_ids):
        storage, cid = storage_for(artifact), artifact.cid
        try:
            with transaction.atomic():
                artifact.delete()
        except ProtectedError:
            continue  # still someone's file
        try:
            storage.delete(cid)
        except StorageError:
            pass  # the row is gone; orphaned bytes are only disk space
        deleted += 1
    return deleted
