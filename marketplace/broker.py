"""`make run`'s embedded Celery broker: a kombu transport on a SQLite file, through Python's own
sqlite3 module (`sqlite:///var/celery-broker.sqlite3`).

Why our own: kombu's SQLAlchemy transport did the same with SQLAlchemy underneath, which the
web process loaded with its first task (+19 MiB: the upload `finish` put the web process over
its 100 MiB budget, issue 20), and it only marked delivered messages invisible, so the file
grew until something swept it. Here a message is a row written in one transaction (a consumer
never reads half of one), and taking it is one IMMEDIATE transaction that reads and deletes it,
so two consumers never get the same message and nothing needs sweeping. Delivery is kombu's
virtual transport's: a worker holds what it took until it acknowledges it and puts back what
it had not acknowledged when it stops, as with every kombu transport of this kind.

For one machine. Production uses Redis or RabbitMQ (docs/deploy.md)."""

import os
import sqlite3
import threading
from queue import Empty

from kombu.transport import virtual
from kombu.utils.json import dumps, loads

SCHEME = "sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS broker_message (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS broker_message_queue ON broker_message (queue, id);
"""


def path_of(url: str) -> str:
    """The file of a `sqlite:///path` URL (four slashes for an absolute path, as SQLAlchemy's)."""
    prefix = f"{SCHEME}:///"
    if not url.startswith(prefix) or len(url) == len(prefix):
        raise ValueError(f"not a {prefix}<file> URL: {url!r}")
    return url[len(prefix) :]


class Channel(virtual.Channel):
    """One connection per channel and process (a forked worker child opens its own), used by
    one thread at a time."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._pid = 0

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
            _adopt_sqlalchemy_messages(db)
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
            # Most polls find nothing: look without taking the write lock first.
            if not db.execute(_FIRST, (queue,)).fetchone():
                raise Empty()
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute(_FIRST, (queue,)).fetchone()
                if row:
                    db.execute("DELETE FROM broker_message WHERE id = ?", (row[0],))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        if row is None:
            raise Empty()  # another consumer took it between the look and the lock
        return loads(row[1])

    def _size(self, queue):
        with self._lock:
            query = "SELECT COUNT(*) FROM broker_message WHERE queue = ?"
            return self.db.execute(query, (queue,)).fetchone()[0]

    def _purge(self, queue):
        with self._lock:
            return self.db.execute("DELETE FROM broker_message WHERE queue = ?", (queue,)).rowcount

    def _delete(self, queue, *args, **kwargs):
        self._purge(queue)

    def close(self):
        super().close()
        if self._db is not None and self._pid == os.getpid():
            self._db.close()
        self._db = None


def _adopt_sqlalchemy_messages(db: sqlite3.Connection) -> None:
    """Move the messages nobody took yet from a file kombu's SQLAlchemy transport wrote (the
    same var/celery-broker.sqlite3) into this transport's table, in their order, once: its
    tables go with them. Their payloads are the same JSON."""
    if not db.execute(_OLD_TABLE).fetchone():
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        if db.execute(_OLD_TABLE).fetchone():  # not moved by another process meanwhile
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
_FIRST = "SELECT id, payload FROM broker_message WHERE queue = ? ORDER BY id LIMIT 1"


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

