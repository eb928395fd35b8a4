import secrets

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.middleware.csrf import CSRF_ALLOWED_CHARS
from django.utils.crypto import get_random_string
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _artifact_dirs(settings, tmp_path):
    """Each test gets its own store and upload directory, on one file system like production."""
    settings.ARTIFACT_STORAGE = "local"
    settings.ARTIFACT_ROOT = tmp_path / "store"
    settings.UPLOAD_DIR = tmp_path / "store" / ".uploads"


def user_create(**fields):
    return get_user_model().objects.create_user(address="0x" + secrets.token_hex(20), **fields)


@pytest.fixture
def user(db):
    return user_create()


@pytest.fixture
def api(user):
    """A signed-in API client that enforces CSRF like a browser session does."""
    return api_client_for(user)


def api_client_for(user) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    token = get_random_string(32, CSRF_ALLOWED_CHARS)
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    client.defaults["HTTP_X_CSRFTOKEN"] = token
    return client
