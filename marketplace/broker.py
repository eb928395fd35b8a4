"""`make run`'s embedded Celery broker: a kombu transport on a SQLite file, through Python's own
sqlite3 module (`sqlite:///var/celery-broker.sqlite3`).

Why our own: kombu's SQLAlchemy transport did the same with SQLAlchemy underneath, which the
web process loaded with its first task (+19 MiB: the upload `finish` put the web process over
its 100 MiB budget, issue 20), and it only marked delivered messages invisible, so the file
grew until something swept it. Here a message is a row written in one transaction (a consumer
never reads half of one); taking it marks it taken in one IMMEDIATE transaction, so two
consumers never get the same message; acknowledging it deletes it, so nothing needs sweeping.
A worker that stops puts back what it had not acknowledged (kombu's virtual transport), and
what a killed worker held is delivered again after `visibility_timeout` (see Channel).

For one machine. Production uses Redis or RabbitMQ (docs/deploy.md)."""

import os
import sqlite3
import threading
import time
from queue import Empty

from kombu.transport import virtual
from kombu.utils.json import dumps, loads

SCHEME = "sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS broker_message (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    payload TEXT NOT NULL,
    taken_at REAL  -- when a consumer took it (time.time()); NULL: waiting
);
CREATE INDEX IF NOT EXISTS broker_message_queue ON broker_message (queue, id);
"""


def path_of(url: str) -> str:
    """The file of a `sqlite:///path` URL (four slashes for an absolute path, as SQLAlchemy's)."""
    prefix = f"{SCHEME}:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise ValueError(f"not a {prefix}<file> URL: {url!r}")
    return url[len(prefix) :]


class QoS(virtual.QoS):
    """An acknowledged (or dropped) message leaves the file; until then its row stays, taken."""

    def ack(self, delivery_tag):
        self.channel._done(delivery_tag)
        super().ack(delivery_tag)

    def reject(self, delivery_tag, requeue=False):
        if not requeue:
            self.channel._done(delivery_tag)
        super().reject(delivery_tag, requeue=requeue)


class Channel(virtual.Channel):
    """One connection per channel and process (a forked worker child opens its own), used by
    one thread at a time.

    A message taken stays in the file, marked taken, until it is acknowledged: a consumer that
    stops puts it back (kombu), and one killed outright (out of memory, SIGKILL) cannot, so a
    message taken longer ago than `visibility_timeout` (transport option, seconds, 3600 as
    Redis's) is delivered again, as with Redis."""

    QoS = QoS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._pid = 0
        self._taken: dict[str, int] = {}  # delivery tag -> row, of what this channel took
        self._noack_queues: set[str] = set()  # consumed without acknowledgements
        options = self.connection.client.transport_options
        self.visibility_timeout = float(options.get("visibility_timeout", 3600))

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None or self._pid != os.getpid():
            options = self.connection.client.transport_options
            db = sqlite3.connect(
                path_of(self.connection.client.hostname),
                timeout=options.get("timeout", 60),  # writers take turns: wait, don't fail
                isolation_level=None,  # transactions are explicit below
                check_same_thread=False,
            )
            db.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
            db.execute("PRAGMA synchronous=NORMAL")  # safe against a process crash
            db.executescript(SCHEMA)
            _upgrade(db)
            self._db, self._pid = db, os.getpid()
        return self._db

    def _put(self, queue, message, **kwargs):
        with self._lock:
            self.db.execute(
                "INSERT INTO broker_message (queue, payload) VALUES (?, ?)", (queue, dumps(message))
            )

    def _get(self, queue):
        with self._lock:
            db = self.db
            now = time.time()
            # Most polls find nothing: look without taking the write lock first.
            if not db.execute(_FIRST, (queue, now - self.visibility_timeout)).fetchone():
                raise Empty()
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute(_FIRST, (queue, now - self.visibility_timeout)).fetchone()
                if row:
                    db.execute("UPDATE broker_message SET taken_at = ? WHERE id = ?", (now, row[0]))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        if row is None:
            raise Empty()  # another consumer took it between the look and the lock
        message = loads(row[1])
        self._taken[message["properties"]["delivery_tag"]] = row[0]
        if queue in self._noack_queues:
            self._done(message["properties"]["delivery_tag"])
        return message

    def basic_consume(self, queue, no_ack, *args, **kwargs):
        if no_ack:  # nothing will acknowledge what this consumer takes: taken is done
            self._noack_queues.add(queue)
        return super().basic_consume(queue, no_ack, *args, **kwargs)

    def basic_cancel(self, consumer_tag):
        queue = self._tag_to_queue.get(consumer_tag)
        super().basic_cancel(consumer_tag)
        if queue not in self._tag_to_queue.values():
            self._noack_queues.discard(queue)

    def basic_get(self, queue, no_ack=False, **kwargs):
        message = super().basic_get(queue, no_ack=no_ack, **kwargs)
        if message is not None and no_ack:
            self._done(message.delivery_tag)
        return message

    def _done(self, delivery_tag):
        row = self._taken.pop(delivery_tag, None)
        if row is not None:
            with self._lock:
                self.db.execute("DELETE FROM broker_message WHERE id = ?", (row,))

    def _restore(self, message):
        """Put a message taken back where it was (kombu redelivers it first)."""
        row = self._taken.pop(message.delivery_tag, None)
        if row is not None:
            payload = message.serializable()
            payload["redelivered"] = True
            with self._lock:
                put_back = self.db.execute(
                    "UPDATE broker_message SET taken_at = NULL, payload = ? WHERE id = ?",
                    (dumps(payload), row),
                ).rowcount
            if put_back:
                return
        super()._restore(message)

    def _size(self, queue):
        with self._lock:
            query = "SELECT COUNT(*) FROM broker_message WHERE queue = ? AND taken_at IS NULL"
            return self.db.execute(query, (queue,)).fetchone()[0]

    def _purge(self, queue):
        """The messages waiting (those taken are the consumers' until acknowledged)."""
        with self._lock:
            return self.db.execute(
                "DELETE FROM broker_message WHERE queue = ? AND taken_at IS NULL", (queue,)
            ).rowcount

    def _delete(self, queue, *args, **kwargs):
        with self._lock:
            self.db.execute("DELETE FROM broker_message WHERE queue = ?", (queue,))

    def close(self):
        super().close()
        if self._db is not None and self._pid == os.getpid():
            self._db.close()
        self._db = None


def _upgrade(db: sqlite3.Connection) -> None:
    """Take over a file kombu's SQLAlchemy transport wrote (the same var/celery-broker.sqlite3,
    before this transport): the messages nobody took yet move into this transport's table, in
    their order, and its tables go (their payloads are the same JSON). Once, by one process."""
    if not db.execute(_OLD_TABLE).fetchone():
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        if db.execute(_OLD_TABLE).fetchone():  # again under the lock: another process may have
            db.execute(
                "INSERT INTO broker_message (queue, payload) SELECT q.name, m.payload "
                "FROM kombu_message m JOIN kombu_queue q ON q.id = m.queue_id "
                "WHERE m.visible ORDER BY m.id"
            )
            db.execute("DROP TABLE kombu_message")
            db.execute("DROP TABLE IF EXISTS kombu_queue")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


_OLD_TABLE = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kombu_message'"
_FIRST = (
    "SELECT id, payload FROM broker_message WHERE queue = ? AND (taken_at IS NULL OR taken_at < ?) "
    "ORDER BY id LIMIT 1"
)


class Transport(virtual.Transport):
    Channel = Channel

    can_parse_url = True  # the whole URL reaches the channel as `hostname`
    default_port = 0
    driver_type = "sql"
    driver_name = "sqlite3"
    # "database is locked" past the timeout: kombu retries or reconnects, as for a lost server.
    connection_errors = (*virtual.Transport.connection_errors, sqlite3.OperationalError)

    def driver_version(self):
        return sqlite3.sqlite_version
