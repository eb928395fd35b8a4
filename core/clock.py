"""The database's clock. Liveness stamps (job and host heartbeats) are written by many hosts and
compared by the watchdog on another: if each used its own clock, a host whose clock runs a few
minutes fast or slow would look dead, or immortal. The database is the one clock they share."""

from datetime import UTC, datetime

from django.db import connections


def db_now(using: str = "default") -> datetime:
    """Now, by the database server's clock (timezone-aware, UTC)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # statement_timestamp(), not now(): now() is when the transaction began.
            cursor.execute("SELECT statement_timestamp()")
            return cursor.fetchone()[0].astimezone(UTC)
        if connection.vendor == "sqlite":
            cursor.execute("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')")  # always UTC
            return datetime.strptime(cursor.fetchone()[0] + "+0000", "%Y-%m-%d %H:%M:%S.%f%z")
        cursor.execute("SELECT CURRENT_TIMESTAMP")
        value = cursor.fetchone()[0]
        return value if value.tzinfo else value.replace(tzinfo=UTC)
