"""The event indexer against a real anvil: logs stored once with exact arguments, confirmations,
adaptive ranges when a provider refuses big ones, reorgs rolled back, one batch at a time."""

from types import SimpleNamespace

import pytest
from eth_account import Account

from chain import client, registry
from chain.anvil import dev_accounts
from chain.indexer import Indexer, ReorgTooDeep, RpcRejected, RpcSource
from chain.models import BlockHash, ChainLog, IndexerCursor
from chain.tests.helpers import buy_with_offer, make_offer, register

pytestmark = [pytest.mark.django_db, pytest.mark.chain]


class Recorder:
    """A test app subscribed to a few kinds: what it was handed, and what it recomputed."""

    def __init__(self):
        self.handled: list[tuple[str, int]] = []
        self.recomputed: list[list[tuple[str, int]]] = []

    def handle(self, logs):
        self.handled += [(log.tx_hash, log.log_index) for log in logs]

    def recompute(self, logs):
        self.recomputed.append([(log.tx_hash, log.log_index) for log in logs])


@pytest.fixture
def recorder():
    found = Recorder()
    kinds = [("Marketplace", "ListingRegistered"), ("Marketplace", "Purchased")]
    registry.register(
        "test-recorder", handlers=dict.fromkeys(kinds, found.handle), recompute=found.recompute
    )
    yield found
    registry.unregister("test-recorder")


@pytest.fixture
def market(contracts, w3):
    """Enough of chain.tests' Suite for its helpers: the deployed Marketplace and dev accounts."""
    return SimpleNamespace(
        w3=w3, market=client.get_contract("Marketplace"), accounts=dev_accounts(4)
    )


def listed(market, creator=None):
    creator = creator or market.accounts[1]
    offer, signature = make_offer(market, creator)
    register(market, offer, signature)
    return offer, signature


def mine(w3, blocks=1):
    w3.provider.make_request("anvil_mine", [hex(blocks)])


def test_logs_are_stored_once_with_exact_arguments(market, recorder):
    offer, signature = listed(market)
    buy_with_offer(market, market.accounts[2].address, offer, signature)
    Indexer(confirmations=0).run()

    registered = ChainLog.objects.get(event="ListingRegistered")
    assert registered.args["listingId"] == offer.listing_id  # a uint256, exact
    assert offer.listing_id > 2**160
    assert registered.args["creator"] == market.accounts[1].address  # checksummed
    assert registered.args["contentDigest"] == "0x" + bytes(offer.content_digest).hex()
    purchased = ChainLog.objects.get(event="Purchased")
    assert purchased.args["amount"] == 10**16 and purchased.contract == "Marketplace"
    assert {"TransferSingle", "Purchased", "SplitUpdated", "Transfer"} <= set(
        ChainLog.objects.values_list("event", flat=True)
    )
    cursor = IndexerCursor.objects.get()
    assert cursor.block_number == market.w3.eth.block_number
    assert cursor.block_hash == market.w3.eth.get_block("latest")["hash"].to_0x_hex()

    stored = ChainLog.objects.count()
    Indexer(confirmations=0).run()  # nothing new: nothing stored or handed over again
    assert ChainLog.objects.count() == stored
    assert sorted(recorder.handled) == sorted(
        ChainLog.objects.filter(event__in=["ListingRegistered", "Purchased"]).values_list(
            "tx_hash", "log_index"
        )
    )


def test_logs_wait_for_their_confirmations(market):
    listed(market)
    Indexer(confirmations=2).run()
    assert not ChainLog.objects.filter(event="ListingRegistered").exists()
    mine(market.w3, 1)
    Indexer(confirmations=2).run()
    assert not ChainLog.objects.filter(event="ListingRegistered").exists()
    mine(market.w3, 1)
    Indexer(confirmations=2).run()
    assert ChainLog.objects.filter(event="ListingRegistered").count() == 1
    assert IndexerCursor.objects.get().block_number == market.w3.eth.block_number - 2


class CappedProvider(RpcSource):
    """A provider that refuses eth_getLogs over more than `cap` blocks, as hosted ones do."""

    def __init__(self, cap: int):
        super().__init__()
        self.cap, self.calls = cap, []

    def logs(self, addresses, from_block, to_block):
        self.calls.append((from_block, to_block))
        if to_block - from_block + 1 > self.cap:
            raise RpcRejected("eth_getLogs: block range exceeds the limit of 4")
        return super().logs(addresses, from_block, to_block)


def test_ranges_split_when_the_provider_refuses_and_grow_back(market):
    for _ in range(3):
        listed(market)
        mine(market.w3, 7)
    provider = CappedProvider(cap=4)
    indexer = Indexer(source=provider, confirmations=0, max_range=64)
    indexer.run()

    assert ChainLog.objects.filter(event="ListingRegistered").count() == 3
    accepted = [(a, b) for a, b in provider.calls if b - a + 1 <= 4]
    refused = [(a, b) for a, b in provider.calls if b - a + 1 > 4]
    assert refused, "the first range was larger than the cap"
    # Every block was read exactly once, in order, by the calls the provider accepted.
    covered = [n for a, b in accepted for n in range(a, b + 1)]
    assert covered == list(range(covered[0], market.w3.eth.block_number + 1))
    assert indexer.sizer.size == 4  # it learnt the cap


def test_a_batch_ends_at_a_block_boundary_past_the_log_cap():
    logs = [{"blockNumber": hex(n)} for n in (5, 5, 6, 6, 6, 7)]
    indexer = Indexer(source=object(), max_logs=3)
    assert indexer._cut(logs, 5, 9) == (logs[:2], 5)
    assert indexer._leftover == (6, 9, logs[2:])  # the next batch starts from these
    assert Indexer(source=object(), max_logs=10)._cut(logs, 5, 9) == (logs, 9)
    one_block = Indexer(source=object(), max_logs=1)
    assert one_block._cut(logs[:2], 5, 9) == (logs[:2], 5)  # a block is never split


def test_a_range_with_more_logs_than_a_batch_takes_is_read_once(market):
    for _ in range(3):
        listed(market)  # each registration: several logs in one block
    provider = CappedProvider(cap=10_000)
    Indexer(source=provider, confirmations=0, max_logs=4).run()
    assert ChainLog.objects.filter(event="ListingRegistered").count() == 3
    reads = [n for a, b in provider.calls for n in range(a, b + 1)]
    assert len(reads) == len(set(reads))  # no block asked for twice


def test_a_reorg_rolls_back_orphaned_logs_and_rescans(market, recorder):
    listed(market)
    Indexer(confirmations=0).run()
    fork = market.w3.provider.make_request("evm_snapshot", [])["result"]
    orphan_offer, _ = listed(market)
    mine(market.w3, 2)
    Indexer(confirmations=0).run()
    assert ChainLog.objects.filter(event="ListingRegistered").count() == 2
    orphans = [
        log
        for log in ChainLog.objects.filter(event="ListingRegistered")
        if log.args["listingId"] == orphan_offer.listing_id
    ]

    market.w3.provider.make_request("evm_revert", [fork])
    kept, _ = listed(market, creator=market.accounts[3])  # the new branch has other logs
    mine(market.w3, 3)
    Indexer(confirmations=0).run()

    ids = [log.args["listingId"] for log in ChainLog.objects.filter(event="ListingRegistered")]
    assert orphan_offer.listing_id not in ids and kept.listing_id in ids and len(ids) == 2
    orphaned = {(log.tx_hash, log.log_index) for log in orphans}
    assert orphaned in [set(keys) for keys in recorder.recomputed]  # told to recompute
    latest = market.w3.eth.get_block("latest")
    assert IndexerCursor.objects.get().block_hash == latest["hash"].to_0x_hex()
    for kept_hash in BlockHash.objects.all():
        assert market.w3.eth.get_block(kept_hash.number)["hash"].to_0x_hex() == kept_hash.hash


def test_a_reorg_deeper_than_the_kept_hashes_stops_the_indexer(market, settings, client):
    settings.INDEXER_BLOCK_HASHES = 2
    fork = market.w3.provider.make_request("evm_snapshot", [])["result"]
    indexer = Indexer(confirmations=0, max_range=1)
    # From here, not from the deployment: one block per batch over every block the whole
    # suite mined before this test (thousands, late in a full run) took minutes on a loaded
    # machine and ran into the test timeout, while alone (a short chain) it passed.
    indexer.start_at(market.w3.eth.block_number + 1)
    for _ in range(4):
        mine(market.w3, 1)
        indexer.run()
    assert BlockHash.objects.count() == 2
    market.w3.provider.make_request("evm_revert", [fork])
    # The new branch must differ from the old one: empty blocks mined on the same parent with
    # the same timestamps hash the same, and anvil stamps block after block at parent + 1 s
    # once its clock is ahead of the wall clock (after earlier tests mined many blocks) or when
    # the machine is fast; then there was no reorg to see. A state change makes it a real fork.
    other = market.accounts[3].address
    balance = market.w3.eth.get_balance(other)
    market.w3.provider.make_request("anvil_setBalance", [other, hex(balance + 1)])
    mine(market.w3, 6)
    with pytest.raises(ReorgTooDeep):
        indexer.run()
    # Stopped for good until an operator acts: /healthz says so with a 503, so alerts fire.
    reply = client.get("/healthz")
    assert reply.status_code == 503
    assert reply.json()["status"] == "indexer_stopped"
    assert "index_chain --reset" in reply.json()["indexer"]["stopped"]

    # On a local dev chain (a fresh anvil under the same deployment) the task starts over.
    from chain.tasks import index_chain

    settings.CONFIRMATIONS, settings.INDEXER_INTERVAL_SECONDS = 0, 0.1
    index_chain.apply()
    index_chain.apply()
    cursor = IndexerCursor.objects.get()
    assert cursor.block_hash == market.w3.eth.get_block(cursor.block_number)["hash"].to_0x_hex()
    assert cursor.stopped == "" and client.get("/healthz").status_code == 200


class RacingProvider(RpcSource):
    """While this indexer reads logs, another indexer indexes the same blocks and commits."""

    def __init__(self):
        super().__init__()
        self.raced = False

    def logs(self, addresses, from_block, to_block):
        if not self.raced:
            self.raced = True
            Indexer(confirmations=0).run()
        return super().logs(addresses, from_block, to_block)


def test_a_second_indexer_drops_a_batch_someone_else_indexed(market, recorder):
    offer, signature = listed(market)
    buy_with_offer(market, market.accounts[2].address, offer, signature)
    indexer = Indexer(confirmations=0)
    indexer.cursor(indexer.target())
    step = Indexer(source=RacingProvider(), confirmations=0).step()

    assert step.outcome == "busy"
    assert len(recorder.handled) == len(set(recorder.handled)) == 2
    assert ChainLog.objects.filter(event="Purchased").count() == 1


def test_nothing_deployed_means_nothing_to_do(anvil, settings, tmp_path, caplog):
    from chain.tasks import index_chain

    settings.CHAIN_DEPLOYMENTS_DIR = tmp_path
    assert Indexer().step().outcome == "no_deployment"
    assert index_chain.delay().get() == 0
    assert "no deployment" in caplog.text
    assert not IndexerCursor.objects.exists()


def test_the_task_follows_the_chain_for_one_interval(market, settings):
    from chain.tasks import index_chain

    settings.CONFIRMATIONS = 0
    settings.INDEXER_INTERVAL_SECONDS = 0.2
    settings.INDEXER_POLL_SECONDS = 0.05
    listed(market)
    index_chain.delay()
    assert ChainLog.objects.filter(event="ListingRegistered").count() == 1


def test_health_reports_indexer_lag_and_survives_a_dead_node(market, client, settings):
    Indexer(confirmations=0).run()
    mine(market.w3, 3)
    from chain.indexer import status

    status._cache.clear()
    body = client.get("/healthz").json()
    head = market.w3.eth.block_number
    assert body["indexer"] == {
        "chain_id": 31337, "cursor": head - 3, "head": head, "lag": 3, "stopped": None
    }  # fmt: skip

    settings.CHAIN_RPC_URL = "http://127.0.0.1:9"  # nothing listens there
    reply = client.get("/healthz")
    assert reply.status_code == 200
    assert reply.json()["indexer"]["lag"] == "unavailable"
    assert reply.json()["indexer"]["head"] == "unavailable"


def test_the_admin_lists_the_cursor_with_its_lag(market, client):
    from accounts.models import User

    client.force_login(User.objects.create_superuser(Account.create().address))
    Indexer(confirmations=0).run()
    mine(market.w3, 2)
    from chain.indexer import status

    status._cache.clear()
    page = client.get("/admin/chain/indexercursor/").content.decode()
    assert "Lag (blocks)" in page
    assert '<td class="field-lag">2</td>' in page


def test_index_chain_backfills_from_a_block_with_progress(market):
    from io import StringIO

    from django.core.management import CommandError, call_command

    listed(market)
    mine(market.w3, 2)
    out = StringIO()
    call_command("index_chain", "--confirmations=0", stdout=out)
    assert "100%" in out.getvalue() and "Indexed up to block" in out.getvalue()
    registered = ChainLog.objects.get(event="ListingRegistered")

    out = StringIO()
    call_command("index_chain", f"--from-block={registered.block_number}", stdout=out)
    assert f"Indexing again from block {registered.block_number:,}" in out.getvalue()
    again = ChainLog.objects.get(event="ListingRegistered")
    assert again.pk == registered.pk  # still canonical: kept (no gap), handled again

    with pytest.raises(CommandError, match="would skip blocks"):
        call_command("index_chain", f"--from-block={market.w3.eth.block_number + 5}")


def test_a_redeploy_makes_the_indexer_start_over_there(market):
    listed(market)
    Indexer(confirmations=0).run()
    IndexerCursor.objects.update(deployment="an-older-one")
    Indexer(confirmations=0).run()
    assert ChainLog.objects.filter(event="ListingRegistered").count() == 1
    assert IndexerCursor.objects.get().deployment != "an-older-one"


def test_apps_cannot_subscribe_to_events_that_do_not_exist():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        registry.register("typo", handlers={("Marketplace", "Purchase"): print})
    with pytest.raises(ImproperlyConfigured):
        registry.register("other", handlers={("EAS", "Attested"): print})


def test_the_task_retries_with_backoff_while_the_node_is_down(market, settings):
    from celery.exceptions import Retry

    from chain.tasks import index_chain

    settings.CHAIN_RPC_URL = "http://127.0.0.1:9"  # nothing listens there
    with pytest.raises(Retry, match=r"Retry in \d+s: RpcUnavailable"):
        index_chain.apply()
    assert index_chain.acks_late and index_chain.retry_backoff and index_chain.soft_time_limit


def test_a_batch_runs_with_the_cyclic_collector_paused_and_restores_it(market):
    """A batch allocates thousands of short-lived objects that reference counting frees; the
    collector's full passes over the worker's whole heap cost more than the batch's own writes
    (docs/performance.md, "Indexer"). It is paused for the batch and restored afterwards, also
    when a handler fails."""
    import gc

    seen = []

    def handle(logs):
        seen.append(gc.isenabled())
        if len(seen) == 2:
            raise RuntimeError("a handler failed")

    registry.register("test-gc", handlers={("Marketplace", "Purchased"): handle})
    try:
        offer, signature = listed(market)
        buy_with_offer(market, market.accounts[2].address, offer, signature)
        assert gc.isenabled()
        Indexer(confirmations=0).run()
        assert seen == [False] and gc.isenabled()
        buy_with_offer(market, market.accounts[3].address, offer, signature)
        with pytest.raises(RuntimeError):
            Indexer(confirmations=0).run()
        assert seen == [False, False] and gc.isenabled()
    finally:
        registry.unregister("test-gc")
