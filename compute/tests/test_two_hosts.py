"""Two simulated hosts: two real `celery -A marketplace worker -Q compute.<host>` processes,
each consuming only its own queue, each running only its own jobs.

The worker processes must see the test database, so this needs a server database (PostgreSQL,
as CI runs with); SQLite's test database lives in this process's memory."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from compute import services
from compute.models import ComputeEnvironment, Job
from compute.tests.helpers import buyer_with_licence, dataset_listing, environment, script
from marketplace.celery import app as celery_app

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="worker processes need a shared database (run with DATABASE_URL=postgres://...)",
    ),
]


def worker(queue: str, name: str, log: Path) -> subprocess.Popen:
    db = connection.settings_dict
    credentials = f"{db['USER']}:{db['PASSWORD'] or ''}"
    address = f"{db['HOST']}:{db['PORT'] or 5432}"
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{credentials}@{address}/{db['NAME']}",
        "ARTIFACT_ROOT": str(settings.ARTIFACT_ROOT),
        "COMPUTE_STAGING_DIR": str(settings.COMPUTE_STAGING_DIR),
        "COMPUTE_ATTEST_RECEIPTS": "false",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "marketplace",
        "worker",
        "-Q",
        queue,
        "--pool",
        "solo",
        "-n",
        f"{name}@test",
        "--without-gossip",
        "--without-mingle",
    ]
    return subprocess.Popen(
        command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=settings.BASE_DIR
    )


def test_each_host_runs_only_its_own_jobs(compute_settings, tmp_path):
    suffix = uuid.uuid4().hex[:8]
    hosts = [environment(name=f"a-{suffix}"), environment(name=f"b-{suffix}")]
    listing = dataset_listing(hosts=hosts)
    buyer = buyer_with_licence(listing, balance=10)
    celery_app.conf.task_always_eager = False
    processes = []
    try:
        jobs = [
            services.job_submit(
                owner=buyer,
                listing=listing,
                request=services.JobRequest(
                    environment=host.name, algorithm_file=script("print('hi')\n")
                ),
            )
            for host in hosts * 2
        ]
        processes = [worker(h.queue, h.name, tmp_path / f"{h.name}.log") for h in hosts]
        deadline = time.monotonic() + 60
        while Job.objects.exclude(status="succeeded").exists():
            assert time.monotonic() < deadline, [j.status for j in Job.objects.all()]
            assert all(p.poll() is None for p in processes)
            time.sleep(0.3)
    finally:
        celery_app.conf.task_always_eager = True
        for process in processes:
            process.terminate()
            process.wait(timeout=20)
    for job in jobs:
        job.refresh_from_db()
        assert job.worker == f"{job.environment.name}@test"
    assert ComputeEnvironment.objects.count() == 2
