import pytest
from django.core.cache import cache
from eth_account import Account
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """The SIWE throttle counts requests in the cache; each test starts with a clean slate."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def account():
    """A wallet key that signs like a browser wallet would."""
    return Account.create()


@pytest.fixture
def api():
    """An API client that checks CSRF like a browser session would be checked."""
    return APIClient(enforce_csrf_checks=True)
