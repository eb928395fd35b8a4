"""Helpers for tests that go through the chain indexer: buy on anvil from our own keys, move
the chain (mine, snapshot, revert), and run the indexer as the product does."""

import itertools
import subprocess
import tempfile
import time

from django.test import override_settings
from eth_account import Account
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3

from chain import client
from chain.indexer import Indexer
from listings.models import Listing
from payments.models import ListingOffer
from payments.tests.buying import TierSpec, tokenized_listing
from tests import shared_connection

__all__ = ["TierSpec", "tokenized_listing"]
ETH = "0x0000000000000000000000000000000000000000"
_children = itertools.count()


def index(*, confirmations: int = 0, **kwargs) -> Indexer:
    """Run the indexer until caught up with head - confirmations."""
    # turn(): a live server sharing the in-memory SQLite connection waits meanwhile.
    with override_settings(INDEXER_POLL_SECONDS=0.01), shared_connection.turn():
        indexer = Indexer(confirmations=confirmations, **kwargs)
        indexer.run()
    return indexer


def wallets(count: int, *, eth: int = 10**21) -> list[LocalAccount]:
    """Fresh accounts funded by anvil_setBalance (no transaction, no nonce contention)."""
    w3 = client.get_web3()
    found = [Account.create() for _ in range(count)]
    for account in found:
        w3.provider.make_request("anvil_setBalance", [account.address, hex(eth)])
    return found


def offer_of(listing: Listing) -> ListingOffer:
    return ListingOffer.objects.filter(listing=listing).order_by("-id").first()


def buy_call(listing: Listing, *, tier: int = 0, quantity: int = 1):
    """purchaseWithOffer with the creator's stored offer: registers on the first purchase,
    plain purchase afterwards. Returns (call, value)."""
    offer = offer_of(listing)
    stored = offer.message["tiers"][tier]
    amount = int(stored["price"]) * quantity
    call = client.get_contract("Marketplace").functions.purchaseWithOffer(
        offer.message, HexBytes(offer.signature), tier, quantity, stored["currency"], amount
    )
    return call, amount if stored["currency"] == ETH else 0


def buy(listing: Listing, buyer: LocalAccount, *, tier: int = 0, quantity: int = 1, gas=None):
    call, value = buy_call(listing, tier=tier, quantity=quantity)
    return client.transact(call, account=buyer, value=value, gas=gas)


def signed_buy(listing: Listing, buyer: LocalAccount, *, nonce: int, tier: int = 0) -> bytes:
    """A signed raw purchase transaction (to send later, or again on another fork)."""
    call, value = buy_call(listing, tier=tier)
    tx = call.build_transaction(
        {"from": buyer.address, "value": value, "nonce": nonce, "gas": 400_000}
    )
    return bytes(buyer.sign_transaction(tx).raw_transaction)


def rpc(method: str, *params):
    reply = client.get_web3().provider.make_request(method, list(params))
    assert "error" not in reply, reply
    return reply["result"]


def mine(blocks: int = 1) -> None:
    rpc("anvil_mine", hex(blocks))


def head() -> int:
    return client.get_web3().eth.block_number


def snapshot() -> str:
    return rpc("evm_snapshot")


def revert(snapshot_id: str) -> None:
    assert rpc("evm_revert", snapshot_id) is True


def checksum(address: str) -> str:
    return Web3.to_checksum_address(address)


class SharedDb:
    """This test's database, reachable from a child process by DATABASE_URL. PostgreSQL: the
    test database itself (use with transactional_db, so rows are committed). SQLite: the test
    database is in memory, so `push` copies it to a file for the children and `pull` copies
    their work back (SQLite's online backup: whole and consistent)."""

    def __init__(self, tmp_path):
        from django.db import connection

        self.connection = connection
        settings = connection.settings_dict
        if connection.vendor == "postgresql":
            self.path = None
            self.url = (
                f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@"
                f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
            )
        else:
            self.path = tmp_path / "shared.sqlite3"
            self.url = f"sqlite:///{self.path}"

    def push(self) -> None:
        if self.path:
            import sqlite3

            self.connection.ensure_connection()
            target = sqlite3.connect(self.path)
            self.connection.connection.backup(target)
            target.close()

    def pull(self) -> None:
        if self.path:
            import sqlite3

            source = sqlite3.connect(self.path)
            source.backup(self.connection.connection)
            source.close()

    def env(self, tmp_path, **extra) -> dict:
        import os

        from django.conf import settings

        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "marketplace.settings",
            "DATABASE_URL": self.url,
            "VAR_DIR": str(tmp_path / "var"),
            "CHAIN_RPC_URL": settings.CHAIN_RPC_URL,
            "CHAIN_ID": str(settings.CHAIN_ID),
            "CHAIN_DEPLOYMENTS_DIR": str(settings.CHAIN_DEPLOYMENTS_DIR),
            "INDEXER_POLL_SECONDS": "0.02",
            **{k: str(v) for k, v in extra.items()},
        }


def start_indexer_process(shared: SharedDb, tmp_path, **env):
    """`index_chain` (CONFIRMATIONS=0, one block per batch) in a child process."""
    import subprocess
    import sys

    from django.conf import settings

    log = tmp_path / f"indexer-{next(_children)}.log"
    with open(log, "w") as stderr:  # a file, not a pipe: a chatty child never blocks on it
        child = subprocess.Popen(
            [sys.executable, "-m", "chain.tests.indexer_child", "--confirmations=0"]
            + ["--max-range=1"],
            cwd=settings.BASE_DIR,
            env=shared.env(tmp_path, **env),
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    child.stderr_text = log.read_text
    return child


def run_while_indexing(command: list[str], *, timeout: float) -> tuple[int | None, str]:
    """Run a client script (a documented example) while indexing as the beat does in
    production, until it exits or `timeout` seconds pass (then it is killed). Returns its exit
    code and output. The output goes to a file, so a chatty script never blocks on a full pipe."""
    with tempfile.TemporaryFile(mode="w+") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + timeout
        try:
            while process.poll() is None and time.monotonic() < deadline:
                index(confirmations=0)
                time.sleep(0.2)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
        out.seek(0)
        return process.returncode, out.read()
