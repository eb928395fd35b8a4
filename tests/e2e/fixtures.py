"""Browser end-to-end fixtures: headless Debian Chromium, the live server, an injected wallet.
A pytest plugin (loaded by the root conftest) so every app's e2e tests share one browser: two
sync Playwright instances cannot run in one process.

Fixtures: `browser` (session), `context` (per test; screenshots into test-artifacts/ and fails
on uncaught page errors), `wallet` (InjectedWallet with anvil dev key #1 on our chain, chain
state rolled back after the test), `make_wallet` (more wallets: dev keys #2.., any options),
`page` (a page with `wallet` installed), `signed_in_page`."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from playwright.sync_api import expect, sync_playwright

from tests.e2e import helpers
from tests.e2e.wallet import dev_wallet

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts"

expect.set_options(timeout=10_000)


def pytest_collection_modifyitems(config, items):
    """Everything under a directory named e2e is a browser test (`-m "not e2e"` skips them)."""
    for item in items:
        if "e2e" in Path(item.fspath).parent.parts:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    # Playwright's sync API runs an event loop in this thread, and Django refuses ORM calls from
    # a thread with a running loop. Tests touch the ORM only between browser steps, never
    # concurrently, so the guard is lifted while the browser runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _fresh_throttles(request):
    if "e2e" not in Path(request.node.fspath).parent.parts:
        return
    cache.clear()  # sign-in is rate limited per IP, and every test comes from 127.0.0.1


@pytest.fixture
def context(browser, live_server, request):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page_errors: list[str] = []
    context.on("page", lambda page: page.on("pageerror", lambda e: page_errors.append(str(e))))
    yield context
    _screenshots(context, request.node)
    context.close()
    assert not page_errors, f"uncaught errors in the page: {page_errors}"


def _screenshots(context, node) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{Path(node.fspath).stem}__{node.name}")
    for index, page in enumerate(context.pages):
        suffix = f"-{index}" if index else ""
        try:
            page.screenshot(path=ARTIFACTS / f"{name}{suffix}.png", full_page=True)
        except Exception as exc:  # a closed or crashed page must not hide the test's own result
            print(f"screenshot of {name}{suffix} failed: {exc}")


@pytest.fixture
def make_wallet(w3):
    """make_wallet(index=2, **InjectedWallet options) -> a wallet on anvil dev key `index`."""

    def make(index: int = 2, **options):
        options.setdefault("chain_id", settings.CHAIN_ID)
        return dev_wallet(index, rpc_url=settings.CHAIN_RPC_URL, **options)

    return make


@pytest.fixture
def wallet(make_wallet):
    return make_wallet(1)


@pytest.fixture
def page(context, wallet):
    wallet.install(context)
    return context.new_page()


@pytest.fixture
def signed_in_page(page, wallet):
    return helpers.sign_in(page, wallet)
