"""Schemathesis against the running API (Django's live server, the test chain): every operation
in /api/schema/ with generated valid and invalid input, anonymous, with a stranger's token, and
with the creator's token on the world's real objects (its listing, upload, file, token). No
response may be a 5xx, or have a status, content type, headers or body the schema does not
describe. Bounded: a few examples per operation, no deadline, fixed seed."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import checks

from accounts import tokens
from accounts.models import ApiToken
from tests.api.world import build_world

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
EXAMPLES = 8

# Upload chunks are raw bytes under the tus-style media type.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")


@pytest.fixture
def fuzz_world(live_server, transactional_db, contracts, w3, settings):
    settings.API_THROTTLE_RATES = {}
    return build_world()


def _bearer(world, role: str) -> dict:
    """A live token of `role` (the fuzzer may revoke tokens through the API: then a new one)."""
    user, secret = world.users[role], world.values.get(f"secret_{role}")
    if secret is None or tokens.api_token_live(secret=secret) is None:
        ApiToken.objects.filter(user=user, name="fuzz").delete()  # stay below the cap
        secret = tokens.api_token_create(user=user, name="fuzz").secret
        world.values[f"secret_{role}"] = secret
    return {"Authorization": f"Bearer {secret}"}


def _on_real_objects(case, world) -> None:
    """Point the case's path at the world's listing, upload, file and token, so the creator's
    calls get past the 404 of a random slug into the code behind it."""
    for name in list(case.path_parameters or {}):
        if name in world.values and name != "address":
            case.path_parameters[name] = str(world.values[name])


def _fuzz(operation, world) -> None:
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=operation.as_strategy())
    def run(case):
        case.call_and_validate(checks=CHECKS)
        case.call_and_validate(headers=_bearer(world, "stranger"), checks=CHECKS)
        _on_real_objects(case, world)
        case.call_and_validate(headers=_bearer(world, "creator"), checks=CHECKS)

    run()


@pytest.mark.chain
def test_no_server_errors_and_every_response_matches_the_schema(fuzz_world, live_server):
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")
    failures, count = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        count += 1
        try:
            _fuzz(operation, fuzz_world)
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failures
            failures.append(f"{operation.label}: {exc}"[:3000])
    assert count > 40, "the schema lost its operations"
    assert not failures, f"{len(failures)} operations failed:\n" + "\n\n".join(failures)
