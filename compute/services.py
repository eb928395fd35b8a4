"""Writes for jobs: the one status door (`job_set_status`), submitting a job with every check
made before it is queued, and cancelling.

Submission errors (all before anything is queued):
- `compute_licence_required` 403: no live compute (or both) licence for the listing.
- `compute_not_offered` 409: the listing has no compute policy, or no released version.
- `algorithm_not_allowed` 403: a raw script where the listing allows only trusted ones.
- `algorithm_not_found` 400, `entry_point_invalid` 400, `environment_not_allowed` 400.
- `environment_unavailable` 409: the host is draining or offline.
- `too_many_jobs` 429: the person has COMPUTE_MAX_ACTIVE_JOBS_PER_USER jobs queued or running.
- `compute_minutes_exhausted` 402: the licence's GPU-minutes are used up (402: more minutes
  are bought, like any licence; nothing about the request itself is wrong).
- `queue_unavailable` 503 (after the job was saved): the broker did not take the job; the job
  is failed at once so none of the licence's minutes stay reserved, and the client retries."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from kombu.exceptions import KombuError

from artifacts.models import Artifact
from artifacts.services import artifact_create_from_stream
from compute.models import (
    FINISHED,
    ComputeEnvironment,
    ComputePolicy,
    ComputeUsage,
    Job,
    JobInput,
    JobStatusChange,
)
from core.clock import db_now
from core.errors import ApiError
from core.transitions import transition_check, transition_record
from listings.models import Listing
from listings.moderation import checks
from listings.selectors import artifacts_publishable_by
from notifications.models import Notification
from notifications.services import notify
from payments.models import Entitlement
from payments.selectors import COMPUTE_KINDS, entitlement_active

logger = logging.getLogger(__name__)
S = Job.Status
# What publishing raises when the broker is down or unreachable (after kombu's own retries).
BROKER_ERRORS = (KombuError,)
# The one table of allowed status changes.
TRANSITIONS = {
    (S.QUEUED, S.STAGING),
    (S.QUEUED, S.CANCELLED),
    (S.QUEUED, S.FAILED),
    (S.STAGING, S.RUNNING),
    (S.STAGING, S.FAILED),
    (S.STAGING, S.CANCELLED),
    (S.RUNNING, S.PUBLISHING),
    (S.RUNNING, S.FAILED),
    (S.RUNNING, S.CANCELLED),
    (S.RUNNING, S.TIMED_OUT),
    (S.PUBLISHING, S.SUCCEEDED),
    (S.PUBLISHING, S.FAILED),
}
# \Z, not $: "$" also matches before a trailing newline ("main.py\n").
ENTRY_POINT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,95}\.py\Z")
INPUT_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_. -]{0,200}\Z")


class InvalidTransition(ApiError):
    def __init__(self, job: Job, to_status: str):
        message = f"A {job.get_status_display().lower()} job cannot become {to_status}."
        super().__init__(message, code="invalid_transition", status=409)


@transaction.atomic
def job_set_status(*, job: Job, to_status: str, reason: str = "", actor=None, **fields) -> Job:
    """Move the job (re-read under a row lock) to `to_status`, stamping its times and any
    `fields` (exit_code...), and record the change. Raises InvalidTransition otherwise."""
    locked = Job.objects.select_for_update().get(pk=job.pk)
    transition_check(
        TRANSITIONS, locked.status, to_status, lambda: InvalidTransition(locked, to_status)
    )
    now = db_now()  # heartbeats and the watchdog share the database's clock
    transition_record(
        JobStatusChange,
        job=locked,
        from_status=locked.status,
        to_status=to_status,
        reason=reason,
        actor=actor,
    )
    locked.status, locked.heartbeat_at = to_status, now
    if reason:
        locked.reason = reason
    if to_status == S.RUNNING:
        locked.started_at = now
    if to_status in FINISHED:
        locked.finished_at = now
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.save()
    if to_status in FINISHED and (actor is None or actor.pk != locked.owner_id):
        _notify_finished(locked)
    return locked


def _notify_finished(job: Job) -> None:
    """The owner hears how the job ended (not when they cancelled it themselves)."""
    notify(
        recipient=job.owner,
        kind=Notification.Kind.JOB,
        title=f"Your job on {job.listing.title} {FINISHED_WORDS.get(job.status, job.status)}",
        body=job.reason,
        url=reverse("compute:job", args=[job.uuid]),
        key=f"job:{job.pk}:{job.status}",
    )


FINISHED_WORDS = {
    S.SUCCEEDED: "succeeded",
    S.FAILED: "failed",
    S.CANCELLED: "was cancelled",
    S.TIMED_OUT: "ran out of time",
}


def job_cancel(*, job: Job, actor) -> Job:
    """The runner sees the status and kills the sandbox within a poll interval."""
    if job.is_finished:
        raise ApiError("The job has already finished.", code="job_finished", status=409)
    return job_set_status(
        job=job, to_status=S.CANCELLED, reason="Cancelled by its owner.", actor=actor
    )


# --- Allowance --------------------------------------------------------------------------------


def allowance_remaining_seconds(*, entitlement: Entitlement, policy: ComputePolicy) -> int:
    """Metered seconds left on the licence: the allowance less what finished jobs used and
    what running ones may still use (their whole time limit is reserved)."""
    allowance = policy.minutes_per_licence * 60 * entitlement.balance
    used = ComputeUsage.objects.filter(entitlement=entitlement).aggregate(
        total=Sum("metered_seconds")
    )["total"]
    reserved = sum(
        job.time_limit_seconds * max(job.environment.gpu_count, 1)
        for job in Job.objects.filter(entitlement=entitlement)
        .exclude(status__in=FINISHED)
        .select_related("environment")
    )
    return allowance - (used or 0) - reserved


# --- Submission -------------------------------------------------------------------------------


@dataclass
class JobRequest:
    environment: str
    entry_point: str = ""
    algorithm_cid: str = ""
    algorithm_file: object = None  # an uploaded file (a raw script), instead of a CID
    inputs: tuple = ()  # uploaded files, staged under /inputs by name
    max_seconds: int | None = None


@transaction.atomic
def job_submit(*, owner, listing: Listing, request: JobRequest) -> Job:
    """Check everything, then create the job and queue it on its host after commit."""
    _check_active_jobs(owner)
    entitlement = entitlement_active(address=owner.address, listing=listing, kinds=COMPUTE_KINDS)
    if entitlement is None:
        raise ApiError(
            "Running jobs on this listing needs a compute licence.",
            code="compute_licence_required",
            status=403,
        )
    policy = ComputePolicy.objects.filter(listing=listing).first()
    version = listing.versions.order_by("-created_at", "-id").first()
    if policy is None or version is None:
        raise ApiError("This listing offers no compute.", code="compute_not_offered", status=409)
    # Only scanned-clean files are staged (409 `scanning` while a scan is due).
    checks.check_files_cleared(checks.file_checks(list(version.files.select_related("artifact"))))
    environment = _environment(policy, request.environment)
    time_limit = _time_limit(entitlement, policy, environment, request.max_seconds)
    _check_inputs(request.inputs)
    # Last: it stores an uploaded script, so every other check has passed by then.
    algorithm, entry_point, trusted = _algorithm(policy, request, owner)
    job = Job.objects.create(
        owner=owner,
        listing=listing,
        version=version,
        environment=environment,
        entitlement=entitlement,
        algorithm=algorithm,
        entry_point=entry_point,
        trusted_algorithm=trusted,
        time_limit_seconds=time_limit,
    )
    JobStatusChange.objects.create(job=job, from_status="", to_status=S.QUEUED, actor=owner)
    JobInput.objects.bulk_create(
        [
            JobInput(job=job, mount="data", path=f.path, artifact=f.artifact)
            for f in version.files.all()
        ]
        + [
            JobInput(job=job, mount="inputs", path=upload.name, artifact=_store(upload))
            for upload in request.inputs
        ]
    )
    # After commit, so the worker finds the job; raises QueueUnavailable (503) out of here.
    transaction.on_commit(lambda: job_enqueue(job=job))
    return job


def _check_active_jobs(owner) -> None:
    """A per-person cap on queued and running jobs (each reserves minutes and a host slot)."""
    active = Job.objects.filter(owner=owner).exclude(status__in=FINISHED).count()
    if active >= settings.COMPUTE_MAX_ACTIVE_JOBS_PER_USER:
        raise ApiError(
            f"You have {active} jobs queued or running; the limit is "
            f"{settings.COMPUTE_MAX_ACTIVE_JOBS_PER_USER}. Wait for one to finish or cancel one.",
            code="too_many_jobs",
            status=429,
        )


class QueueUnavailable(ApiError):
    def __init__(self):
        super().__init__(
            "The job queue cannot be reached right now; nothing was charged. Try again shortly.",
            code="queue_unavailable",
            status=503,
        )


def job_enqueue(*, job: Job) -> None:
    """Hand the job to its host's queue. When the broker cannot take it, fail the job at once
    (a queued job nobody will run would keep its minutes reserved) and raise QueueUnavailable."""
    if job_publish(job=job):
        return
    try:
        job_set_status(
            job=job,
            to_status=S.FAILED,
            reason="The job queue could not be reached when the job was submitted; "
            "nothing was charged.",
        )
    except InvalidTransition:
        pass  # cancelled meanwhile: nothing is reserved either
    raise QueueUnavailable()


def job_publish(*, job: Job) -> bool:
    """Send job_run_task to the host's queue and stamp `enqueued_at`; False if the broker failed.
    Sending twice is harmless: the runner takes a job only while it is queued."""
    from compute import tasks  # tasks → runner → services: imported when first needed

    try:
        tasks.job_run_task.apply_async((job.pk,), queue=job.environment.queue)
    except BROKER_ERRORS as exc:
        logger.warning("compute job %s: the broker did not take it: %r", job.uuid, exc)
        return False
    Job.objects.filter(pk=job.pk, status=S.QUEUED).update(enqueued_at=db_now())
    return True


def _environment(policy: ComputePolicy, name: str) -> ComputeEnvironment:
    environment = policy.environments.filter(name=name).first()
    if environment is None:
        raise ApiError(
            f"This listing cannot run on “{name}”.", code="environment_not_allowed", status=400
        )
    if environment.status != ComputeEnvironment.Status.ONLINE:
        raise ApiError(
            f"The host “{name}” is {environment.status} and takes no new jobs.",
            code="environment_unavailable",
            status=409,
        )
    return environment


def _algorithm(policy: ComputePolicy, request: JobRequest, owner):
    """(artifact, entry point, trusted row or None). Raw scripts only where allowed."""
    if request.algorithm_cid and not request.algorithm_file:
        trusted = (
            policy.algorithms.select_related("artifact")
            .filter(artifact__cid=request.algorithm_cid)
            .first()
        )
        if trusted is not None:
            return trusted.artifact, trusted.entry_point, trusted
    elif not request.algorithm_file:
        raise ApiError("Give an algorithm: a script or a CID.", code="algorithm_required")
    if not policy.allow_raw_algorithms:
        raise ApiError(
            "This listing runs only its trusted algorithms.",
            code="algorithm_not_allowed",
            status=403,
        )
    entry_point = request.entry_point or getattr(request.algorithm_file, "name", "")
    if not ENTRY_POINT.match(entry_point or ""):
        raise ApiError(
            "The entry point must be a file name ending in .py.", code="entry_point_invalid"
        )
    if request.algorithm_file:
        return _store(request.algorithm_file), entry_point, None
    # Only bytes the buyer uploaded or released: CIDs are public, and running someone else's
    # paid file as a "script" would leak it through the error messages in the log.
    artifact = artifacts_publishable_by(user=owner, cids=[request.algorithm_cid]).get(
        request.algorithm_cid
    )
    if artifact is None:
        raise ApiError(
            "No script of yours has that CID: upload it first.", code="algorithm_not_found"
        )
    return artifact, entry_point, None


def _time_limit(entitlement, policy, environment, requested: int | None) -> int:
    # Lock the licence: two submissions at once must not both spend the last minutes.
    Entitlement.objects.select_for_update().filter(pk=entitlement.pk).first()
    per_second = max(environment.gpu_count, 1)  # GPU-seconds per wall second
    remaining = allowance_remaining_seconds(entitlement=entitlement, policy=policy)
    if remaining < per_second:
        raise ApiError(
            "This licence's compute minutes are used up.",
            code="compute_minutes_exhausted",
            status=402,
        )
    limit = min(environment.max_duration_seconds, remaining // per_second)
    return max(min(limit, requested), 1) if requested else limit


def _check_inputs(uploads) -> None:
    if len(uploads) > settings.COMPUTE_MAX_INPUT_FILES:
        raise ApiError(f"At most {settings.COMPUTE_MAX_INPUT_FILES} input files.", code="inputs")
    names = [upload.name for upload in uploads]
    if len(set(names)) != len(names) or not all(INPUT_NAME.match(name) for name in names):
        raise ApiError("Input file names must be distinct plain file names.", code="inputs")


def _store(upload) -> Artifact:
    if upload.size > settings.COMPUTE_UPLOAD_MAX_BYTES:
        raise ApiError(
            f"“{upload.name}” is larger than {settings.COMPUTE_UPLOAD_MAX_BYTES} bytes.",
            code="file_too_large",
            status=413,
        )
    return artifact_create_from_stream(stream=upload)
