"""Cancel, the watchdog, heartbeats and draining."""

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from compute import environments, runner, services, tasks
from compute.models import ComputeEnvironment, ComputeUsage, Job
from compute.tests.helpers import buyer_with_licence, dataset_listing, environment, log_of, script

S = Job.Status


def queued_job(host, source: str, django_capture_on_commit_callbacks) -> Job:
    listing = dataset_listing(hosts=[host])
    with django_capture_on_commit_callbacks(execute=False):  # queued, not run
        return services.job_submit(
            owner=buyer_with_licence(listing),
            listing=listing,
            request=services.JobRequest(environment=host.name, algorithm_file=script(source)),
        )


def sleeping_job_running(monkeypatch):
    """A job sleeping in a real sandbox, its runner in a thread (committed for real: the test
    runs the job itself instead of queueing it). Returns (job, thread, when it started)."""
    monkeypatch.setattr(services, "job_enqueue", lambda job: None)
    source = "import time\nprint('up', flush=True)\ntime.sleep(60)\n"
    listing = dataset_listing(hosts=[host := environment()])
    job = services.job_submit(
        owner=buyer_with_licence(listing),
        listing=listing,
        request=services.JobRequest(environment=host.name, algorithm_file=script(source)),
    )
    thread = threading.Thread(target=runner.job_run, kwargs={"job_id": job.pk})
    started = time.monotonic()
    thread.start()
    while not Job.objects.filter(pk=job.pk, status=S.RUNNING).exists():
        assert time.monotonic() - started < 10
        time.sleep(0.05)
    return job, thread, started


@pytest.mark.django_db(transaction=True)
def test_cancel_kills_a_running_sandbox(compute_settings, monkeypatch):
    job, thread, started = sleeping_job_running(monkeypatch)
    services.job_cancel(job=job, actor=job.owner)
    thread.join(timeout=10)
    assert not thread.is_alive() and time.monotonic() - started < 5
    job.refresh_from_db()
    assert job.status == S.CANCELLED
    assert "[runner] Cancelled" in log_of(job)
    assert not list((compute_settings.COMPUTE_STAGING_DIR).iterdir())  # cleaned up


@pytest.mark.django_db(transaction=True)
def test_a_job_the_watchdog_failed_stops_running(compute_settings, monkeypatch):
    """A runner the watchdog gave up on (stalled, then back) must not keep the sandbox going."""
    job, thread, started = sleeping_job_running(monkeypatch)
    services.job_set_status(job=job, to_status=S.FAILED, reason="The watchdog failed it.")
    thread.join(timeout=10)
    assert not thread.is_alive() and time.monotonic() - started < 5
    job.refresh_from_db()
    assert job.status == S.FAILED and job.reason == "The watchdog failed it."
    assert "[runner] Stopped: the job is failed" in log_of(job)
    assert ComputeUsage.objects.filter(job=job).exists()  # the time it ran is metered


@pytest.mark.django_db
def test_a_cancelled_queued_job_never_runs(compute_settings, django_capture_on_commit_callbacks):
    job = queued_job(environment(), "print(1)\n", django_capture_on_commit_callbacks)
    services.job_cancel(job=job, actor=job.owner)
    runner.job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == S.CANCELLED and job.started_at is None


@pytest.mark.django_db
def test_the_watchdog_fails_a_job_whose_worker_died(
    compute_settings, django_capture_on_commit_callbacks
):
    job = queued_job(environment(), "print(1)\n", django_capture_on_commit_callbacks)
    job = services.job_set_status(job=job, to_status=S.STAGING)
    job = services.job_set_status(job=job, to_status=S.RUNNING)
    assert environments.jobs_fail_stale() == []  # its runner stamped it just now
    stale = timezone.now() - timedelta(seconds=compute_settings.COMPUTE_JOB_STALE_SECONDS + 1)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=stale)
    tasks.watchdog()
    job.refresh_from_db()
    assert job.status == S.FAILED and "stopped reporting" in job.reason


@pytest.mark.django_db
def test_heartbeats_drain_and_staleness(settings, compute_settings):
    host = environment(status=ComputeEnvironment.Status.OFFLINE, last_seen_at=None)
    tasks.heartbeat(host.name)  # what the host's worker runs from its queue
    host.refresh_from_db()
    assert host.status == "online" and host.last_seen_at is not None
    environments.environment_set_draining(environment=host, draining=True)
    tasks.heartbeat(host.name)
    host.refresh_from_db()
    assert host.status == "draining"  # heartbeats do not undrain
    environments.environment_set_draining(environment=host, draining=False)
    host.refresh_from_db()
    assert host.status == "online"
    later = timezone.now() + timedelta(seconds=settings.COMPUTE_HOST_STALE_SECONDS + 1)
    assert environments.environments_mark_stale(now=later) == 1
    host.refresh_from_db()
    assert host.status == "offline"
