"""An indexer worker that cannot reach its database must not starve the healthy ones: it
fails a run at once and would be free for the next one before any healthy worker (each busy
following the chain for an interval), so it holds its slot for a back-off instead."""

from types import SimpleNamespace

import pytest

from chain import client, tasks
from chain.anvil import dev_accounts
from chain.models import ChainLog
from chain.tests.test_indexer import listed
from marketplace.tests.faults import database_unreachable

pytestmark = [pytest.mark.django_db, pytest.mark.chain]


@pytest.fixture
def market(contracts, w3):
    return SimpleNamespace(
        w3=w3, market=client.get_contract("Marketplace"), accounts=dev_accounts(4)
    )


@pytest.fixture
def pauses(monkeypatch):
    """The back-offs the worker held its slot for (recorded instead of slept)."""
    held: list[float] = []
    monkeypatch.setattr(tasks, "_pause", held.append)  # not time.sleep: other code sleeps too
    monkeypatch.setattr(tasks, "_db_failures", 0)
    return held


def test_a_worker_without_its_database_holds_back_longer_each_time(market, settings, pauses):
    settings.CONFIRMATIONS, settings.INDEXER_INTERVAL_SECONDS = 0, 0.2
    listed(market)
    with database_unreachable():
        assert tasks.index_chain.apply().get() == 0
        assert tasks.index_chain.apply().get() == 0
        assert tasks.index_chain.apply().get() == 0
    assert pauses == [2.0, 4.0, 8.0]
    assert not ChainLog.objects.exists()

    # Its database back, it indexes again and the back-off starts over.
    assert tasks.index_chain.apply().get() >= 1
    assert ChainLog.objects.filter(event="ListingRegistered").count() == 1
    assert tasks._db_failures == 0
    with database_unreachable():
        tasks.index_chain.apply()
    assert pauses[-1] == 2.0


def test_the_task_indexer_follows_the_settings_it_runs_under(market, settings):
    """The task keeps its indexer between runs; one made under other settings (by an earlier
    test, or before a change) must not be reused: this made tests depend on their order."""
    settings.INDEXER_INTERVAL_SECONDS = 0.2
    settings.CONFIRMATIONS = 50
    tasks.index_chain.apply()  # makes (and keeps) an indexer that waits for 50 confirmations
    listed(market)
    settings.CONFIRMATIONS = 0
    tasks.index_chain.apply()
    assert ChainLog.objects.filter(event="ListingRegistered").count() == 1
