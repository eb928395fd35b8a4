"""Fixtures shared by every app's tests: a real anvil chain on a free loopback port."""

import pytest
from django.conf import settings

from chain import client
from chain.anvil import Anvil


@pytest.fixture(scope="session")
def anvil():
    """One anvil for the whole run; tests isolate themselves with the `chain` fixture."""
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
