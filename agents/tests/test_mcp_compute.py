"""Compute over MCP without the chain (a licence as the indexer records it): a job gets the
text inputs it was given, and its failures read as what they are."""

import pytest

from accounts import tokens
from agents.tests.mcp_live import Agent, McpServerThread
from compute.tests.helpers import buyer_with_licence, dataset_listing, environment

READ_INPUT = "print(open('/inputs/question.txt').read().upper(), flush=True)\n"


@pytest.fixture
def mcp_url():
    server = McpServerThread().start()
    yield server.url
    server.stop()


def test_a_job_reads_the_text_inputs_it_was_given(mcp_url, compute_settings, transactional_db):
    host = environment()
    listing = dataset_listing(hosts=[host])
    buyer = buyer_with_licence(listing)
    agent = Agent(mcp_url, tokens.api_token_create(user=buyer, name="agent").secret)
    job = agent.call(
        "submit_compute_job",
        slug=listing.slug,
        environment=host.name,
        script=READ_INPUT,
        inputs={"question.txt": "what is in the table?"},
    )
    log = agent.call("follow_job_log", job_id=job["id"], wait_seconds=5)
    assert log["finished"] and log["status"] == "succeeded", log
    assert "WHAT IS IN THE TABLE?" in log["text"]
    refused = agent.error(
        "submit_compute_job",
        slug=listing.slug,
        environment=host.name,
        script=READ_INPUT,
        inputs={".hidden": "x"},
    )
    assert "inputs: Input file names must be distinct plain file names." in refused
    other = environment()
    refused = agent.error(
        "submit_compute_job", slug=listing.slug, environment=other.name, script=READ_INPUT
    )
    assert other.name in refused or "host" in refused.lower(), refused
