"""Whatever arrives at the sign-in endpoints, the answer is never a 500.

The Django test client re-raises exceptions from views, so a crash fails the test outright."""

import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from eth_account import Account
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import sign_text

pytestmark = pytest.mark.django_db

ENDPOINTS = [reverse(f"auth-api:{name}") for name in ("nonce", "verify", "sign-out", "me")]
ACCOUNT = Account.create()
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
field_values = json_values | st.text(max_size=3000) | st.from_regex(r"0x[0-9a-fA-F]{0,200}")
sign_in_bodies = st.fixed_dictionaries(
    {},
    optional={
        "address": field_values,
        "message": field_values,
        "signature": field_values,
        "token": json_values,
        "display_name": field_values,
        "email": field_values,
    },
)


def answer(client, method: str, url: str, body: bytes, content_type: str) -> int:
    cache.clear()  # the throttle would otherwise turn every later example into a 429
    reply = client.generic(method.upper(), url, data=body, content_type=content_type)
    return reply.status_code


@FUZZ
@given(url=st.sampled_from(ENDPOINTS), body=json_values | sign_in_bodies)
def test_random_json_never_crashes(url, body):
    client = Client()
    status = answer(client, "post", url, json.dumps(body).encode(), "application/json")
    assert status < 500


@FUZZ
@given(
    url=st.sampled_from(ENDPOINTS),
    method=st.sampled_from(["post", "patch", "put", "delete", "get"]),
    body=st.binary(max_size=500) | st.text(max_size=500).map(str.encode),
    content_type=st.sampled_from(
        ["application/json", "text/plain", "application/x-www-form-urlencoded",
         "multipart/form-data; boundary=x", "application/octet-stream"]
    ),
)  # fmt: skip
def test_random_bytes_never_crash(url, method, body, content_type):
    assert answer(Client(), method, url, body, content_type) < 500


@FUZZ
@given(data=st.data())
def test_mangled_real_messages_never_crash(anvil, data):
    """Start from a genuine message and nonce, then damage it: parser and checks see near-misses.
    A real chain answers the ERC-1271 fallback (without one, a 503 would be the honest answer)."""
    client = Client()
    reply = client.post(reverse("auth-api:nonce"), {"address": ACCOUNT.address}, "application/json")
    message = reply.json()["message"]
    position = data.draw(st.integers(0, len(message)))
    cut = data.draw(st.integers(0, 20))
    insert = data.draw(st.text(max_size=20) | st.sampled_from(["\n", "Z", "0", ":", " ", "-"]))
    mangled = message[:position] + insert + message[position + cut :]
    sign_with_owner = data.draw(st.booleans())
    signature = sign_text(ACCOUNT, mangled) if sign_with_owner else data.draw(field_values)
    body = {"message": mangled, "signature": signature, "token": data.draw(st.booleans())}
    status = answer(
        client, "post", reverse("auth-api:verify"), json.dumps(body), "application/json"
    )
    assert status < 500
