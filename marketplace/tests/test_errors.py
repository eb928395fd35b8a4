"""Errors people and programs see: JSON under /api/ whatever DEBUG is, branded 404 and 500
pages (never Django's debug pages, which show settings and code), a favicon."""

import pytest
from django.urls import path

from marketplace import urls as project_urls


def _boom(request):
    raise RuntimeError("a bug")


urlpatterns = [
    *project_urls.urlpatterns,
    path("boom", _boom),
    path("api/v1/boom", _boom),
]
handler404 = project_urls.handler404
handler500 = project_urls.handler500


@pytest.fixture(params=[True, False], ids=["debug", "no-debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    settings.ROOT_URLCONF = __name__
    return request.param


@pytest.fixture
def client(client):
    client.raise_request_exception = False  # as a real server: the exception becomes a page
    return client


@pytest.mark.django_db
def test_an_unknown_api_url_is_a_json_404(client, debug):
    reply = client.get("/api/v1/no-such-thing/")
    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_a_bug_under_the_api_is_a_json_500(client, debug):
    reply = client.get("/api/v1/boom")
    assert reply.status_code == 500
    assert reply["Content-Type"] == "application/json"
    assert reply.json()["error"]["code"] == "server_error"
    assert "a bug" not in reply.content.decode()


@pytest.mark.django_db
def test_people_get_the_branded_404_page(client, debug):
    reply = client.get("/no/such/page/")
    assert reply.status_code == 404
    body = reply.content.decode()
    assert 'data-testid="error-page"' in body and "We could not find that page" in body
    assert "Django" not in body and "URLconf" not in body


@pytest.mark.django_db
def test_people_get_the_branded_500_page_never_a_traceback(client, debug):
    reply = client.get("/boom")
    assert reply.status_code == 500
    body = reply.content.decode()
    assert "Something went wrong on our side" in body
    assert "Traceback" not in body and "a bug" not in body and "SECRET_KEY" not in body


@pytest.mark.django_db
def test_debug_error_pages_can_be_asked_for(client, settings):
    settings.DEBUG, settings.DEBUG_ERROR_PAGES, settings.ROOT_URLCONF = True, True, __name__
    reply = client.get("/boom")
    assert reply.status_code == 500 and "RuntimeError" in reply.content.decode()


def test_the_favicon(client):
    reply = client.get("/favicon.ico")
    assert reply.status_code == 200
    assert reply["Content-Type"] == "image/svg+xml"
    assert reply.content.startswith(b"<svg")


@pytest.mark.django_db
def test_error_pages_keep_the_security_headers(client, debug):
    reply = client.get("/no/such/page/")
    assert reply.status_code == 404
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    # django-csp leaves 404/500 without a policy under DEBUG (for Django's debug pages).
    assert ("Content-Security-Policy" in reply.headers) is not debug
