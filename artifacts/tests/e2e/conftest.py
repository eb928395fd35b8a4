"""Browser fixtures for the upload page: headless Debian Chromium against the live server, with a
user signed in by session cookie. The browser itself is the shared one (tests/e2e/fixtures.py)."""

import pytest
from django.test import Client

from artifacts.tests.conftest import user_create


@pytest.fixture
def chromium(browser):
    """The run's one shared browser (tests/e2e/fixtures.py)."""
    return browser


@pytest.fixture
def uploader(transactional_db):
    return user_create()


@pytest.fixture
def page(chromium, live_server, uploader):
    """A page signed in as `uploader`: Django's test client logs in, and its session cookie is
    handed to the browser. `page.errors` collects uncaught script errors."""
    client = Client()
    client.force_login(uploader)
    context = chromium.new_context(base_url=live_server.url)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()
