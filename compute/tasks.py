"""Celery tasks. `job_run_task` and `heartbeat` are sent to a host's own queue (compute.<name>);
the rest run on the platform's default workers (beat entries live in settings). A task that would
share its service's name ends in `_task` (grep finds one definition); `name=` keeps the name the
broker and queued messages know it by."""

import requests
from celery import shared_task
from django.conf import settings

from compute import environments, receipts, runner, staging
from compute.models import ComputeEnvironment


@shared_task(
    name="compute.tasks.job_run",
    # Not acks_late: a job re-delivered after a worker crash must not run twice; the watchdog
    # fails it instead. The sandbox enforces the job's own limit; this one (far above any
    # host's max duration) only stops a runner that is stuck itself.
    time_limit=settings.COMPUTE_RUNNER_TIME_LIMIT_SECONDS,
    bind=True,
)
def job_run_task(self, job_id: int) -> None:
    runner.job_run(job_id=job_id, worker=self.request.hostname or "")


@shared_task(ignore_result=True)
def heartbeat(name: str) -> None:
    """Runs on the host's own worker: proof that it is consuming its queue. Also removes
    what killed runners left in its staging directory."""
    environments.environment_heartbeat(name=name)
    staging.staging_sweep()


@shared_task(ignore_result=True)
def heartbeat_dispatch() -> None:
    """Beat: mark silent hosts offline, then ask every host (draining ones too) to check in."""
    environments.environments_mark_stale()
    interval = settings.COMPUTE_HEARTBEAT_SECONDS
    for environment in ComputeEnvironment.objects.all():
        heartbeat.apply_async((environment.name,), queue=environment.queue, expires=interval)


@shared_task(ignore_result=True)
def watchdog() -> None:
    environments.jobs_fail_stale()
    environments.jobs_requeue_lost()


@shared_task(
    name="compute.tasks.job_attest_receipt",
    acks_late=True,  # idempotent: an attested job is not attested again
    autoretry_for=(requests.ConnectionError, requests.Timeout),
    retry_backoff=True,
    max_retries=8,
    soft_time_limit=120,
    time_limit=180,
)
def job_attest_receipt_task(job_id: int) -> str:
    return receipts.job_attest_receipt(job_id=job_id)


@shared_task(ignore_result=True, acks_late=True, soft_time_limit=600, time_limit=660)
def job_inputs_purge_task() -> int:
    """Delete the uploaded inputs of jobs finished past the retention window (idempotent)."""
    from compute.retention import job_inputs_purge

    return job_inputs_purge()
