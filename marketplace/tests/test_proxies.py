"""Issue 15: rate limits keyed by IP ignore X-Forwarded-For unless the deployment says how
many proxies add to it (API_NUM_PROXIES, default 0; docs/deploy.md sets 1 behind nginx)."""

import pytest
from django.conf import settings as live_settings
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_the_proxy_count_defaults_to_zero():
    assert live_settings.REST_FRAMEWORK["NUM_PROXIES"] == 0


def test_a_forged_forwarded_for_does_not_buy_a_fresh_rate_limit(settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "anon": "2/minute"}
    client = APIClient()
    codes = [
        client.get("/api/v1/compute/environments", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code
        for i in range(3)
    ]
    assert codes == [200, 200, 429]
