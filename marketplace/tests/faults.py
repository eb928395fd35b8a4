"""Faults for tests: the database unreachable from this thread."""

from contextlib import contextmanager

from django.db import connections
from django.db.utils import load_backend

from chain.anvil import free_port


@contextmanager
def database_unreachable():
    """Swap this thread's default connection for one to a database that is not there: on
    PostgreSQL a port where nothing listens (connection refused), on SQLite a file in a folder
    that does not exist (unable to open). The real connection is put back untouched."""
    real = connections["default"]
    settings_dict = dict(real.settings_dict)
    if real.vendor == "postgresql":
        settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))
    else:
        settings_dict["NAME"] = "/nonexistent-dir/db.sqlite3"
    broken = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "default")
    connections["default"] = broken
    try:
        yield
    finally:
        broken.close()
        connections["default"] = real
