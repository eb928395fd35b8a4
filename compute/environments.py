"""Hosts' liveness and the watchdog.

A beat task sends a `heartbeat` task to each host's own queue; only that host's worker can run
it, so a host whose worker is gone stops stamping `last_seen_at` and goes offline. Draining is
an operator's choice and survives heartbeats: the host finishes its jobs and takes no new ones.
The watchdog fails jobs whose runner stopped stamping its heartbeat (a crashed or killed
worker), so no job stays in staging or running forever, and queued jobs whose host went
offline. A job failed that way is metered from its start to its last heartbeat: the sandbox
ran at least that long. Queued jobs that their online host's queue has plainly lost are sent
again. Every stamp and every comparison uses the database's clock (core.clock)."""

import math
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from compute.models import ComputeEnvironment, ComputeUsage, Job
from compute.services import InvalidTransition, job_publish, job_set_status
from core.clock import db_now

E = ComputeEnvironment.Status


@transaction.atomic
def environment_heartbeat(*, name: str) -> ComputeEnvironment | None:
    """The host's worker is alive: stamp it, and bring it online unless it is draining."""
    environment = ComputeEnvironment.objects.select_for_update().filter(name=name).first()
    if environment is None:
        return None
    environment.last_seen_at = db_now()
    if environment.status == E.OFFLINE:
        environment.status = E.ONLINE
    environment.save(update_fields=["last_seen_at", "status"])
    return environment


def environment_set_draining(*, environment: ComputeEnvironment, draining: bool) -> None:
    """Drain (no new jobs) or undrain; an undrained host is online again if it is alive."""
    if draining:
        status = E.DRAINING
    else:
        status = E.ONLINE if _alive(environment, db_now()) else E.OFFLINE
    ComputeEnvironment.objects.filter(pk=environment.pk).update(status=status)


def environments_mark_stale(*, now=None) -> int:
    """Online hosts with no heartbeat for COMPUTE_HOST_STALE_SECONDS go offline."""
    now = now or db_now()
    cutoff = now - timedelta(seconds=settings.COMPUTE_HOST_STALE_SECONDS)
    stale = ComputeEnvironment.objects.filter(status=E.ONLINE).exclude(last_seen_at__gte=cutoff)
    return stale.update(status=E.OFFLINE)


def _alive(environment: ComputeEnvironment, now) -> bool:
    seen = environment.last_seen_at
    return seen is not None and now - seen < timedelta(seconds=settings.COMPUTE_HOST_STALE_SECONDS)


ACTIVE = (Job.Status.STAGING, Job.Status.RUNNING, Job.Status.PUBLISHING)


def jobs_fail_stale(*, now=None) -> list[int]:
    """Fail jobs whose runner went silent: no heartbeat for COMPUTE_JOB_STALE_SECONDS (the
    runner stamps it every few seconds), or still active well past their time limit."""
    now = now or db_now()
    silent = now - timedelta(seconds=settings.COMPUTE_JOB_STALE_SECONDS)
    failed = []
    for job in Job.objects.filter(status__in=ACTIVE).select_related("environment"):
        overdue = job.started_at and now > job.started_at + timedelta(
            seconds=job.time_limit_seconds + settings.COMPUTE_JOB_STALE_SECONDS
        )
        if not (overdue or job.heartbeat_at is None or job.heartbeat_at < silent):
            continue
        reason = (
            f"The worker on {job.environment} stopped reporting (crashed or was killed); "
            "the job was failed by the watchdog."
        )
        last_heartbeat = job.heartbeat_at
        try:
            job = job_set_status(job=job, to_status=Job.Status.FAILED, reason=reason)
        except InvalidTransition:
            continue  # it finished meanwhile
        _meter_to_last_heartbeat(job, last_heartbeat)
        failed.append(job.pk)
    return failed + _fail_queued_on_offline_hosts(now)


def _meter_to_last_heartbeat(job: Job, last_heartbeat) -> None:
    """A killed runner metered nothing: charge from the start to the last heartbeat, the time
    the sandbox surely ran. (A runner that is still alive meters the exact time itself and
    replaces this row.) A job that never started ran nothing and costs nothing."""
    if job.started_at is None:
        return
    last = max(last_heartbeat or job.started_at, job.started_at)
    wall = max(math.ceil((last - job.started_at).total_seconds()), 1)
    gpus = job.environment.gpu_count
    try:
        with transaction.atomic():
            ComputeUsage.objects.create(
                entitlement_id=job.entitlement_id,
                job=job,
                wall_seconds=wall,
                gpu_seconds=wall * gpus,
                metered_seconds=wall * max(gpus, 1),
            )
    except IntegrityError:
        pass  # its runner metered it meanwhile


def _fail_queued_on_offline_hosts(now) -> list[int]:
    """A queued job waits on its host's own queue: if the host went offline it may never run,
    and it would keep its licence's minutes reserved. Failed once queued for longer than a
    stale runner gets; should the host come back, its runner finds the job failed and skips it.
    A host whose every slot is busy looks offline too (its heartbeat task waits behind the
    jobs), so hosts still running a job (whose runners stamp it) are left alone."""
    cutoff = now - timedelta(seconds=settings.COMPUTE_JOB_STALE_SECONDS)
    busy = Job.objects.filter(status__in=ACTIVE).values("environment_id")
    waiting = (
        Job.objects.filter(
            status=Job.Status.QUEUED, environment__status=E.OFFLINE, created_at__lt=cutoff
        )
        .exclude(environment_id__in=busy)
        .select_related("environment")
    )
    failed = []
    for job in waiting:
        reason = (
            f"The host {job.environment} went offline before the job started; "
            "its reserved minutes are released."
        )
        try:
            job_set_status(job=job, to_status=Job.Status.FAILED, reason=reason)
        except InvalidTransition:
            continue  # its runner took it meanwhile
        failed.append(job.pk)
    return failed


def jobs_requeue_lost(*, now=None) -> list[int]:
    """Queued jobs on an online host that no queue holds any more, sent again:
    - never handed to the broker (the web process died between saving and sending), once
      older than a stale runner gets;
    - sent, but the host has checked in since by a heartbeat sent through the same queue well
      after the job (the queue is first in, first out, so the job would have been taken
      before it): the message is gone, e.g. a broker restarted without its messages.
    A second copy is harmless: the runner takes a job only while it is queued."""
    now = now or db_now()
    margin = timedelta(seconds=settings.COMPUTE_JOB_STALE_SECONDS)
    candidates = Job.objects.filter(
        Q(enqueued_at__isnull=True, created_at__lt=now - margin) | Q(enqueued_at__lt=now - margin),
        status=Job.Status.QUEUED,
        environment__status=E.ONLINE,
    ).select_related("environment")
    sent = []
    for job in candidates:
        seen = job.environment.last_seen_at
        lost = job.enqueued_at is None or (seen is not None and seen > job.enqueued_at + margin)
        if lost and job_publish(job=job):
            sent.append(job.pk)
    return sent
