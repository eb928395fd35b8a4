from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from eth_account import Account
from rest_framework.test import APIClient

from accounts.models import ApiToken, SiweNonce
from accounts.tests.factories import iso, sign_text, siwe_message, user_create

pytestmark = pytest.mark.django_db

NONCE, VERIFY = reverse("auth-api:nonce"), reverse("auth-api:verify")
ME, SIGN_OUT = reverse("auth-api:me"), reverse("auth-api:sign-out")


def csrf_headers(client) -> dict:
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


def get_message(client, address: str) -> str:
    reply = client.post(NONCE, {"address": address}, format="json")
    assert reply.status_code == 201, reply.content
    assert set(reply.json()) == {"nonce", "message", "expires_at"}
    return reply.json()["message"]


def verify(client, account, message: str, **extra):
    body = {"message": message, "signature": sign_text(account, message), **extra}
    return client.post(VERIFY, body, format="json", **csrf_headers(client))


def test_sign_in_starts_a_session(api, account):
    reply = verify(api, account, get_message(api, account.address))
    assert reply.status_code == 200, reply.content
    assert reply.json() == {
        "address": account.address,
        "display_name": "",
        "email": "",
        "roles": ["member"],
    }
    me = api.get(ME)
    assert me.status_code == 200 and me.json()["address"] == account.address


def test_session_sign_in_requires_the_csrf_token(api, account):
    message = get_message(api, account.address)
    body = {"message": message, "signature": sign_text(account, message)}
    reply = api.post(VERIFY, body, format="json")  # no X-CSRFToken header
    assert reply.status_code == 403
    assert "CSRF" in reply.json()["error"]["message"]
    assert api.get(ME).status_code == 403


def test_token_sign_in_for_api_clients(account):
    client = APIClient(enforce_csrf_checks=True)  # an API client keeps no cookies it needs
    message = get_message(client, account.address)
    body = {"message": message, "signature": sign_text(account, message), "token": True}
    reply = APIClient(enforce_csrf_checks=True).post(VERIFY, body, format="json")
    assert reply.status_code == 200, reply.content
    token = reply.json()["token"]
    api = APIClient(enforce_csrf_checks=True)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get(ME).json()["address"] == account.address
    assert api.post(SIGN_OUT).status_code == 204  # revokes the token, no CSRF needed
    assert ApiToken.objects.get().revoked_at is not None
    stale = api.get(ME)
    assert stale.status_code == 403 and "token" in stale.json()["error"]["message"].lower()


def test_sign_out_ends_the_session_and_checks_csrf(api, account):
    verify(api, account, get_message(api, account.address))
    assert api.post(SIGN_OUT).status_code == 403  # CSRF: a hostile page cannot sign you out
    assert api.post(SIGN_OUT, **csrf_headers(api)).status_code == 204
    assert api.get(ME).status_code == 403


def test_me_reports_roles(api):
    moderator = user_create(moderator=True)
    api.force_authenticate(moderator)
    assert api.get(ME).json()["roles"] == ["member", "moderator"]
    admin = user_create(is_superuser=True, is_staff=True)
    api.force_authenticate(admin)
    assert api.get(ME).json()["roles"] == ["member", "moderator", "admin"]


def test_me_patch_updates_the_profile(api):
    api.force_authenticate(user_create())
    reply = api.patch(ME, {"display_name": "  Ada   L ", "email": "ada@example.com"}, format="json")
    assert reply.status_code == 200
    assert (reply.json()["display_name"], reply.json()["email"]) == ("Ada L", "ada@example.com")
    bad = api.patch(ME, {"email": "nope"}, format="json")
    assert bad.status_code == 400 and "email" in bad.json()["error"]["fields"]
    lookalike = api.patch(ME, {"display_name": "0xAbCd…1234"}, format="json")
    assert lookalike.json()["error"]["code"] == "display_name_invalid"


def test_nonce_rejects_a_bad_address_with_a_clear_message(api):
    reply = api.post(NONCE, {"address": "0x123"}, format="json")
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "address_invalid"
    assert "40 hexadecimal" in reply.json()["error"]["message"]


def test_nonce_issue_is_throttled_per_client(api, settings):
    settings.SIWE_THROTTLE_RATE = "3/minute"
    address = Account.create().address
    codes = [api.post(NONCE, {"address": address}, format="json").status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]


def _expired(account, nonce):
    past = timezone.now() - timedelta(minutes=1)
    return siwe_message(
        address=account.address,
        nonce=nonce,
        issued_at=iso(past - timedelta(minutes=1)),
        expiration_time=iso(past),
    )


@pytest.mark.parametrize(
    ("make_message", "status", "code"),
    [
        (lambda account, nonce: "not a message", 400, "siwe_malformed"),
        (lambda account, nonce: siwe_message(address=account.address, nonce=nonce, domain="x.io"),
         400, "domain_mismatch"),
        (lambda account, nonce: siwe_message(address=account.address, nonce=nonce, chain_id=5),
         400, "chain_mismatch"),
        (lambda account, nonce: siwe_message(address=account.address, nonce="unknown12345"),
         400, "nonce_unknown"),
        (_expired, 400, "message_expired"),
    ],
)  # fmt: skip
def test_rejections_are_4xx_with_a_code_and_message(api, account, make_message, status, code):
    get_message(api, account.address)
    nonce = SiweNonce.objects.get().nonce
    reply = verify(api, account, make_message(account, nonce))
    assert reply.status_code == status, reply.content
    error = reply.json()["error"]
    assert error["code"] == code and len(error["message"]) > 20
    assert api.get(ME).status_code == 403


def test_replayed_message_over_http_is_refused(api, account):
    message = get_message(api, account.address)
    assert verify(api, account, message).status_code == 200
    again = verify(api, account, message)
    assert again.status_code == 400 and again.json()["error"]["code"] == "nonce_used"


def test_wrong_signer_over_http_is_a_401(api, account, anvil):
    message = get_message(api, account.address)
    body = {"message": message, "signature": sign_text(Account.create(), message)}
    reply = api.post(VERIFY, body, format="json", **csrf_headers(api))
    assert reply.status_code == 401
    assert reply.json()["error"]["code"] == "signature_invalid"


def test_verify_keeps_the_message_bytes_exactly(api, account):
    """Whitespace trimming by the serializer would change what the signature covers."""
    message = get_message(api, account.address) + "\n"
    reply = verify(api, account, message)
    assert reply.json()["error"]["code"] == "siwe_malformed"
