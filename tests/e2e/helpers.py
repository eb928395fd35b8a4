"""Steps shared by browser tests: what a person does on the site with their wallet."""

import re
from pathlib import Path

from django.conf import settings
from playwright.sync_api import Page, expect

from tests.e2e.wallet import InjectedWallet


def header_account(page: Page):
    return page.get_by_test_id("account")


def flash(page: Page, level: str = "error"):
    """The messages area's entry of that level (Django's or the scripts')."""
    return page.locator(f"[data-messages] .message-{level}")


def sign_in(page: Page, wallet: InjectedWallet, *, start: str = "/") -> Page:
    """Open `start`, click the header's sign-in button, approve everything in the wallet."""
    page.goto(start)
    page.get_by_test_id("sign-in").click()
    expect(header_account(page)).to_have_attribute("data-address", wallet.address)
    return page


def sign_out(page: Page) -> Page:
    page.get_by_test_id("sign-out").click()
    expect(page.get_by_test_id("sign-in")).to_be_visible()
    return page


def snapshot(page: Page, name: str) -> Path:
    """A screenshot mid-test (the `context` fixture takes one at the end of every test)."""
    path = Path(settings.BASE_DIR) / "test-artifacts" / (re.sub(r"[^\w.-]+", "_", name) + ".png")
    path.parent.mkdir(exist_ok=True)
    page.screenshot(path=path, full_page=True)
    return path
