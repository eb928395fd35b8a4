import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import SiweNonce
from accounts.tests.factories import user_create

pytestmark = pytest.mark.django_db
SIGN_IN, SIGN_OUT = reverse("accounts:sign-in"), reverse("accounts:sign-out")


def wallet_config(html: str) -> dict:
    start = html.index('<script id="wallet-config" type="application/json">')
    body = html[html.index(">", start) + 1 : html.index("</script>", start)]
    return json.loads(body)


def test_home_sets_the_csrf_cookie_and_renders_wallet_config(client, settings):
    reply = client.get(reverse("home"))
    assert reply.status_code == 200 and "csrftoken" in reply.cookies
    html = reply.content.decode()
    config = wallet_config(html)
    assert config["chain"]["chainId"] == hex(settings.CHAIN_ID)
    assert config["api"]["nonce"] == reverse("auth-api:nonce")
    assert config["signedInAddress"] is None
    assert "data-sign-in" in html
    # CSP-ready: the only <script> with content is the JSON one.
    assert html.count("<script") == 2 and 'type="module" src=' in html


def test_header_shows_the_signed_in_address(client):
    user = user_create()
    client.force_login(user)
    html = client.get(reverse("home")).content.decode()
    assert f'data-address="{user.address}"' in html and user.short_address in html
    assert wallet_config(html)["signedInAddress"] == user.address
    assert 'data-testid="sign-out"' in html and "data-sign-in" not in html


def test_sign_in_page_explains_and_keeps_a_safe_next(client):
    reply = client.get(SIGN_IN, {"next": "/accounts/profile"})
    html = reply.content.decode()
    assert "csrftoken" in reply.cookies
    assert "EIP-4361" in html and 'data-next="/accounts/profile"' in html
    hostile = client.get(SIGN_IN, {"next": "https://evil.example/"}).content.decode()
    assert 'data-next="/"' in hostile


def test_sign_in_page_sends_signed_in_users_on(client):
    client.force_login(user_create())
    reply = client.get(SIGN_IN, {"next": "/accounts/profile"})
    assert (reply.status_code, reply["Location"]) == (302, "/accounts/profile")


def test_sign_out_is_a_csrf_checked_post(client):
    client.force_login(user_create())
    assert client.get(SIGN_OUT).status_code == 405
    reply = client.post(SIGN_OUT, follow=True)
    assert "You are signed out." in reply.content.decode()
    assert "_auth_user_id" not in client.session
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user_create())
    assert strict.post(SIGN_OUT).status_code == 403


def test_nonce_admin_is_read_only(client):
    client.force_login(user_create(is_superuser=True, is_staff=True))
    SiweNonce.objects.create(nonce="n" * 16, address="0x" + "0" * 40, expires_at=timezone.now())
    assert client.get(reverse("admin:accounts_siwenonce_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_siwenonce_add")).status_code == 403
