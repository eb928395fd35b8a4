"""The database going away: a kept connection the server dropped (a restart, a fail-over, an
idle timeout) is replaced without failing the request; a database that cannot be reached
gives 503, with the API's JSON error under /api/ and on /healthz and a plain page for people."""

from io import BytesIO
from wsgiref.util import setup_testing_defaults

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection

from marketplace.tests.faults import database_unreachable


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_a_database_that_is_down_gives_503_json_on_the_api_and_healthz(client, settings, debug):
    settings.DEBUG = debug
    client.raise_request_exception = False
    with database_unreachable():
        api = client.get("/api/v1/listings/")
        health = client.get("/healthz")
        page = client.get("/listings/")
    assert api.status_code == 503
    assert api.json()["error"]["code"] == "database_unavailable"
    assert api["Retry-After"] == "30"
    assert health.status_code == 503
    assert health.json()["error"]["code"] == "database_unavailable"
    assert page.status_code == 503
    assert page["Content-Type"].startswith("text/html")
    assert "We are briefly unavailable" in page.content.decode()
    assert "Traceback" not in page.content.decode()


def _wsgi_get(path: str) -> tuple[int, bytes]:
    """One request through Django's real WSGI handler (the test client skips the connection
    housekeeping that runs at the start and end of every real request)."""
    environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "wsgi.input": BytesIO()}
    setup_testing_defaults(environ)
    status = []
    body = b"".join(WSGIHandler()(environ, lambda s, h, *a: status.append(s)))
    return int(status[0].split()[0]), body


@pytest.mark.django_db(transaction=True)
def test_a_kept_connection_the_server_dropped_is_replaced_not_a_500(settings):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no server to drop connections (run with DATABASE_URL=postgres:)")
    connection.close()
    kept = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = 600  # kept between requests, as in production
    try:
        assert _wsgi_get("/healthz")[0] == 200
        backend = connection.connection.info.backend_pid
        # The server drops it: what a restart, a fail-over or an idle timeout does.
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        with psycopg.connect(**params, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [backend])
        status, body = _wsgi_get("/healthz")
        assert status == 200, body[:500]
        assert connection.connection.info.backend_pid != backend
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = kept
        connection.close()
