"""An agent on the marketplace's MCP server, with the official MCP SDK and a wallet key:

    search → read the listing → buy a download licence (sign and send the transaction the
    server built) → wait for the licence → download the file and check its sha256 →
    buy compute → run a script over the dataset → follow its log → fetch the outputs →
    check the JobReceipt on chain against the outputs' manifest

Run against `make run` (anvil's dev keys hold test ETH there; the key's API token comes from
Profile → API tokens, or from SIWE as in docs/examples/api_walkthrough.py):

    python docs/examples/mcp_agent.py --mcp http://127.0.0.1:8001/mcp \
        --rpc http://127.0.0.1:8545 --token mkt_… --key 0x… --query "city climate"

Needs `pip install mcp eth-account requests`. agents/tests/test_docs_example.py runs this file.
"""

import argparse
import asyncio
import hashlib
import json
import os
import sys
import time

import httpx2
import requests
from eth_account import Account
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

SCRIPT = """\
import csv, glob
for path in sorted(glob.glob("/data/**/*.csv", recursive=True)):
    rows = list(csv.reader(open(path)))
    print(path, len(rows) - 1, "rows", flush=True)
    open("/out/rows.txt", "a").write(f"{path}\\t{len(rows) - 1}\\n")
"""


class Agent:
    """Calls tools; a tool error stops the run with the server's message."""

    def __init__(self, client: Client):
        self.client = client

    async def __call__(self, tool: str, **arguments) -> dict:
        result = await self.client.call_tool(tool, arguments)
        if result.is_error:
            raise SystemExit(f"{tool}: {result.content[0].text}")
        return result.structured_content


def rpc(url: str, method: str, *params):
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    reply = requests.post(url, json=body, timeout=30).json()
    if "error" in reply:
        raise SystemExit(f"{method}: {reply['error']}")
    return reply["result"]


def send(rpc_url: str, account, chain_id: int, step: dict) -> str:
    """Sign one server-built transaction step with the agent's own key and send it."""
    tx = {"to": step["to"], "data": step["data"], "value": int(step["value"]), "chainId": chain_id}
    tx["nonce"] = int(rpc(rpc_url, "eth_getTransactionCount", account.address, "pending"), 16)
    tx["gasPrice"] = int(rpc(rpc_url, "eth_gasPrice"), 16)
    estimate = {"from": account.address, "to": tx["to"], "data": tx["data"]}
    tx["gas"] = int(rpc(rpc_url, "eth_estimateGas", {**estimate, "value": hex(tx["value"])}), 16)
    tx["gas"] = tx["gas"] * 12 // 10
    raw = account.sign_transaction(tx).raw_transaction.to_0x_hex()
    tx_hash = rpc(rpc_url, "eth_sendRawTransaction", raw)
    for _ in range(120):
        receipt = rpc(rpc_url, "eth_getTransactionReceipt", tx_hash)
        if receipt:
            if int(receipt["status"], 16) != 1:
                raise SystemExit(f"{tx_hash} reverted")
            return tx_hash
        time.sleep(0.5)
    raise SystemExit(f"no receipt for {tx_hash}")


async def buy(agent: Agent, args, account, slug: str, tier: dict, has: str) -> None:
    prepared = await agent("buy", slug=slug, tier=tier["position"])
    print(f"buying '{tier['name']}' for {prepared['total_wei']} wei")
    for step in prepared["steps"]:
        if step["type"] != "transaction":  # an ERC-20 permit: sign it and call buy again
            raise SystemExit(f"this example pays in ETH only; got a {step['type']} step")
        print(f"  sent {step['name']}: {send(args.rpc, account, prepared['chain_id'], step)}")
    for _ in range(240):  # the indexer grants the licence once the purchase is confirmed
        if (await agent("check_access", slug=slug))[has]:
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
    for output in outputs["outputs"]:
        print(f"output {output['path']} ({output['size']} bytes): {output['text']!r}")
    digest = "0x" + hashlib.sha256(outputs["manifest"].encode()).hexdigest()
    receipt = await agent("verify_receipt", uid=outputs["receipt_uid"], output_digest=digest)
    if not receipt["matches"]:
        raise SystemExit("the receipt on chain does not match the outputs")
    print(f"receipt {receipt['uid']} on chain matches the outputs ✓ (host {receipt['host']})")


async def run(args) -> None:
    account = Account.from_key(args.key)
    headers = {"Authorization": f"Bearer {args.token}"}
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=120)) as http:
        async with Client(streamable_http_client(args.mcp, http_client=http)) as client:
            agent = Agent(client)
            me = await agent("whoami")
            if me["address"] != account.address:
                raise SystemExit(f"the token is {me['address']}'s, the key {account.address}'s")
            found = (await agent("search_listings", query=args.query))["results"]
            if not found:
                raise SystemExit(f"nothing matches {args.query!r}")
            listing = await agent("get_listing", slug=found[0]["slug"])
            slug = listing["slug"]
            terms = (listing["license_terms"] or {}).get("name", "no terms")
            print(f"found {slug}: {listing['title']} ({terms})")
            print(json.dumps([(t["position"], t["name"], t["kind"]) for t in listing["tiers"]]))
            tiers = {t["kind"]: t for t in reversed(listing["tiers"])}
            if "download" in tiers:
                await buy(agent, args, account, slug, tiers["download"], "has_download")
                await download(agent, slug)
            hosts = [e["name"] for e in listing["compute"]["environments"]]
            if "compute" in tiers and hosts and listing["compute"]["allow_raw_algorithms"]:
                await buy(agent, args, account, slug, tiers["compute"], "has_compute")
                await compute(agent, slug, hosts[0])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mcp", default=os.environ.get("MCP_URL", "http://127.0.0.1:8001/mcp"))
    parser.add_argument("--rpc", default=os.environ.get("RPC_URL", "http://127.0.0.1:8545"))
    parser.add_argument("--token", default=os.environ.get("MARKETPLACE_TOKEN"))
    parser.add_argument("--key", default=os.environ.get("AGENT_KEY"))
    parser.add_argument("--query", default="")
    args = parser.parse_args(argv)
    if not (args.token and args.key):
        parser.error("give --token and --key (or MARKETPLACE_TOKEN / AGENT_KEY)")
    asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
