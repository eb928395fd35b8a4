"""`make run`'s embedded broker under concurrent use: several producer processes and several
real Celery worker processes (prefork, as `runstack` starts them) exchange messages of random
sizes with checksums; nothing is lost, received twice or corrupted, and no worker dies. (The
filesystem transport it replaces lost workers to half-written message files this way.) A long
run: `.venv/bin/python tools/broker_stress.py --minutes 10`."""

import importlib.util
import subprocess
import sys

from django.conf import settings


def _stress_tool():
    spec = importlib.util.spec_from_file_location(
        "broker_stress_tool", settings.BASE_DIR / "tools" / "broker_stress.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_embedded_default_broker_is_sqlite_through_sqlalchemy(tmp_path):
    # The suite may run on Redis (CI); `make run` with no CELERY_BROKER_URL gets this one.
    code = "from django.conf import settings; print(settings.CELERY_BROKER_URL)"
    env = {"DJANGO_SETTINGS_MODULE": "marketplace.settings", "VAR_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == f"sqla+sqlite:///{tmp_path / 'celery-broker.sqlite3'}"


def test_producers_and_worker_processes_lose_duplicate_and_corrupt_nothing(tmp_path):
    report = _stress_tool().run(
        producers=3, consumers=2, messages=120, timeout=180, workdir=tmp_path
    )
    assert report["sent"] == 360
    assert report["lost"] == 0, report
    assert report["duplicated"] == 0, report
    assert report["corrupted"] == 0, report
    assert report["workers_died"] == [], report
    assert report["worker_errors"] == [], report


def test_runstack_sweeps_delivered_messages_from_the_embedded_broker(tmp_path):
    from kombu import Connection

    from marketplace.management.commands.runstack import broker_sweep

    url = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    with Connection(url) as connection:
        queue = connection.SimpleQueue("sweep")
        for n in range(3):
            queue.put({"n": n})
        delivered = queue.get(timeout=5)
        delivered.ack()
        assert broker_sweep(url) == 1  # the delivered one only
        assert sorted(queue.get(timeout=5).payload["n"] for _ in range(2)) == [1, 2]
        queue.close()
    assert broker_sweep("redis://127.0.0.1:6379/0") == 0
