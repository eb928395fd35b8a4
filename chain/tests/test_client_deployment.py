"""client.py: the deployment file, contract objects from it, and locally signed transactions."""

import json

import pytest
from eth_account import Account

from chain import client


def test_get_contract_reads_the_deployment_file(suite, settings, tmp_path):
    settings.CHAIN_DEPLOYMENTS_DIR = tmp_path
    with pytest.raises(client.DeploymentMissing):
        client.deployment()
    (tmp_path / "31337.json").write_text(json.dumps(suite.deployment))
    market = client.get_contract("Marketplace")
    assert market.address == suite.market.address
    assert market.functions.licenseToken().call() == suite.license.address
    with pytest.raises(client.DeploymentMissing):
        client.get_contract("NoSuchContract")


def test_transact_signs_locally_and_raises_on_revert(suite):
    stranger = Account.create()
    suite.w3.provider.make_request("anvil_setBalance", [stranger.address, hex(10**18)])
    receipt = client.transact(
        suite.market.functions.incrementCounter(), account=stranger, w3=suite.w3
    )
    assert receipt["status"] == 1
    assert suite.market.functions.counters(stranger.address).call() == 1
    # With gas given no estimate refuses it first: it is mined, reverts, and raises.
    call = suite.market.functions.withdraw("0x" + "00" * 20, stranger.address)
    with pytest.raises(client.TransactionFailed):
        client.transact(call, account=stranger, gas=100_000, w3=suite.w3)
