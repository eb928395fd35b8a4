"""Every way an agent can get it wrong answers a clear tool error (the REST API's error codes),
never a crash: no token, a bad token, someone else's job, a hidden listing, bad arguments.
Over Streamable HTTP, with the SDK's client, against the server on loopback."""

import httpx2
import pytest
from django.core.cache import cache
from mcp import Client

from accounts import tokens
from agents.tests.mcp_live import Agent, McpServerThread, run_async
from compute.tests.helpers import buyer_with_licence, dataset_listing, environment, submit
from listings.models import Listing
from listings.tests import factories
from payments.tests.access_helpers import published_listing

TOOLS = {
    "whoami", "search_listings", "get_listing", "quote", "buy", "check_access",
    "get_download_links", "submit_compute_job", "follow_job_log", "get_job", "get_job_outputs",
    "cancel_job", "verify_receipt", "sign_in_challenge", "sign_in", "submit_signed_purchase",
}  # fmt: skip
NO_JOB = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def mcp_url():
    server = McpServerThread().start()
    yield server.url
    server.stop()


def agent_for(url: str, user) -> Agent:
    return Agent(url, tokens.api_token_create(user=user, name="agent").secret)


def test_the_tools_are_listed_with_their_schemas(mcp_url, transactional_db):
    tools = {tool.name: tool for tool in Agent(mcp_url).tools()}
    assert set(tools) == TOOLS
    assert tools["buy"].input_schema["required"] == ["slug", "tier"]
    assert tools["buy"].input_schema["properties"]["method"]["enum"] == [
        "wallet",
        "gasless",
        "x402",
    ]
    assert tools["buy"].annotations.read_only_hint is False  # x402 pays
    assert tools["search_listings"].annotations.read_only_hint is True
    assert tools["submit_compute_job"].annotations.read_only_hint is False
    assert all(tool.description for tool in tools.values())


def test_tools_that_act_for_someone_need_a_token(mcp_url, transactional_db):
    anonymous = Agent(mcp_url)
    assert anonymous.call("whoami") == {"signed_in": False, "address": None}
    for name, arguments in [
        ("get_download_links", {"slug": "anything"}),
        ("submit_compute_job", {"slug": "anything", "environment": "h"}),
        ("get_job", {"job_id": NO_JOB}),
        ("follow_job_log", {"job_id": NO_JOB}),
        ("get_job_outputs", {"job_id": NO_JOB}),
    ]:
        text = anonymous.error(name, **arguments)
        assert "not_authenticated: This tool needs an API token" in text, text
        assert "Authorization: Bearer" in text
    listing = published_listing()
    assert "bad_address" in anonymous.error("check_access", slug=listing.slug)
    assert "bad_address" in anonymous.error("buy", slug=listing.slug, tier=0)
    assert "bad_address" in anonymous.error("check_access", slug=listing.slug, address="0x12")


def test_a_bad_token_is_refused_not_taken_for_anonymous(mcp_url, transactional_db):
    user = factories.user()
    issued = tokens.api_token_create(user=user, name="old")
    tokens.api_token_revoke(user=user, token_id=issued.token.pk)
    for secret in (issued.secret, "mkt_never-issued", "not-even-a-token"):
        text = Agent(mcp_url, secret).error("search_listings")
        assert "authentication_failed: Invalid, expired or revoked token." in text


def test_strangers_see_nothing_of_a_job_or_a_hidden_listing(
    mcp_url, transactional_db, compute_settings
):
    host = environment()
    listing = dataset_listing(hosts=[host])
    buyer = buyer_with_licence(listing)
    job = submit(listing, buyer, host, "print('hi')\n")
    owner, stranger = agent_for(mcp_url, buyer), agent_for(mcp_url, factories.user())
    assert owner.call("get_job", job_id=str(job.uuid))["status"] == "succeeded"
    for name in ("get_job", "get_job_outputs", "follow_job_log", "cancel_job"):
        assert "not_found: No such job." in stranger.error(name, job_id=str(job.uuid))
    # No compute licence: refused before anything is queued.
    refused = stranger.error(
        "submit_compute_job", slug=listing.slug, environment=host.name, script="print(1)\n"
    )
    assert "403" not in refused and "licence" in refused.lower()
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.DRAFT)
    for name in ("get_listing", "get_download_links"):
        assert "not_found: No such listing." in stranger.error(name, slug=listing.slug)
    assert "not_found" in stranger.error("quote", slug="no-such-listing", tier=0)


def test_bad_arguments_are_tool_errors(mcp_url, transactional_db):
    agent = agent_for(mcp_url, factories.user())
    assert "tier" in agent.error("quote", slug="x", tier=-1)
    assert "job_id" in agent.error("get_job", job_id="not-a-uuid")
    assert "uid_invalid" in agent.error("verify_receipt", uid="0x1234")
    assert "output_digest" in agent.error("verify_receipt", uid="0x" + "0" * 64, output_digest="x")
    assert "sort" in agent.error("search_listings", sort="cheapest")
    assert "Unknown tool" in agent.error("delete_everything")


def test_requests_for_other_hosts_are_refused(mcp_url, transactional_db):
    """DNS-rebinding protection: the Host header must be one of the site's ALLOWED_HOSTS."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Host": "evil.example", "Accept": "application/json, text/event-stream"}
    reply = httpx2.post(mcp_url, json=body, headers=headers)
    assert reply.status_code == 421


def test_the_api_rate_limits_hold_over_mcp(mcp_url, transactional_db, settings):
    """The REST API's limits and counters: per user, per IP when anonymous, and the stricter
    `purchase` scope on buy (each call reads the chain)."""
    settings.API_THROTTLE_RATES = {"user": "3/minute", "anon": "2/minute", "purchase": "1/minute"}
    agent = agent_for(mcp_url, factories.user())
    assert "not_found" in agent.error("buy", slug="no-such-listing", tier=0)
    assert "throttled: Too many requests: retry in" in agent.error("buy", slug="x", tier=0)
    agent.call("whoami")
    assert "throttled" in agent.error("whoami")
    anonymous = Agent(mcp_url)
    anonymous.call("whoami")
    anonymous.call("whoami")
    assert "throttled" in anonymous.error("search_listings")


def test_clients_of_the_initialize_handshake_era_connect_too(mcp_url, transactional_db):
    async def legacy_call():
        async with Client(mcp_url, mode="legacy") as client:
            return await client.call_tool("whoami", {})

    result = run_async(legacy_call)
    assert result.structured_content == {"signed_in": False, "address": None}


def test_signing_in_over_mcp_has_the_rest_sign_ins_rate_limit(mcp_url, transactional_db, settings):
    """Nonces are rows anyone can create and a signed message costs CPU to check: the MCP
    sign-in tools count against the same per-IP limit as POST auth/nonce and auth/verify."""
    cache.clear()
    settings.SIWE_THROTTLE_RATE = "2/minute"
    anonymous = Agent(mcp_url)
    address = "0x" + "12" * 20
    for _ in range(2):
        anonymous.call("sign_in_challenge", address=address)
    assert "throttled" in anonymous.error("sign_in_challenge", address=address)
    assert "throttled" not in anonymous.error("sign_in", message="x", signature="0x" + "1" * 130)


def test_a_user_holds_at_most_two_waiting_log_calls():
    """follow_job_log waits in one of the server's worker threads: a third concurrent wait of
    one user answers at once instead, so one user cannot stall every tool."""
    from agents.tools_compute import waiting_slot

    with waiting_slot(7) as first, waiting_slot(7) as second, waiting_slot(7) as third:
        assert (first, second, third) == (True, True, False)
        with waiting_slot(8) as someone_else:
            assert someone_else is True
    with waiting_slot(7) as again:
        assert again is True
