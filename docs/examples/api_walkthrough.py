"""The marketplace API from end to end, with nothing but `requests` and `eth-account`:

    key A (creator): sign in → create a listing → upload a file (resumable upload API) →
                     release version v1 → set a tier, the split and licence terms →
                     sign the listing offer (EIP-712) → submitted (published after review)
    key B (buyer):   sign in → ask the server to build the purchase transaction → sign it and
                     send it to the chain → wait until the indexer grants access →
                     download the file and check its sha256

Run against `make run` (anvil's dev keys hold test ETH there):

    python docs/examples/api_walkthrough.py --api http://127.0.0.1:8000 \
        --rpc http://127.0.0.1:8545 --creator-key 0x… --buyer-key 0x…

With LISTINGS_REQUIRE_REVIEW on (the default) the script waits until a moderator approves the
listing (/moderation/ in the browser). tests/api/test_walkthrough.py runs this very file.
"""

import argparse
import hashlib
import json
import os
import sys
import time

import requests
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data

CHUNK = 256 * 1024


class Api:
    """A thin client: JSON in and out, the API's error format turned into an exception."""

    def __init__(self, base: str, token: str | None = None):
        self.base = base.rstrip("/")
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, expect=(200, 201, 204), **kwargs):
        url = path if path.startswith("http") else f"{self.base}/api/v1/{path}"
        reply = self.session.request(method, url, timeout=60, **kwargs)
        if reply.status_code not in expect:
            try:
                error = reply.json()["error"]
                detail = f"{error['code']}: {error['message']}"
            except (ValueError, KeyError):
                detail = reply.text[:300]
            raise SystemExit(f"{method} {url} → {reply.status_code} {detail}")
        return reply.json() if reply.content and "json" in reply.headers["Content-Type"] else reply


def sign_in(base: str, account) -> Api:
    """SIWE (EIP-4361): the server writes the message, the key signs it, the server returns an
    API token (`"token": true`), used as `Authorization: Bearer …` from then on."""
    api = Api(base)
    issued = api.call("POST", "auth/nonce", json={"address": account.address})
    signature = account.sign_message(encode_defunct(text=issued["message"])).signature.to_0x_hex()
    body = {"message": issued["message"], "signature": signature, "token": True}
    user = api.call("POST", "auth/verify", json=body)
    print(f"signed in as {user['address']}")
    return Api(base, user["token"])


def upload(api: Api, name: str, content: bytes) -> str:
    """The resumable upload: create, send chunks at their offsets, finish (the server checks
    the sha256 and computes the CID). A broken connection resumes from GET upload's offset."""
    digest = hashlib.sha256(content).hexdigest()
    body = {"filename": name, "size": len(content), "sha256": digest}
    created = api.call("POST", "artifacts/uploads/", json=body)
    chunk_url = api.base + created["urls"]["chunk"]
    offset = 0
    while offset < len(content):
        part = content[offset : offset + CHUNK]
        headers = {
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        }
        offset = api.call("PATCH", chunk_url, data=part, headers=headers)["offset"]
    finished = api.call("POST", api.base + created["urls"]["finish"], json={"sha256": digest})
    print(f"uploaded {name}: {finished['artifact']['cid']}")
    return finished["artifact"]["cid"]


def create_listing(api: Api, creator: str, content: bytes, price_wei: int) -> str:
    card = (
        "---\nlicense: apache-2.0\npipeline_tag: text-classification\ntags: [demo]\n---\n"
        "# Walkthrough model\n\nTiny weights for the API walkthrough."
    )
    body = {"kind": "model", "title": "Walkthrough model", "summary": "From the API", "card": card}
    # Terms that grant what the card's apache-2.0 grants: a card and terms that disagree are
    # refused (400 license_mismatch).
    rights = ("commercial_use", "derivatives_allowed", "redistribution_allowed")
    terms = [t for t in api.call("GET", "license-terms/") if all(t[r] for r in rights)]
    if terms:
        body["license_terms"] = terms[0]["id"]
    else:
        mine = {"name": "Mine", **dict.fromkeys(rights, True)}
        body["license_terms"] = api.call("POST", "license-terms/", json=mine)["id"]
    slug = api.call("POST", "listings/", json=body)["slug"]
    cid = upload(api, "model.safetensors", content)
    version = {
        "tag": "v1",
        "changelog": "First release",
        "files": [{"path": "model.safetensors", "cid": cid}],
    }
    api.call("POST", f"listings/{slug}/versions", json=version)
    tier = {"name": "Download", "price_wei": str(price_wei), "kind": "download"}
    api.call("PUT", f"listings/{slug}/tiers", json=[tier])
    api.call("PUT", f"listings/{slug}/splits", json=[{"address": creator, "bps": 10_000}])
    print(f"listing {slug} drafted")
    return slug


def sign_offer(api: Api, account, slug: str) -> str:
    """The creator signs the EIP-712 listing offer; the first purchase registers it on chain
    (the creator pays no gas)."""
    document = api.call("POST", f"listings/{slug}/offer/prepare")
    signature = account.sign_message(encode_typed_data(full_message=document)).signature
    body = {"message": document["message"], "signature": signature.to_0x_hex()}
    status = api.call("POST", f"listings/{slug}/offer", json=body)["listing_status"]
    print(f"offer signed; listing is {status}")
    return status


def wait_until(what: str, check, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    raise SystemExit(f"timed out waiting for {what}")


def rpc(url: str, method: str, *params):
    reply = requests.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=30
    ).json()
    if "error" in reply:
        raise SystemExit(f"{method}: {reply['error']}")
    return reply["result"]


def send(rpc_url: str, account, tx: dict) -> str:
    """Sign the server-built transaction (to, data, value) locally and send it raw."""
    full = {
        "to": tx["to"],
        "data": tx["data"],
        "value": int(tx["value"]),
        "chainId": int(rpc(rpc_url, "eth_chainId"), 16),
        "nonce": int(rpc(rpc_url, "eth_getTransactionCount", account.address, "pending"), 16),
        "gasPrice": int(rpc(rpc_url, "eth_gasPrice"), 16),
    }
    estimate = {"from": account.address, "to": full["to"], "data": full["data"]}
    estimate["value"] = hex(full["value"])
    full["gas"] = int(rpc(rpc_url, "eth_estimateGas", estimate), 16) * 12 // 10
    raw = account.sign_transaction(full).raw_transaction.to_0x_hex()
    tx_hash = rpc(rpc_url, "eth_sendRawTransaction", raw)
    receipt = wait_until(
        "the receipt", lambda: rpc(rpc_url, "eth_getTransactionReceipt", tx_hash), 60
    )
    if int(receipt["status"], 16) != 1:
        raise SystemExit(f"transaction {tx_hash} reverted")
    return tx_hash


def buy_and_download(api: Api, account, rpc_url: str, slug: str, expected: bytes) -> None:
    prepared = api.call(
        "POST", f"listings/{slug}/purchase/prepare", json={"tier": 0, "buyer": account.address}
    )
    print(f"paying {prepared['total_wei']} wei")
    for step in prepared["steps"]:  # ETH tiers: just the purchase; ERC-20: approve or permit
        if step.get("type") != "transaction":
            raise SystemExit(f"this example pays in ETH only; got step {step.get('type')}")
        print(f"sent {step['name']}: {send(rpc_url, account, step)}")

    def has_access():
        return api.call("GET", f"listings/{slug}/access")["has_download"]

    wait_until("the licence (the indexer confirms the purchase)", has_access, 120)
    links = api.call("GET", f"listings/{slug}/downloads")
    data = api.session.get(links[0]["url"], timeout=60).content
    digest = hashlib.sha256(data).hexdigest()
    assert digest == links[0]["sha256"] == hashlib.sha256(expected).hexdigest(), "bad download"
    print(f"downloaded {links[0]['path']}: {len(data)} bytes, sha256 {digest} ✓")


def safetensors(data: bytes) -> bytes:
    """One uint8 tensor in the safetensors format: files are scanned before anyone may
    download them, and safetensors (unlike pickles) cannot run code when loaded."""
    header = json.dumps(
        {"weights": {"dtype": "U8", "shape": [len(data)], "data_offsets": [0, len(data)]}}
    )
    return len(header).to_bytes(8, "little") + header.encode() + data


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api", default=os.environ.get("API_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--rpc", default=os.environ.get("RPC_URL", "http://127.0.0.1:8545"))
    parser.add_argument("--creator-key", default=os.environ.get("CREATOR_KEY"), required=False)
    parser.add_argument("--buyer-key", default=os.environ.get("BUYER_KEY"), required=False)
    parser.add_argument("--price-wei", type=int, default=10**15)
    args = parser.parse_args(argv)
    if not (args.creator_key and args.buyer_key):
        parser.error("give --creator-key and --buyer-key (or CREATOR_KEY / BUYER_KEY)")
    creator, buyer = Account.from_key(args.creator_key), Account.from_key(args.buyer_key)
    content = safetensors(os.urandom(CHUNK * 2 + 1000))  # three chunks

    seller = sign_in(args.api, creator)
    slug = create_listing(seller, creator.address, content, args.price_wei)
    if sign_offer(seller, creator, slug) != "published":
        print("waiting for a moderator to approve the listing…")
        wait_until(
            "approval",
            lambda: seller.call("GET", f"listings/{slug}")["status"] == "published",
            3600,
        )
    buy_and_download(sign_in(args.api, buyer), buyer, args.rpc, slug, content)
    return 0


if __name__ == "__main__":
    sys.exit(main())
