"""Personal API tokens: created and revoked through the API and the settings page, stored only
as a hash, accepted as `Bearer` (and `Token`) until revoked or expired."""

import hashlib
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import tokens
from accounts.models import ApiToken
from listings.tests import factories

pytestmark = pytest.mark.django_db
TOKENS, ME = "/api/v1/auth/tokens", "/api/v1/auth/me"


def bearer(secret: str, keyword: str = "Bearer") -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"{keyword} {secret}")


def test_create_through_the_api_shows_the_secret_once_and_stores_its_hash():
    user = factories.user()
    api = APIClient()
    api.force_authenticate(user)
    reply = api.post(TOKENS, {"name": "CI upload", "expires_in_days": 30}, format="json")
    assert reply.status_code == 201, reply.content
    secret = reply.json()["secret"]
    assert secret.startswith("mkt_") and len(secret) > 40
    stored = ApiToken.objects.get()
    assert stored.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.values().get())
    assert stored.prefix == secret[:12] and stored.expires_at > timezone.now() + timedelta(days=29)
    listed = api.get(TOKENS).json()
    assert [t["name"] for t in listed] == ["CI upload"] and "secret" not in listed[0]


@pytest.mark.parametrize("keyword", ["Bearer", "Token", "bearer"])
def test_a_live_token_authenticates_and_records_its_use(keyword):
    user = factories.user()
    issued = tokens.api_token_create(user=user, name="script")
    reply = bearer(issued.secret, keyword).get(ME)
    assert reply.status_code == 200 and reply.json()["address"] == user.address
    assert ApiToken.objects.get().last_used_at is not None


def test_revoked_expired_and_unknown_tokens_are_refused():
    user = factories.user()
    revoked = tokens.api_token_create(user=user, name="old")
    tokens.api_token_revoke(user=user, token_id=revoked.token.pk)
    expired = tokens.api_token_create(user=user, name="short")
    ApiToken.objects.filter(pk=expired.token.pk).update(expires_at=timezone.now())
    for secret in (revoked.secret, expired.secret, "mkt_" + "x" * 43, "not-ours"):
        reply = bearer(secret).get(ME)
        assert reply.status_code in (401, 403), secret
        assert reply.json()["error"]["code"] in ("authentication_failed", "not_authenticated")


def test_revoking_through_the_api_is_for_the_owner_only():
    owner, other = factories.user(), factories.user()
    issued = tokens.api_token_create(user=owner, name="mine")
    url = f"{TOKENS}/{issued.token.pk}"
    assert (
        bearer(tokens.api_token_create(user=other, name="x").secret).delete(url).status_code == 404
    )
    assert bearer(issued.secret).get(ME).status_code == 200
    assert bearer(issued.secret).delete(url).status_code == 204  # a token may revoke itself
    assert bearer(issued.secret).get(ME).status_code in (401, 403)


def test_drf_token_keys_keep_working():
    user = factories.user()
    key = Token.objects.create(user=user).key
    assert bearer(key, "Token").get(ME).json()["address"] == user.address


def test_bad_input_is_a_clear_400():
    api = APIClient()
    api.force_authenticate(factories.user())
    for body in ({}, {"name": "  "}, {"name": "x", "expires_in_days": 0}, {"name": "x" * 81}):
        reply = api.post(TOKENS, body, format="json")
        assert reply.status_code == 400, body
        assert reply.json()["error"]["message"]


def test_the_settings_page_creates_shows_once_and_revokes():
    user = factories.user()
    browser = Client(enforce_csrf_checks=False)
    browser.force_login(user)
    assert browser.get("/accounts/tokens").status_code == 200
    created = browser.post("/accounts/tokens", {"name": "laptop", "expires_in_days": ""})
    assert created.status_code == 200 and created["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=user)
    secret = created.context["issued"].secret
    assert secret.encode() in created.content
    assert secret.encode() not in browser.get("/accounts/tokens").content  # shown only once
    assert bearer(secret).get(ME).status_code == 200
    revoked = browser.post(f"/accounts/tokens/{token.pk}/revoke")
    assert revoked.status_code == 302
    assert bearer(secret).get(ME).status_code in (401, 403)


def test_the_settings_page_needs_sign_in_and_csrf():
    assert Client().get("/accounts/tokens").status_code == 302
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(factories.user())
    assert browser.post("/accounts/tokens", {"name": "x"}).status_code == 403


def test_a_token_cannot_mint_a_token_that_outlives_it():
    """A leaked expiring token (e.g. a SIWE sign-in's 30-day one) must not buy permanent access."""
    user = factories.user()
    ends = timezone.now() + timedelta(days=2)
    parent = tokens.api_token_create(user=user, name="short", expires_at=ends)
    for body in ({"name": "forever"}, {"name": "long", "expires_in_days": 365}):
        reply = bearer(parent.secret).post(TOKENS, body, format="json")
        assert reply.status_code == 201, reply.content
        assert ApiToken.objects.get(pk=reply.json()["id"]).expires_at == ends
    shorter = bearer(parent.secret).post(TOKENS, {"name": "s", "expires_in_days": 1}, format="json")
    assert ApiToken.objects.get(pk=shorter.json()["id"]).expires_at < ends


@pytest.mark.django_db
def test_signing_in_again_and_again_never_locks_a_script_out():
    """Each SIWE sign-in with `"token": true` makes a token; the oldest sign-in tokens are
    revoked past SIGN_IN_TOKENS_KEPT, so the live-token limit is never reached that way, and
    tokens made on the settings page are left alone."""
    from accounts import services
    from accounts import tokens as token_services
    from accounts.models import ApiToken, User

    user = User.objects.create_user("0x" + "12" * 20)
    mine = token_services.api_token_create(user=user, name="CI upload")
    issued = [
        services.api_token_issue(user=user) for _ in range(token_services.MAX_LIVE_TOKENS + 5)
    ]
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    assert live.filter(name=services.SIGN_IN_TOKEN_NAME).count() == services.SIGN_IN_TOKENS_KEPT
    assert live.filter(pk=mine.token.pk).exists()
    assert token_services.api_token_live(secret=issued[-1].secret) is not None
    assert token_services.api_token_live(secret=issued[0].secret) is None
