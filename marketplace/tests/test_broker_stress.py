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


def test_the_embedded_default_broker_is_a_sqlite_file(tmp_path):
    # The suite may run on Redis (CI); `make run` with no CELERY_BROKER_URL gets this one.
    code = "from django.conf import settings; print(settings.CELERY_BROKER_URL)"
    env = {"DJANGO_SETTINGS_MODULE": "marketplace.settings", "VAR_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == f"sqlite:///{tmp_path / 'celery-broker.sqlite3'}"


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


def test_a_delivered_message_leaves_the_file_and_the_rest_wait_in_order(tmp_path):
    # Acknowledging a message deletes its row: the file does not grow by every task ever sent.
    from kombu import Connection

    url = f"sqlite:///{tmp_path / 'broker.sqlite3'}"
    with Connection(url) as connection:
        queue = connection.SimpleQueue("order")
        for n in range(3):
            queue.put({"n": n})
        first = queue.get(timeout=5)
        first.ack()
        assert first.payload == {"n": 0}
        assert _rows(tmp_path / "broker.sqlite3") == 2
        rest = [queue.get(timeout=5) for _ in range(2)]
        assert [message.payload["n"] for message in rest] == [1, 2]
        assert _rows(tmp_path / "broker.sqlite3") == 2  # taken, kept until acknowledged
        for message in rest:
            message.ack()
        assert _rows(tmp_path / "broker.sqlite3") == 0
        queue.close()


def test_a_message_taken_but_not_acknowledged_comes_back_when_the_consumer_stops(tmp_path):
    from kombu import Connection

    url = f"sqlite:///{tmp_path / 'broker.sqlite3'}"
    with Connection(url) as connection:
        queue = connection.SimpleQueue("restore")
        queue.put({"n": 1})
        taken = queue.get(timeout=5)
        assert taken.payload == {"n": 1}
        queue.close()  # stops without acknowledging: kombu puts it back
    with Connection(url) as connection:
        queue = connection.SimpleQueue("restore")
        again = queue.get(timeout=5)
        again.ack()
        assert again.payload == {"n": 1}
        queue.close()


def test_two_consumers_never_take_the_same_message(tmp_path):
    # Each consumer takes in its own IMMEDIATE transaction: 200 messages, two connections
    # polling at once in threads, each message received exactly once.
    import threading

    from kombu import Connection

    url = f"sqlite:///{tmp_path / 'broker.sqlite3'}"
    with Connection(url) as connection:
        queue = connection.SimpleQueue("race")
        for n in range(200):
            queue.put({"n": n})
        queue.close()
    received: list[int] = []

    def consume():
        with Connection(url) as connection:
            queue = connection.SimpleQueue("race")
            while True:
                try:
                    message = queue.get(timeout=1)
                except queue.Empty:
                    break
                received.append(message.payload["n"])
                message.ack()
            queue.close()

    threads = [threading.Thread(target=consume) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(received) == list(range(200))


def _rows(path) -> int:
    import sqlite3

    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM broker_message").fetchone()[0]


def test_messages_left_in_a_broker_file_of_the_sqlalchemy_transport_are_delivered(tmp_path):
    # `make run` keeps var/celery-broker.sqlite3: the file kombu's SQLAlchemy transport wrote
    # may still hold tasks nobody took yet (visible = 1). They must not be dropped silently.
    import sqlite3

    from kombu import Connection

    path = tmp_path / "broker.sqlite3"
    with Connection(f"sqlite:///{path}") as connection:  # payloads in kombu's shape (the same)
        queue = connection.SimpleQueue("old")
        for n in range(1, 4):
            queue.put({"n": n})
        queue.close()
    with sqlite3.connect(path) as db:
        payloads = [p for (p,) in db.execute("SELECT payload FROM broker_message ORDER BY id")]
        db.executescript(
            """
            DROP TABLE broker_message;
            CREATE TABLE kombu_queue (id INTEGER PRIMARY KEY, name VARCHAR(200) UNIQUE);
            CREATE TABLE kombu_message (
                id INTEGER PRIMARY KEY, visible BOOLEAN, timestamp DATETIME,
                payload TEXT NOT NULL, version SMALLINT NOT NULL,
                queue_id INTEGER REFERENCES kombu_queue (id)
            );
            INSERT INTO kombu_queue (id, name) VALUES (1, 'old');
            """
        )
        for payload, visible in zip(payloads, (0, 1, 1), strict=True):  # 1: delivered already
            db.execute(
                "INSERT INTO kombu_message (visible, payload, version, queue_id) "
                "VALUES (?, ?, 1, 1)",
                (visible, payload),
            )
    with Connection(f"sqlite:///{path}") as connection:
        queue = connection.SimpleQueue("old")
        got = []
        for _ in range(2):
            message = queue.get(timeout=5)
            got.append(message.payload["n"])
            message.ack()
        assert got == [2, 3]
        assert queue.qsize() == 0
        queue.close()
    with sqlite3.connect(path) as db:  # moved once: the old tables are gone
        assert not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'kombu_message'").fetchone()


def test_a_message_taken_by_a_consumer_that_is_killed_is_delivered_again(tmp_path):
    # A worker killed outright (out of memory, runstack's SIGKILL after the grace period) never
    # puts back what it held: acks_late tasks count on being delivered again after a crash.
    import time

    from kombu import Connection

    url = f"sqlite:///{tmp_path / 'broker.sqlite3'}"
    options = {"visibility_timeout": 1}
    with Connection(url, transport_options=options) as connection:
        queue = connection.SimpleQueue("killed")
        queue.put({"n": 1})
        queue.close()
    code = (
        "import os, signal, marketplace.celery\n"
        "from kombu import Connection\n"
        f"with Connection({url!r}, transport_options={options!r}) as connection:\n"
        "    taken = connection.SimpleQueue('killed').get(timeout=5)\n"
        "    assert taken.payload == {'n': 1}\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, timeout=60)
    assert done.returncode == -9
    time.sleep(1.5)  # past the visibility timeout
    with Connection(url, transport_options=options) as connection:
        queue = connection.SimpleQueue("killed")
        again = queue.get(timeout=5)
        assert again.payload == {"n": 1}
        again.ack()
        queue.close()
    assert _rows(tmp_path / "broker.sqlite3") == 0


def test_a_message_taken_without_acknowledgement_leaves_the_file_at_once(tmp_path):
    # Celery's own consumers (remote control, gossip, events) and basic_get(no_ack=True) never
    # acknowledge: what they take must not wait in the file to be delivered again.
    import time

    from kombu import Connection, Consumer, Queue

    url = f"sqlite:///{tmp_path / 'broker.sqlite3'}"
    options = {"visibility_timeout": 1}
    with Connection(url, transport_options=options) as connection:
        channel = connection.default_channel
        queue = Queue("noack", channel=channel)
        queue.declare()
        producer = connection.Producer(channel)
        for n in range(3):
            producer.publish({"n": n}, routing_key="noack")
        assert channel.basic_get("noack", no_ack=True).payload == {"n": 0}
        got = []
        with Consumer(channel, [queue], no_ack=True, callbacks=[lambda body, m: got.append(body)]):
            connection.drain_events(timeout=5)
            connection.drain_events(timeout=5)
        assert got == [{"n": 1}, {"n": 2}]
        assert _rows(tmp_path / "broker.sqlite3") == 0
        time.sleep(1.5)
        assert channel.basic_get("noack", no_ack=True) is None  # nothing delivered again
