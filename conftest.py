"""Fixtures shared by every app's tests: a real anvil chain with our contracts deployed, a real
IPFS node, each on free loopback ports, and Celery either inline or on a real worker."""

import os
import time

import pytest
from django.conf import settings
from django.db.backends.signals import connection_created
from eth_account import Account
from hypothesis import settings as hypothesis_settings

from artifacts.tests.ipfs_node import IpfsNode
from chain import client
from chain.anvil import Anvil
from chain.deploy import DeployConfig, deploy_all
from marketplace.celery import app as celery_app
from tests import shared_connection

# Browser fixtures (one shared Chromium, the injected test wallet) for every app's e2e tests.
pytest_plugins = ["tests.e2e.fixtures"]

connection_created.connect(shared_connection.read_without_table_locks)

# The suite's property tests draw the same examples every run (a flaky suite hides real
# failures); `make property` explores new ones with many more examples.
hypothesis_settings.register_profile("suite", derandomize=True, database=None)
hypothesis_settings.register_profile("explore")
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


@pytest.fixture(scope="session")
def live_server(live_server):
    """pytest-django's live server, its requests taking turns with the test thread's indexer
    runs on a shared in-memory SQLite connection (tests/shared_connection.py)."""
    httpd = live_server.thread.httpd
    httpd.set_app(shared_connection.take_turns(httpd.get_app()))
    return live_server


@pytest.fixture(scope="session")
def anvil():
    """One anvil for the whole run; tests roll it back with the `w3` fixture."""
    node = Anvil(chain_id=settings.CHAIN_ID).start()
    previous = settings.CHAIN_RPC_URL
    settings.CHAIN_RPC_URL = node.url
    yield node
    settings.CHAIN_RPC_URL = previous
    node.stop()


@pytest.fixture
def w3(anvil):
    """A Web3 client on the test chain, rolled back to a snapshot after each test."""
    web3 = client.get_web3()
    snapshot = web3.provider.make_request("evm_snapshot", [])["result"]
    yield web3
    web3.provider.make_request("evm_revert", [snapshot])
    # anvil's clock goes back with the snapshot, so it would fall behind the wall clock by each
    # test's duration, and offers signed "valid from now" would soon be not yet valid: resync.
    latest = web3.eth.get_block("latest")["timestamp"]
    web3.provider.make_request("evm_setTime", [max(int(time.time()), latest)])
    # Calls and gas estimates run on the latest block's timestamp, which after the revert is the
    # snapshot's (minutes old in a long run): an empty block makes "latest" now again.
    web3.provider.make_request("evm_mine", [])


@pytest.fixture(scope="session")
def ipfs_daemon(tmp_path_factory):
    """One js-ipfs node (Kubo's RPC API) for the run, offline, in a temp repo. Point a test at it
    with `settings.IPFS_API_URL = ipfs_daemon.url`."""
    if not IpfsNode.installed():
        reason = "tools/ipfs/node_modules is missing: run `make setup-dev` (npm ci there)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    node = IpfsNode(tmp_path_factory.mktemp("ipfs") / "repo").start()
    yield node
    node.stop()


@pytest.fixture(scope="session")
def contracts(anvil, tmp_path_factory) -> dict:
    """Our contracts deployed once per run on the test chain, as `make run` deploys them, with
    settings pointing at that deployment file. Returns the deployment record."""
    directory = tmp_path_factory.mktemp("deployments")
    result = deploy_all(
        w3=client.get_web3(),
        account=Account.from_key(settings.CHAIN_DEPLOYER_KEY),
        output_path=directory / f"{settings.CHAIN_ID}.json",
        config=DeployConfig(
            site_url=settings.SITE_URL, fee_bps=settings.CHAIN_PLATFORM_FEE_BPS, test_tokens=True
        ),
    )
    previous = settings.CHAIN_DEPLOYMENTS_DIR
    settings.CHAIN_DEPLOYMENTS_DIR = directory
    yield result.record
    settings.CHAIN_DEPLOYMENTS_DIR = previous


@pytest.fixture(autouse=True, scope="session")
def _artifact_store(tmp_path_factory):
    """Files stored by any test land in a temporary store, never in the developer's var/
    (artifacts' own tests narrow this to one directory per test)."""
    store = tmp_path_factory.mktemp("artifact-store")
    settings.ARTIFACT_ROOT, settings.UPLOAD_DIR = store, store / ".uploads"
    yield


@pytest.fixture(autouse=True, scope="session")
def _celery_inline():
    """Tests run tasks inline unless they ask for `celery_worker`, so a test never leaves
    messages in a developer's broker for `make run`'s worker to find."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker (in a thread) on the configured broker: the embedded SQLite one by
    default, Redis in CI. Tasks go through the broker instead of running inline."""
    from celery.contrib.testing.worker import start_worker

    celery_app.conf.task_always_eager = False
    try:
        with start_worker(
            celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10
        ) as worker:
            yield worker
    finally:
        celery_app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _rate_limit_counters_reset():
    """API rate-limit counters live in the cache (core/throttling.py): every test starts
    with none, so requests of earlier tests never make a later one see 429s."""
    from django.core.cache import cache, caches

    cache.clear()
    caches["pages"].clear()  # the anonymous page cache (listings/page_cache.py)
    yield
