"""The API docs page works in a real browser under the site's CSP: Swagger UI (self-hosted
assets) loads the schema and lists the operations, and the browser reports no CSP violation.
Also the API tokens settings page: create a token, see it once, revoke it."""

import pytest
from playwright.sync_api import expect

from accounts.models import ApiToken

pytestmark = pytest.mark.django_db(transaction=True)


def test_swagger_ui_renders_the_schema_without_csp_violations(context):
    page = context.new_page()
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.goto("/api/docs/")
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.get_by_text("/api/v1/listings/", exact=True).first).to_be_visible()
    violations = [text for text in console if "Content Security Policy" in text]
    assert not violations, violations


def test_create_and_revoke_an_api_token_in_settings(signed_in_page):
    page = signed_in_page
    page.goto("/accounts/profile")
    page.get_by_test_id("api-tokens-link").click()
    page.get_by_label("Name").fill("laptop script")
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_test_id("token-secret").inner_text()
    assert secret.startswith("mkt_")
    token = ApiToken.objects.get(name="laptop script")
    assert token.revoked_at is None
    page.goto("/accounts/tokens")  # (a reload would re-post the form and make another)
    expect(page.get_by_test_id("token-secret")).to_have_count(0)
    page.locator(f"tr[data-token-id='{token.pk}']").get_by_role("button", name="Revoke").click()
    expect(page.locator(f"tr[data-token-id='{token.pk}']")).to_contain_text("revoked")
    token.refresh_from_db()
    assert token.revoked_at is not None
