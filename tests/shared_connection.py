"""On in-memory SQLite (the suite's default database) pytest-django's live server thread shares
the test thread's one connection, and an sqlite3 connection used by two threads at once fails
("cannot start a transaction within a transaction", "cannot open savepoint"). So the live
server's requests and the database work a test does while the server is serving (running the
indexer, as the beat would) take turns. On PostgreSQL each thread has its own connection and
nothing waits."""

import threading
from contextlib import contextmanager

from django.db import connection

_LOCK = threading.RLock()


@contextmanager
def turn():
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        with _LOCK:
            yield
    else:
        yield


def take_turns(app):
    """Wrap a WSGI app so each request runs inside `turn()` (its body streams outside it)."""

    def app_taking_turns(environ, start_response):
        with turn():
            return app(environ, start_response)

    return app_taking_turns


def read_without_table_locks(sender, connection, **kwargs):
    """`connection_created` receiver. Threads other than the live server's (a compute runner
    in a thread, in tests with real commits) open their own connections to the shared-cache
    in-memory database, whose table locks fail at once ("database table is locked") instead
    of waiting. Reads that skip table locks leave only short writer-writer overlaps."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        connection.cursor().execute("PRAGMA read_uncommitted = 1")
