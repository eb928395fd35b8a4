"""Browser fixtures for the upload page: headless Debian Chromium against the live server, with a
user signed in by session cookie (the wallet harness lives in tests/e2e)."""

import os
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import sync_playwright

from artifacts.tests.conftest import user_create

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
E2E_DIR = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if E2E_DIR in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    # Playwright's sync API runs an event loop in this thread and Django refuses ORM calls from
    # a thread with a running loop; tests use the ORM only between browser steps.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


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
