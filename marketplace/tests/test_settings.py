import re

import pytest
from django.conf import settings


def test_every_environment_variable_is_documented_in_env_example():
    source = (settings.BASE_DIR / "marketplace/settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', source))
    documented = set(
        re.findall(r"^([A-Z_]+)=", (settings.BASE_DIR / ".env.example").read_text(), re.M)
    )
    assert read <= documented, f"undocumented: {sorted(read - documented)}"


@pytest.mark.django_db
def test_health_endpoint(client):
    reply = client.get("/healthz")
    assert reply.status_code == 200
    assert reply.json()["status"] == "ok"
