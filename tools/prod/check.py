"""`make prod-check`: start the production layout on loopback (tools/prod/stack.py), run the
whole product through nginx as its users would, and stop everything.

    .venv/bin/python tools/prod/check.py        (PROD_KEEP_LOGS=1 keeps the logs)

The flow, all over HTTP through nginx except the buyer's wallet (which talks to the chain's
RPC, as a browser wallet does): a creator signs in with their key (SIWE), creates a dataset
listing, uploads a file in chunks, releases it as v1, sets a download tier and a compute tier,
signs the offer (EIP-712); a moderator approves it; a buyer buys both tiers by sending the
transactions the server built; the indexer (its own Celery worker on the `indexer` queue,
driven by beat) grants the entitlements; the buyer downloads the file (nginx sends the bytes
after Django answers X-Accel-Redirect: checked in nginx's log) whole and by Range, and a
stranger is refused; then a compute job on GPU host `host-a` (queue `compute.host-a`) runs to
completion and its output is fetched. Exit status 0 only if every step passed."""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]

import compute_flow  # noqa: E402
from client import ApiFailure, Client, Wallet, poll  # noqa: E402
from eth_account import Account  # noqa: E402
from stack import Stack, log  # noqa: E402

ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
CARD = "---\ntask_categories:\n- text-classification\n---\n# Notes\n\nSynthetic clinical notes.\n"
MAKE_MODERATOR = """
from django.contrib.auth.models import Group
from accounts.models import MODERATORS_GROUP, User
user = User.objects.create_user({address!r})
user.groups.add(Group.objects.get_or_create(name=MODERATORS_GROUP)[0])
"""


class Check:
    def __init__(self, stack: Stack):
        self.stack = stack
        self.wallet = Wallet(stack.rpc_url)
        self.timings: dict[str, float] = {}
        self.data = os.urandom(10 * 1024**2 + 12345)  # two chunks: 8 MiB + the rest

    def step(self, name: str, fn, *args):
        started = time.monotonic()
        result = fn(*args)
        self.timings[name] = time.monotonic() - started
        log(f"ok  {name} ({self.timings[name]:.2f} s)")
        return result

    def run(self) -> None:
        Account.enable_unaudited_hdwallet_features()  # anvil's funded dev account #2 buys
        funded = Account.from_mnemonic(ANVIL_MNEMONIC, account_path="m/44'/60'/0'/0/2")
        creator, buyer = Client(self.stack.url), Client(self.stack.url, funded)
        self.creator = creator
        slug = self.step(
            "creator signs in, lists, uploads, releases, prices, signs the offer",
            self.list_dataset,
            creator,
        )
        self.step("moderator approves", self.approve, slug)
        self.step(
            "buyer signs in and buys both tiers (server-built transactions)", self.buy, buyer, slug
        )
        self.step("indexer grants the entitlements", self.wait_access, buyer, slug)
        self.step("download through nginx (X-Accel-Redirect, Range)", self.download, buyer, slug)
        self.step("a stranger is refused", self.stranger, slug)
        self.step("compute job on host-a", compute_flow.run, self, buyer, slug)

    def list_dataset(self, creator: Client) -> str:
        creator.sign_in()
        terms = creator.json(
            "POST",
            "/api/v1/license-terms/",
            {
                "name": "Research, no redistribution",
                "commercial_use": False,
                "ai_training_allowed": True,
                "redistribution_allowed": False,
            },
        )
        listing = creator.json(
            "POST",
            "/api/v1/listings/",
            {
                "kind": "dataset",
                "title": "Prod-check clinical notes",
                "summary": "Synthetic notes for the production check.",
                "card": CARD,
                "license_terms": terms["id"],
            },
        )
        slug = listing["slug"]
        artifact = creator.upload("notes.csv", self.data)
        if artifact["sha256"] != hashlib.sha256(self.data).hexdigest():
            raise ApiFailure("the stored sha256 differs from the uploaded bytes")
        creator.json(
            "POST",
            f"/api/v1/listings/{slug}/versions",
            {"tag": "v1", "files": [{"path": "notes.csv", "cid": artifact["cid"]}]},
        )
        creator.json(
            "PUT",
            f"/api/v1/listings/{slug}/tiers",
            [
                {"name": "Download", "price_wei": str(10**16), "kind": "download"},
                {"name": "Compute", "price_wei": str(2 * 10**16), "kind": "compute"},
            ],
        )
        document = creator.json("POST", f"/api/v1/listings/{slug}/offer/prepare")
        submitted = creator.json(
            "POST",
            f"/api/v1/listings/{slug}/offer",
            {"message": document["message"], "signature": creator.sign_typed(document)},
        )
        if submitted["listing_status"] != "pending_review":
            raise ApiFailure(f"after the offer the listing is {submitted['listing_status']}")
        self.cid = artifact["cid"]
        return slug

    def approve(self, slug: str) -> None:
        moderator = Client(self.stack.url)
        self.stack.manage("shell", "-c", MAKE_MODERATOR.format(address=moderator.address))
        moderator.sign_in()

        def approved():
            # 409 scan_pending until the default worker has scanned the uploaded file.
            reply = moderator.call(
                "POST", f"/api/v1/listings/{slug}/status", (200, 409), json={"status": "published"}
            )
            if reply.status_code == 409 and reply.json()["error"]["code"] != "scan_pending":
                raise ApiFailure(f"approval refused: {reply.text[:300]}")
            return reply.status_code == 200

        poll(approved, 60, "the moderator's approval (after the file scan)", every=0.5)
        public = Client(self.stack.url).json("GET", f"/api/v1/listings/{slug}")
        if public["status"] != "published":
            raise ApiFailure(f"the listing is {public['status']}, not published")

    def buy(self, buyer: Client, slug: str) -> None:
        buyer.sign_in()
        for tier in (0, 1):  # the first purchase also registers the creator's signed offer
            prepared = buyer.json(
                "POST",
                f"/api/v1/listings/{slug}/purchase/prepare",
                {"tier": tier, "quantity": 1, "buyer": buyer.address},
            )
            for step in prepared["steps"]:
                self.wallet.send(step, buyer.account)
        self.bought_at = time.monotonic()

    def wait_access(self, buyer: Client, slug: str) -> None:
        def granted():
            access = buyer.json("GET", f"/api/v1/listings/{slug}/access")
            return access["has_download"] and access["has_compute"]

        poll(granted, 60, "entitlements after the purchases")
        self.timings["purchase mined → access (CONFIRMATIONS=1)"] = (
            time.monotonic() - self.bought_at
        )

    def download(self, buyer: Client, slug: str) -> None:
        links = buyer.json("GET", f"/api/v1/listings/{slug}/downloads")
        url = links[0]["url"]
        if not url.startswith(self.stack.url):
            raise ApiFailure(f"the signed URL {url} does not point at nginx")
        whole = buyer.call("GET", url.removeprefix(self.stack.url))
        if hashlib.sha256(whole.content).hexdigest() != hashlib.sha256(self.data).hexdigest():
            raise ApiFailure("the downloaded bytes differ from the uploaded ones")
        part = buyer.call(
            "GET",
            url.removeprefix(self.stack.url),
            expect=206,
            headers={"Range": "bytes=1000-1999"},
        )
        if part.content != self.data[1000:2000]:
            raise ApiFailure("the Range reply has the wrong bytes")
        time.sleep(0.2)  # nginx writes its access log line as the reply ends
        path = url.removeprefix(self.stack.url).split("?")[0]
        served = [
            line
            for line in (self.stack.work / "nginx/logs/access.log").read_text().splitlines()
            if path in line and 'accel="/_artifacts/' in line
        ]
        if len(served) < 2:
            raise ApiFailure("nginx's log shows no X-Accel-Redirect for the download")
        hidden = Client(self.stack.url).call(
            "GET", served[0].split('accel="')[1].rstrip('"'), expect=(404,)
        )
        assert hidden.status_code == 404  # the internal location is not reachable from outside

    def stranger(self, slug: str) -> None:
        stranger = Client(self.stack.url)
        stranger.sign_in()
        stranger.call("GET", f"/api/v1/listings/{slug}/downloads", expect=(403, 404))


def main() -> int:
    started = time.monotonic()
    try:
        with Stack(name="marketplace_prod_check", redis_db=14) as stack:
            check = Check(stack)
            try:
                check.run()
            except BaseException:
                for name in ("gunicorn", "nginx", "worker-indexer", "worker-host-a"):
                    log(f"--- last lines of {name}.log ---\n{stack.tail(name, 15)}")
                raise
    except ApiFailure as failure:
        log(f"FAILED: {failure}")
        return 1
    log(f"prod-check passed in {time.monotonic() - started:.0f} s")
    for name, seconds in check.timings.items():
        log(f"  {seconds:7.2f} s  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
