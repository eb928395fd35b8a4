"""An agent with only a wallet key holding a stablecoin (no ETH, no account, no API token) on the
marketplace's MCP server, with the official MCP SDK and the x402 package's MCP client:

    search → read the listing → buy a download licence with x402 (one signed authorization,
    sent in the tool call's _meta) → sign in with the wallet for an API token → wait for the
    licence → download the file and check its sha256 → buy compute with x402 → run a script
    over the dataset → follow its log → fetch the outputs → check the JobReceipt on chain

Run against `make run` (mint yourself test USDC first: `mint(address, amount)` on TestAuthToken,
docs/agents.md "Local test money"):

    python docs/examples/mcp_x402_agent.py --mcp http://127.0.0.1:8001/mcp --key 0x… \
        --query "city climate" --max-payment 10000000

Needs `pip install mcp x402 eth-account requests`. agents/tests/test_docs_example.py runs it.
"""

import argparse
import asyncio
import hashlib
import json
import os
import sys
from datetime import timedelta
from types import SimpleNamespace

import httpx2
import requests
from eth_account import Account
from eth_account.messages import encode_defunct
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from x402 import x402Client
from x402.mcp import x402MCPClient
from x402.mechanisms.evm.exact import ExactEvmScheme

SCRIPT = """\
import csv, glob
for path in sorted(glob.glob("/data/**/*.csv", recursive=True)):
    rows = list(csv.reader(open(path)))
    print(path, len(rows) - 1, "rows", flush=True)
    open("/out/rows.txt", "a").write(f"{path}\\t{len(rows) - 1}\\n")
"""


class SdkClientFor402:
    """x402's MCP client was written for the SDK's 1.x session (`call_tool` of one params dict,
    a timedelta timeout, camelCase results); this hands its calls to the 2.x Client."""

    def __init__(self, client: Client):
        self.client = client

    async def call_tool(self, params: dict, read_timeout_seconds=None, **_):
        if isinstance(read_timeout_seconds, timedelta):
            read_timeout_seconds = read_timeout_seconds.total_seconds()
        result = await self.client.call_tool(
            params["name"],
            params.get("arguments") or {},
            read_timeout_seconds=read_timeout_seconds,
            meta=params.get("_meta"),
        )
        return SimpleNamespace(
            content=[block.model_dump(mode="json", by_alias=True) for block in result.content],
            isError=result.is_error,
            _meta=result.meta or {},
            structuredContent=result.structured_content,
        )


class Agent:
    """Calls tools (paying with x402 when a tool asks); a tool error stops the run."""

    def __init__(self, client: Client, wallet, max_payment: int):
        self.client = client
        payments = x402Client().register("eip155:*", ExactEvmScheme(wallet))
        self.paying = x402MCPClient(SdkClientFor402(client), payments, auto_payment=True)
        self.wallet, self.max_payment = wallet, max_payment

    async def __call__(self, tool: str, **arguments) -> dict:
        result = await self.client.call_tool(tool, arguments)
        if result.is_error:
            raise SystemExit(f"{tool}: {result.content[0].text}")
        return result.structured_content

    async def pay(self, tool: str, asset: str, **arguments) -> dict:
        # The wallet's own limit: only this asset, at most max_payment base units a payment.
        allowed = {"network": "eip155:*", "asset": asset}
        allowed["max_amount_per_payment"] = str(self.max_payment)
        self.paying.payment_client.set_spend_controls({"allowed_assets": [allowed]})
        result = await self.paying.call_tool(tool, arguments)
        if result.is_error:
            raise SystemExit(f"{tool}: {result.content[0]['text']}")
        settled = result.payment_response
        print(f"  paid {settled.amount} to the checkout: {settled.transaction}")
        return json.loads(result.content[0]["text"])


async def sign_in(agent: Agent) -> str:
    challenge = await agent("sign_in_challenge", address=agent.wallet.address)
    signed = agent.wallet.sign_message(encode_defunct(text=challenge["message"])).signature
    reply = await agent("sign_in", message=challenge["message"], signature=signed.to_0x_hex())
    print(f"signed in as {reply['address']}")
    return reply["token"]


async def buy(agent: Agent, slug: str, tier: dict, has: str) -> None:
    print(f"buying '{tier['name']}' for {tier['price_wei']} base units of {tier['currency']}")
    await agent.pay("buy", tier["currency"], slug=slug, tier=tier["position"], method="x402")
    for _ in range(240):  # the indexer grants the licence once the purchase is confirmed
        if (await agent("check_access", slug=slug, address=agent.wallet.address))[has]:
            print(f"  licence granted ({has})")
            return
        await asyncio.sleep(0.5)
    raise SystemExit("the licence never showed up")


async def download(agent: Agent, slug: str) -> None:
    for file in (await agent("get_download_links", slug=slug))["files"]:
        data = requests.get(file["url"], timeout=60).content
        digest = hashlib.sha256(data).hexdigest()
        assert digest == file["sha256"], f"{file['path']}: sha256 mismatch"
        print(f"downloaded {file['path']}: {len(data)} bytes, sha256 {digest} ✓")


async def compute(agent: Agent, slug: str, host: str) -> None:
    job = await agent("submit_compute_job", slug=slug, environment=host, script=SCRIPT)
    print(f"job {job['id']} on {host}: {job['status']}")
    after = 0
    while True:
        log = await agent("follow_job_log", job_id=job["id"], after=after, wait_seconds=10)
        print(log["text"], end="")
        after = log["next"]
        if log["finished"]:
            break
    if log["status"] != "succeeded":
        raise SystemExit(f"job {log['status']}: {log['reason']}")
    for _ in range(120):  # the receipt is attested on chain just after the job ends
        outputs = await agent("get_job_outputs", job_id=job["id"])
        if outputs["receipt_uid"]:
            break
        await asyncio.sleep(0.5)
    else:
        raise SystemExit("no receipt was attested")
    digest = "0x" + hashlib.sha256(outputs["manifest"].encode()).hexdigest()
    receipt = await agent("verify_receipt", uid=outputs["receipt_uid"], output_digest=digest)
    if not receipt["matches"]:
        raise SystemExit("the receipt on chain does not match the outputs")
    print(f"receipt {receipt['uid']} on chain matches the outputs ✓ (host {receipt['host']})")


async def connected(url: str, token: str | None, work) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=120)) as http:
        async with Client(streamable_http_client(url, http_client=http)) as client:
            await work(client)


async def run(args) -> None:
    wallet = Account.from_key(args.key)
    found = {}

    async def shop(client: Client) -> None:  # no token: anyone may search and pay
        agent = Agent(client, wallet, args.max_payment)
        results = (await agent("search_listings", query=args.query))["results"]
        if not results:
            raise SystemExit(f"nothing matches {args.query!r}")
        listing = await agent("get_listing", slug=results[0]["slug"])
        print(f"found {listing['slug']}: {listing['title']}")
        tiers = {t["kind"]: t for t in reversed(listing["tiers"])}
        if "download" in tiers:
            await buy(agent, listing["slug"], tiers["download"], "has_download")
        found.update(listing=listing, tiers=tiers, token=await sign_in(agent))

    async def use(client: Client) -> None:  # with the token: downloads and compute jobs
        agent = Agent(client, wallet, args.max_payment)
        listing, tiers = found["listing"], found["tiers"]
        slug = listing["slug"]
        if "download" in tiers:
            await download(agent, slug)
        hosts = [e["name"] for e in listing["compute"]["environments"]]
        if "compute" in tiers and hosts and listing["compute"]["allow_raw_algorithms"]:
            await buy(agent, slug, tiers["compute"], "has_compute")
            await compute(agent, slug, hosts[0])

    await connected(args.mcp, None, shop)
    await connected(args.mcp, found["token"], use)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mcp", default=os.environ.get("MCP_URL", "http://127.0.0.1:8001/mcp"))
    parser.add_argument("--key", default=os.environ.get("AGENT_KEY"))
    parser.add_argument("--query", default="")
    parser.add_argument("--max-payment", type=int, default=10_000_000, help="base units")
    args = parser.parse_args(argv)
    if not args.key:
        parser.error("give --key (or AGENT_KEY)")
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
