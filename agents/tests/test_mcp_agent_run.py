"""An agent drives the MCP server with the SDK's own client over Streamable HTTP, against the
real chain: it searches, reads a listing, buys a download licence (signing and sending the
transaction with its own key), downloads the file and checks its sha256, buys compute, runs a
script over the dataset in the sandbox, follows its log, fetches the outputs and verifies the
JobReceipt on chain. The test thread plays the beat's part and runs the indexer."""

import hashlib
import textwrap
import time

import pytest
import requests

from accounts import tokens
from accounts.models import User
from agents.tests.mcp_live import DATASET, DOWNLOAD_WEI, Agent, McpServerThread
from payments.tests.indexing import index, wallets

pytestmark = pytest.mark.chain

SCRIPT = textwrap.dedent(
    """
    import csv
    rows = list(csv.DictReader(open("/data/climate.csv")))
    for row in rows:
        print("reading", row["city"], flush=True)
    mean = sum(int(r["temperature"]) for r in rows) / len(rows)
    open("/out/result.txt", "w").write(f"mean temperature {mean:.2f}\\n")
    print("done", flush=True)
    """
)


@pytest.fixture
def mcp_server(live_server, transactional_db, settings):
    settings.SITE_URL = live_server.url  # links the tools hand out point at the site
    server = McpServerThread().start()
    yield server
    server.stop()


def pay(w3, account, prepared: dict) -> None:
    """What the agent's wallet does with buy's reply: sign each transaction and send it."""
    for step in prepared["steps"]:
        assert step["type"] == "transaction", step
        tx = {
            "from": account.address,
            "to": step["to"],
            "data": step["data"],
            "value": int(step["value"]),
            "chainId": prepared["chain_id"],
            "nonce": w3.eth.get_transaction_count(account.address, "pending"),
            "gasPrice": w3.eth.gas_price,
        }
        tx["gas"] = w3.eth.estimate_gas(tx) * 12 // 10
        signed = account.sign_transaction(tx)
        receipt = w3.eth.wait_for_transaction_receipt(
            w3.eth.send_raw_transaction(signed.raw_transaction)
        )
        assert receipt["status"] == 1


def until(check, what: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        index(confirmations=0)  # what the beat's index-chain task does in production
        found = check()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def test_an_agent_buys_downloads_and_runs_a_job_over_mcp(mcp_server, listing, host, w3):
    wallet = wallets(1)[0]
    user = User.objects.create_user(wallet.address)
    agent = Agent(mcp_server.url, tokens.api_token_create(user=user, name="agent").secret)
    slug = listing.slug

    assert agent.call("whoami") == {"signed_in": True, "address": wallet.address}
    found = agent.call("search_listings", query="climate")
    assert [row["slug"] for row in found["results"]] == [slug]
    detail = agent.call("get_listing", slug=slug)
    assert [(t["name"], t["kind"]) for t in detail["tiers"]] == [
        ("Download", "download"),
        ("Compute", "compute"),
    ]
    assert detail["license_terms"]["name"]
    assert [env["name"] for env in detail["compute"]["environments"]] == ["agent-cpu"]
    assert agent.call("quote", slug=slug, tier=0)["total_wei"] == str(DOWNLOAD_WEI)

    # A download licence: the server builds the transaction, the agent's key signs and sends it.
    assert "licence_required" in agent.error("get_download_links", slug=slug)
    prepared = agent.call("buy", slug=slug, tier=0)
    assert prepared["buyer"] == wallet.address and prepared["total_wei"] == str(DOWNLOAD_WEI)
    pay(w3, wallet, prepared)
    until(lambda: agent.call("check_access", slug=slug)["has_download"], "the download licence")
    [file] = agent.call("get_download_links", slug=slug)["files"]
    data = requests.get(file["url"], timeout=30).content
    assert hashlib.sha256(data).hexdigest() == file["sha256"] == hashlib.sha256(DATASET).hexdigest()

    # Compute time, a job over the data it could not otherwise read, its outputs and receipt.
    pay(w3, wallet, agent.call("buy", slug=slug, tier=1))
    until(lambda: agent.call("check_access", slug=slug)["has_compute"], "the compute licence")
    job = agent.call("submit_compute_job", slug=slug, environment="agent-cpu", script=SCRIPT)
    log, after = "", 0
    while True:
        page = agent.call("follow_job_log", job_id=job["id"], after=after, wait_seconds=5)
        log, after = log + page["text"], page["next"]
        if page["finished"]:
            break
    assert page["status"] == "succeeded", (page, log)
    assert "reading Oslo" in log and "done" in log

    outputs = until(lambda: _with_receipt(agent, job["id"]), "the receipt attestation")
    [result] = outputs["outputs"]
    assert result["path"] == "result.txt" and result["text"] == "mean temperature 16.67\n"
    fetched = requests.get(result["url"], headers={"Authorization": f"Bearer {agent.token}"})
    assert fetched.status_code == 200 and fetched.content == b"mean temperature 16.67\n"
    digest = "0x" + hashlib.sha256(outputs["manifest"].encode()).hexdigest()
    assert digest == outputs["output_digest"]
    receipt = agent.call("verify_receipt", uid=outputs["receipt_uid"], output_digest=digest)
    assert receipt["matches"] is True
    assert receipt["recipient"] == wallet.address and receipt["host"] == "agent-cpu"
    assert receipt["input_digests"] == ["0x" + hashlib.sha256(DATASET).hexdigest()]
    assert receipt["algorithm_digest"] == "0x" + hashlib.sha256(SCRIPT.encode()).hexdigest()
    # Anyone may verify a receipt, without a token; a wrong digest does not match.
    anonymous = Agent(mcp_server.url)
    wrong = anonymous.call(
        "verify_receipt", uid=outputs["receipt_uid"], output_digest="0x" + "1" * 64
    )
    assert wrong["matches"] is False


def _with_receipt(agent: Agent, job_id: str) -> dict | None:
    outputs = agent.call("get_job_outputs", job_id=job_id)
    return outputs if outputs["receipt_uid"] else None
