"""Rate limits: per client IP for anonymous requests, per user when signed in, stricter scopes
(uploads, purchase preparation, sign-in); a refused request gets 429, the API's error format
and Retry-After. Rates come from settings on every request, so these tests set tiny ones."""

import pytest
from rest_framework.test import APIClient

from listings.tests import factories

pytestmark = pytest.mark.django_db
LISTINGS, UPLOADS = "/api/v1/listings/", "/api/v1/artifacts/uploads/"


def assert_throttled(reply):
    assert reply.status_code == 429, reply.content
    assert reply.json()["error"]["code"] == "throttled"
    assert "throttled" in reply.json()["error"]["message"].lower()
    assert int(reply["Retry-After"]) > 0


def test_anonymous_requests_are_limited_per_ip(settings):
    settings.API_THROTTLE_RATES = {"anon": "3/minute"}
    here, elsewhere = APIClient(REMOTE_ADDR="10.0.0.1"), APIClient(REMOTE_ADDR="10.0.0.2")
    for _ in range(3):
        assert here.get(LISTINGS).status_code == 200
    assert_throttled(here.get(LISTINGS))
    assert elsewhere.get(LISTINGS).status_code == 200


def test_signed_in_users_are_limited_per_user_not_per_ip(settings):
    settings.API_THROTTLE_RATES = {"anon": "1/minute", "user": "2/minute"}
    first, second = APIClient(), APIClient()
    first.force_authenticate(factories.user())
    second.force_authenticate(factories.user())
    assert [first.get(LISTINGS).status_code for _ in range(2)] == [200, 200]
    assert_throttled(first.get(LISTINGS))
    assert second.get(LISTINGS).status_code == 200  # same IP, another user


def test_starting_uploads_has_a_stricter_limit(settings):
    settings.API_THROTTLE_RATES = {"user": "100/minute", "uploads": "2/hour"}
    api = APIClient()
    api.force_authenticate(factories.user())
    body = {"filename": "a.csv", "size": 3}
    assert [api.post(UPLOADS, body, format="json").status_code for _ in range(2)] == [201, 201]
    assert_throttled(api.post(UPLOADS, body, format="json"))
    assert api.get(LISTINGS).status_code == 200  # other endpoints are not affected


def test_sign_in_is_limited_per_ip(settings):
    settings.SIWE_THROTTLE_RATE = "2/minute"
    api = APIClient()
    body = {"address": "0x000000000000000000000000000000000000dEaD"}
    assert [api.post("/api/v1/auth/nonce", body).status_code for _ in range(2)] == [201, 201]
    assert_throttled(api.post("/api/v1/auth/nonce", body))


def test_empty_rates_mean_no_limit(settings):
    settings.API_THROTTLE_RATES = {"anon": None}
    api = APIClient()
    assert all(api.get(LISTINGS).status_code == 200 for _ in range(30))
