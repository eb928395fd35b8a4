"""The agent issue 18 asks for: a wallet holding only test USDC, no ETH and no account, drives
the MCP server with the SDK's own client (and the x402 package's MCP client for paying). It
searches, buys a download licence with x402, downloads the file (sha256 equal to the upload),
signs in with its wallet for an API token, buys compute time with x402, runs a job and
verifies the JobReceipt on chain. No browser, no prior account, no gas paid by the agent.

Also over MCP: the one-signature gasless purchase, and the refusals that move no money (a
replayed payment, a payment for the wrong amount, a token's spend cap)."""

import hashlib
import json
import textwrap

import pytest
import requests
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from x402.mcp.utils import attach_payment_to_meta
from x402.mechanisms.evm.exact import ExactEvmScheme
from x402.schemas import PaymentPayload, PaymentRequired

from accounts.models import User
from agents.tests.mcp_live import (
    DATASET,
    Agent,
    McpServerThread,
    run_async,
)
from agents.tests.mcp_live import (
    USDC_COMPUTE as COMPUTE,
)
from agents.tests.mcp_live import (
    USDC_DOWNLOAD as DOWNLOAD,
)
from agents.tests.test_mcp_agent_run import _with_receipt, until
from agents.tests.x402_mcp import paid_call
from payments.models import RelayedPurchase, TokenSpendPolicy
from payments.tests.buying import mint

pytestmark = pytest.mark.chain
NETWORK = "eip155:31337"
SCRIPT = textwrap.dedent(
    """
    import csv
    rows = list(csv.DictReader(open("/data/climate.csv")))
    print("rows", len(rows), flush=True)
    open("/out/count.txt", "w").write(f"{len(rows)}\\n")
    """
)


@pytest.fixture
def mcp_server(live_server, transactional_db, settings):
    settings.SITE_URL = live_server.url  # sign-in messages and links name the site
    server = McpServerThread().start()
    yield server
    server.stop()


@pytest.fixture
def listing(usdc_listing):
    return usdc_listing


@pytest.fixture
def wallet(usdc, w3):
    """tUSDC only: no ETH, no account on the site."""
    account = Account.create()
    mint(usdc, account.address, 20 * 10**6)
    assert w3.eth.get_balance(account.address) == 0
    return account


def paying_in(usdc) -> dict:
    """What the agent's x402 client may pay with: tUSDC on our chain, at most 10 a payment."""
    return {"network": NETWORK, "asset": usdc.address, "max_amount_per_payment": "10000000"}


def signed_in(agent: Agent, wallet) -> str:
    """SIWE over MCP: the challenge, the wallet's personal_sign, an API token."""
    challenge = agent.call("sign_in_challenge", address=wallet.address)
    signature = wallet.sign_message(encode_defunct(text=challenge["message"])).signature
    reply = agent.call("sign_in", message=challenge["message"], signature=signature.to_0x_hex())
    assert reply["address"] == wallet.address and reply["token"].startswith("mkt_")
    return reply["token"]


def reply_of(paid) -> dict:
    assert not paid.is_error, paid.content
    return json.loads(paid.content[0]["text"])


def test_an_agent_with_only_test_usdc_buys_downloads_and_computes_over_mcp(
    mcp_server, listing, host, wallet, usdc, w3
):
    url, slug = mcp_server.url, listing.slug
    anonymous = Agent(url)
    assert not User.objects.filter(address=wallet.address).exists()

    [found] = anonymous.call("search_listings", query="climate")["results"]
    assert found["slug"] == slug
    tiers = anonymous.call("get_listing", slug=slug)["tiers"]
    assert [(t["name"], t["price_wei"]) for t in tiers] == [
        ("Download", str(DOWNLOAD)),
        ("Compute", str(COMPUTE)),
    ]

    # A download licence through x402: the tool asks (PaymentRequired), x402's client pays.
    paid = paid_call(url, None, wallet, paying_in(usdc), "buy", slug=slug, tier=0, method="x402")
    assert paid.payment_made and paid.payment_response.success
    assert paid.payment_response.payer == wallet.address
    bought = reply_of(paid)
    assert bought["buyer"] == wallet.address and bought["amount"] == str(DOWNLOAD)
    assert bought["tx_hash"] == paid.payment_response.transaction

    # No account was needed to pay; signing in with the wallet makes one and gives a token.
    agent = Agent(url, signed_in(anonymous, wallet))
    assert agent.call("whoami") == {"signed_in": True, "address": wallet.address}
    until(lambda: agent.call("check_access", slug=slug)["has_download"], "the download licence")
    [file] = agent.call("get_download_links", slug=slug)["files"]
    data = requests.get(file["url"], timeout=30).content
    assert hashlib.sha256(data).hexdigest() == hashlib.sha256(DATASET).hexdigest()

    # Compute time, paid the same way (now under the token: its spend controls apply).
    paid = paid_call(
        url, agent.token, wallet, paying_in(usdc), "buy", slug=slug, tier=1, method="x402"
    )
    assert paid.payment_made and reply_of(paid)["amount"] == str(COMPUTE)
    relayed = RelayedPurchase.objects.get(pk=reply_of(paid)["relay"])
    assert relayed.api_token.user.address == wallet.address
    until(lambda: agent.call("check_access", slug=slug)["has_compute"], "the compute licence")

    job = agent.call("submit_compute_job", slug=slug, environment=host.name, script=SCRIPT)
    after = 0
    while True:
        page = agent.call("follow_job_log", job_id=job["id"], after=after, wait_seconds=5)
        after = page["next"]
        if page["finished"]:
            break
    assert page["status"] == "succeeded", page
    outputs = until(lambda: _with_receipt(agent, job["id"]), "the receipt attestation")
    assert [o["text"] for o in outputs["outputs"]] == ["3\n"]
    digest = "0x" + hashlib.sha256(outputs["manifest"].encode()).hexdigest()
    receipt = anonymous.call("verify_receipt", uid=outputs["receipt_uid"], output_digest=digest)
    assert receipt["matches"] is True and receipt["recipient"] == wallet.address

    # Charged once for each licence, in tUSDC; the agent never held or spent ETH.
    assert usdc.functions.balanceOf(wallet.address).call() == 20 * 10**6 - DOWNLOAD - COMPUTE
    assert w3.eth.get_balance(wallet.address) == 0


def _payment(mcp_url, wallet, slug, tier, **changes) -> tuple[PaymentRequired, PaymentPayload]:
    """What the buy tool asks for, and a payment for it as x402's client builds it (changes:
    what a bad client alters before signing)."""
    asked = Agent(mcp_url).result("buy", slug=slug, tier=tier, method="x402")
    assert asked.is_error
    required = PaymentRequired.model_validate(asked.structured_content)
    terms = required.accepts[0].model_copy(update=changes)
    inner = ExactEvmScheme(wallet).create_payment_payload(terms)
    return required, PaymentPayload(payload=inner, accepted=terms)


async def _call_with_payment(url, payload, arguments):
    from mcp import Client

    meta = attach_payment_to_meta({}, payload)["_meta"]
    async with Client(url) as client:
        return await client.call_tool("buy", arguments, meta=meta)


def test_the_buy_tool_asks_for_x402_and_refuses_bad_payments(mcp_server, listing, wallet, usdc):
    url, slug = mcp_server.url, listing.slug
    required, payload = _payment(url, wallet, slug, 0)
    [terms] = required.accepts
    assert (terms.scheme, terms.network, terms.amount) == ("exact", NETWORK, str(DOWNLOAD))
    assert terms.asset == usdc.address and terms.extra["tier"] == 0
    assert required.extensions is None  # over MCP a holder shows its API token instead

    arguments = {"slug": slug, "tier": 0, "method": "x402"}
    _, cheap = _payment(url, wallet, slug, 0, amount="1")
    wrong = run_async(_call_with_payment, url, cheap, arguments)
    assert wrong.is_error
    assert PaymentRequired.model_validate(wrong.structured_content).error.startswith(
        "The licence costs"
    )
    _, elsewhere = _payment(url, wallet, slug, 0, network="eip155:1")
    assert run_async(_call_with_payment, url, elsewhere, arguments).is_error
    assert usdc.functions.balanceOf(wallet.address).call() == 20 * 10**6  # nothing moved

    assert not run_async(_call_with_payment, url, payload, arguments).is_error
    replay = run_async(_call_with_payment, url, payload, arguments)
    assert replay.is_error and replay.content[0].text.startswith("Error executing tool buy:")
    assert "already" in replay.content[0].text
    assert usdc.functions.balanceOf(wallet.address).call() == 20 * 10**6 - DOWNLOAD  # once


def test_a_token_cap_refuses_an_x402_payment_before_anything_is_sent(
    mcp_server, listing, wallet, usdc
):
    agent = Agent(mcp_server.url, signed_in(Agent(mcp_server.url), wallet))
    token = User.objects.get(address=wallet.address).api_tokens.get()
    TokenSpendPolicy.objects.create(api_token=token, currency=usdc.address, daily_cap=DOWNLOAD - 1)
    paid = paid_call(
        mcp_server.url, agent.token, wallet, paying_in(usdc), "buy", slug=listing.slug, tier=0,
        method="x402",
    )  # fmt: skip
    assert paid.is_error and "token_daily_cap" in paid.content[0]["text"]
    assert usdc.functions.balanceOf(wallet.address).call() == 20 * 10**6
    assert not RelayedPurchase.objects.exists()


def test_a_gasless_purchase_over_mcp_takes_one_signature(mcp_server, listing, wallet, usdc):
    agent = Agent(mcp_server.url, signed_in(Agent(mcp_server.url), wallet))
    prepared = agent.call("buy", slug=listing.slug, tier=0, method="gasless")
    assert prepared["payment"] == "gasless" and len(prepared["sign"]) == 1
    [document] = prepared["sign"]
    signature = wallet.sign_message(encode_typed_data(full_message=document)).signature
    relayed = agent.call(
        "submit_signed_purchase",
        slug=listing.slug,
        intent=prepared["intent"],
        signatures=[signature.to_0x_hex()],
    )
    assert relayed["buyer"] == wallet.address and relayed["amount"] == str(DOWNLOAD)
    assert usdc.functions.balanceOf(wallet.address).call() == 20 * 10**6 - DOWNLOAD
    again = agent.error(
        "submit_signed_purchase",
        slug=listing.slug,
        intent=prepared["intent"],
        signatures=[signature.to_0x_hex()],
    )
    assert "already_relayed" in again


def test_signing_in_over_mcp_refuses_another_wallet_and_a_reused_message(
    mcp_server, live_server, wallet
):
    anonymous = Agent(mcp_server.url)
    challenge = anonymous.call("sign_in_challenge", address=wallet.address)
    message = challenge["message"]
    assert "Chain ID: 31337" in message and challenge["nonce"] in message
    assert message.startswith(f"{live_server.url} wants you to sign in")  # to the site
    stranger = Account.create().sign_message(encode_defunct(text=message)).signature
    text = anonymous.error("sign_in", message=message, signature=stranger.to_0x_hex())
    assert text.startswith("Error executing tool sign_in: ") and "signature" in text.lower()
    own = wallet.sign_message(encode_defunct(text=message)).signature.to_0x_hex()
    assert anonymous.call("sign_in", message=message, signature=own)["address"] == wallet.address
    assert "nonce" in anonymous.error("sign_in", message=message, signature=own)
