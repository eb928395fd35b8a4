"""Faults around jobs: the broker down at submit, a queue that lost a job, a worker killed while
its job ran (metered to its last heartbeat), and hosts whose clocks are wrong."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chain.anvil import free_port
from compute import environments, services
from compute.models import ComputePolicy, ComputeUsage, Job
from compute.tests.helpers import buyer_with_licence, dataset_listing, environment, script
from core.clock import db_now
from marketplace.celery import app as celery_app
from payments.tests.access_helpers import api_for

S = Job.Status


def _reset_connections() -> None:
    # Celery keeps a connection pool per app; it must be rebuilt for another broker URL.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_at(monkeypatch):
    """Point the app (not inline) at a given broker for one test."""
    conf = celery_app.conf
    names = ("broker_url", "broker_write_url", "broker_read_url", "broker_transport_options")
    saved = {name: conf.get(name) for name in names} | {"task_always_eager": True}

    def point(url: str, options: dict | None = None) -> None:
        # Celery reads CELERY_BROKER_URL (set in CI) before its own settings.
        monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
        conf.update(broker_url=url, broker_write_url=url, broker_read_url=url)
        conf.update(broker_transport_options=options or {}, task_always_eager=False)
        _reset_connections()

    yield point
    monkeypatch.undo()
    conf.update(saved)
    _reset_connections()


@pytest.fixture
def broker_down(broker_at):
    """Call it to take the broker away: a Redis URL on a port where nothing listens, so every
    connection is refused."""
    return lambda: broker_at(f"redis://127.0.0.1:{free_port()}/0")


@pytest.fixture
def broker_up(broker_at, tmp_path):
    """A real broker of our own (the embedded default's kind), read back with kombu."""
    broker_at(f"sqlite:///{tmp_path / 'broker.sqlite3'}", {"timeout": 60})

    def messages(queue: str) -> list[tuple[str, list]]:
        found = []
        with celery_app.connection_for_read() as connection:
            simple = connection.SimpleQueue(queue)
            while True:
                try:
                    message = simple.get(block=True, timeout=1)
                except simple.Empty:
                    break
                found.append((message.headers["task"], message.decode()[0]))
                message.ack()
            simple.close()
        return found

    return messages


def _remaining(job: Job) -> int:
    policy = ComputePolicy.objects.get(listing=job.listing)
    return services.allowance_remaining_seconds(entitlement=job.entitlement, policy=policy)


@pytest.mark.django_db(transaction=True)
def test_a_job_submitted_while_the_broker_is_down_answers_503_and_reserves_nothing(
    compute_settings, broker_down
):
    listing = dataset_listing(hosts=[host := environment()], minutes=60)
    buyer = buyer_with_licence(listing)
    broker_down()
    response = api_for(buyer).post(
        "/api/v1/compute/jobs",
        {"listing": listing.slug, "environment": host.name, "algorithm": script("print(1)\n")},
        format="multipart",
    )
    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "queue_unavailable"
    job = Job.objects.get()
    assert job.status == S.FAILED and job.enqueued_at is None
    assert _remaining(job) == 60 * 60  # not one minute stays reserved
    assert not ComputeUsage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_job_submitted_with_the_broker_up_is_on_its_hosts_queue(compute_settings, broker_up):
    listing = dataset_listing(hosts=[host := environment()])
    job = services.job_submit(
        owner=buyer_with_licence(listing),
        listing=listing,
        request=services.JobRequest(environment=host.name, algorithm_file=script("print(1)\n")),
    )
    job.refresh_from_db()
    assert job.status == S.QUEUED and job.enqueued_at is not None
    assert broker_up(host.queue) == [("compute.tasks.job_run", [job.pk])]


@pytest.mark.django_db(transaction=True)
def test_the_watchdog_sends_again_queued_jobs_no_queue_holds(compute_settings, broker_up):
    listing = dataset_listing(hosts=[host := environment()])
    owner = buyer_with_licence(listing)
    jobs = [
        services.job_submit(
            owner=owner,
            listing=listing,
            request=services.JobRequest(environment=host.name, algorithm_file=script("1\n")),
        )
        for _ in range(3)
    ]
    assert len(broker_up(host.queue)) == 3  # drained: now no queue holds any of them
    margin = timedelta(seconds=compute_settings.COMPUTE_JOB_STALE_SECONDS)
    now = db_now()
    lost, never_sent, just_sent = jobs
    # Sent long ago, and the host checked in through the same queue well after: lost.
    Job.objects.filter(pk=lost.pk).update(enqueued_at=now - 3 * margin)
    # Saved, but the process died before sending it (the outbox case).
    Job.objects.filter(pk=never_sent.pk).update(enqueued_at=None, created_at=now - 2 * margin)
    host.last_seen_at = now
    host.save()
    assert sorted(environments.jobs_requeue_lost()) == sorted([lost.pk, never_sent.pk])
    assert sorted(args[0] for _, args in broker_up(host.queue)) == sorted([lost.pk, never_sent.pk])
    # A host that has not checked in since the job was sent may simply be busy: left alone.
    Job.objects.filter(pk=just_sent.pk).update(enqueued_at=now - 2 * margin)
    host.last_seen_at = now - 2 * margin + margin / 2
    host.save()
    assert just_sent.pk not in environments.jobs_requeue_lost()


def _running_job(host) -> Job:
    listing = dataset_listing(hosts=[host])
    job = services.job_submit(
        owner=buyer_with_licence(listing),
        listing=listing,
        request=services.JobRequest(environment=host.name, algorithm_file=script("1\n")),
    )
    job = services.job_set_status(job=job, to_status=S.STAGING)
    return services.job_set_status(job=job, to_status=S.RUNNING)


@pytest.mark.django_db
def test_a_job_whose_worker_was_killed_is_metered_from_start_to_last_heartbeat(
    compute_settings, django_capture_on_commit_callbacks
):
    host = environment(gpu_count=2)
    with django_capture_on_commit_callbacks(execute=False):
        job = _running_job(host)
    # It ran 95 s, its runner stamping the heartbeat, then the worker was SIGKILLed: silence.
    now = db_now()
    stale = timedelta(seconds=compute_settings.COMPUTE_JOB_STALE_SECONDS + 5)
    started = now - stale - timedelta(seconds=95)
    Job.objects.filter(pk=job.pk).update(started_at=started, heartbeat_at=now - stale)
    assert environments.jobs_fail_stale() == [job.pk]
    job.refresh_from_db()
    assert job.status == S.FAILED
    usage = ComputeUsage.objects.get(job=job)
    assert (usage.wall_seconds, usage.gpu_seconds, usage.metered_seconds) == (95, 190, 190)
    assert environments.jobs_fail_stale() == []  # metered once


@pytest.fixture
def host_clock(monkeypatch):
    """Set this host's clock off by some seconds (the database's clock is not this host's)."""
    real_now = timezone.now

    def skew(seconds: float) -> None:
        monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(seconds=seconds))

    return skew


@pytest.mark.django_db
def test_heartbeats_and_the_watchdog_use_the_database_clock_not_the_hosts(
    compute_settings, host_clock, django_capture_on_commit_callbacks
):
    host = environment()
    with django_capture_on_commit_callbacks(execute=False):
        job = _running_job(host)  # its runner just stamped the heartbeat
    # The GPU host's clock runs ten minutes slow when it checks in...
    host_clock(-600)
    environments.environment_heartbeat(name=host.name)
    host.refresh_from_db()
    assert abs((host.last_seen_at - db_now()).total_seconds()) < 60
    # ... and beat's host runs ten minutes fast when the watchdog looks.
    host_clock(+600)
    assert environments.environments_mark_stale() == 0
    assert environments.jobs_fail_stale() == []
    host.refresh_from_db()
    job.refresh_from_db()
    assert host.status == "online" and job.status == S.RUNNING
