"""The indexer as separate processes on a shared database: killed mid-batch it loses and
duplicates nothing; two at once never handle a batch twice."""

import os
import signal

import pytest
from django.db.models import Sum

from chain import client
from chain.models import ChainLog, IndexerCursor
from listings.models import LicenseTerms, Listing
from payments.models import Entitlement, Purchase
from payments.tests.indexing import (
    SharedDb,
    buy,
    start_indexer_process,
    tokenized_listing,
    wallets,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.chain]


@pytest.fixture
def shared(contracts, w3, tmp_path):
    return SharedDb(tmp_path)


def purchases(count: int):
    """A listing and `count` purchases (one per block) by four wallets."""
    # Transactional tests flush the database, presets included: make the terms a listing needs.
    LicenseTerms.objects.get_or_create(owner=None, name="Test licence")
    listing = tokenized_listing()
    buyers = wallets(4)
    for i in range(count):
        buy(listing, buyers[i % 4])
    return listing, buyers


def batches_announced(child, count: int) -> list[str]:
    """Read the child's output until it has announced `count` batches (or it ended)."""
    found = []
    while len(found) < count:
        line = child.stdout.readline()
        if not line:
            break
        if line.startswith("batch "):
            found.append(line)
    return found


def assert_exactly(count: int, listing, buyers) -> None:
    assert Purchase.objects.count() == count
    assert ChainLog.objects.filter(event="Purchased").count() == count
    assert Entitlement.objects.aggregate(n=Sum("balance"))["n"] == count
    token = client.get_contract("LicenseToken")
    for buyer in buyers:  # and each holder's balance is what the token says
        onchain = token.functions.balanceOf(buyer.address, listing.onchain_id << 8).call()
        assert Entitlement.objects.get(holder=buyer.address).balance == onchain
    assert Listing.objects.get(pk=listing.pk).sales_count == count


def test_sigkill_mid_batch_ten_times_loses_and_duplicates_nothing(shared, tmp_path):
    listing, buyers = purchases(14)
    shared.push()
    for attempt in range(10):
        # Each run commits one purchase batch, then is killed inside the next one, after
        # payments wrote its rows and before the commit.
        child = start_indexer_process(shared, tmp_path, INDEXER_TEST_STALL_AT=2)
        announced = batches_announced(child, 2)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
        assert len(announced) == 2, (attempt, announced)

    final = start_indexer_process(shared, tmp_path)
    out, _ = final.communicate(timeout=60)
    assert final.returncode == 0, final.stderr_text()
    assert out.count("batch ") == 4  # 10 committed by the killed runs, the last 4 here
    shared.pull()
    assert_exactly(14, listing, buyers)
    assert IndexerCursor.objects.get().block_number == client.get_web3().eth.block_number


def test_two_indexers_at_once_handle_every_batch_exactly_once(shared, tmp_path):
    listing, buyers = purchases(16)
    shared.push()
    children = [start_indexer_process(shared, tmp_path, INDEXER_TEST_PAUSE=0.05) for _ in range(2)]
    outputs = []
    for child in children:
        out, _ = child.communicate(timeout=60)
        assert child.returncode == 0, child.stderr_text()
        outputs.append(out)
    handled = [
        line.split()[2] for out in outputs for line in out.splitlines() if line.startswith("batch ")
    ]
    assert len(handled) == len(set(handled)) == 16  # every purchase's batch, once, in total
    shared.pull()
    assert_exactly(16, listing, buyers)
