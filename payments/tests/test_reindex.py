"""Indexing the chain again (`index_chain --from-block`, `--reset`, the restart on a new
deployment or a fresh dev chain: all go through Indexer.start_at) never takes access away:
the rebuild keeps what is still canonical and removes only what no longer is. Polled after
every batch, the licences held never drop below the true count."""

import pytest

from chain.indexer import Indexer
from chain.models import ChainLog
from payments.models import Entitlement
from payments.tests.indexing import buy, index, mine, rpc, tokenized_listing, wallets

pytestmark = [pytest.mark.django_db, pytest.mark.chain]


@pytest.fixture
def chain(contracts, w3):
    return w3


def _held() -> set[tuple[str, int]]:
    return set(
        Entitlement.objects.filter(balance__gt=0).values_list("holder", "token_id").distinct()
    )


def _rebuild_polling(from_block: int) -> list[set]:
    """Index again from `from_block` one block per batch, noting the licences held after the
    rewind and after every batch (each a committed state a buyer could see)."""
    seen = []
    indexer = Indexer(confirmations=0, max_range=1)
    indexer.start_at(from_block)
    seen.append(_held())
    indexer.run(on_step=lambda step: seen.append(_held()))
    return seen


def test_a_backfill_never_drops_a_licence(chain):
    # From just before the first purchase: one block per batch from the deployment would
    # re-read every block the suite mined so far (thousands late in a full run).
    start = chain.eth.block_number + 1
    listing = tokenized_listing()
    for buyer in wallets(6):
        buy(listing, buyer)  # a block each
    index()
    truth = _held()
    assert len(truth) == 6
    logs = set(ChainLog.objects.values_list("pk", flat=True))

    seen = _rebuild_polling(start)

    assert len(seen) > 6  # many batches, each polled
    assert all(held >= truth for held in seen), [len(h) for h in seen]
    assert seen[-1] == truth
    assert set(ChainLog.objects.values_list("pk", flat=True)) == logs  # kept, not re-made


def test_a_reset_after_a_deep_reorg_removes_only_what_is_no_longer_canonical(chain):
    start = chain.eth.block_number + 1
    listing = tokenized_listing()
    first, second, orphan = wallets(3)
    buy(listing, first)
    buy(listing, second)
    fork = rpc("evm_snapshot")
    buy(listing, orphan)
    mine(2)
    index()
    assert len(_held()) == 3
    # The chain is replaced past the fork (a deep reorg): the third purchase never happened.
    rpc("evm_revert", fork)
    rpc("anvil_setBalance", orphan.address, hex(10**21 + 1))  # the new branch's blocks differ
    mine(6)
    truth = {(h, t) for h, t in _held() if h != orphan.address}

    seen = _rebuild_polling(start)

    assert all(held >= truth for held in seen), [len(h) for h in seen]
    assert seen[-1] == truth and len(truth) == 2
