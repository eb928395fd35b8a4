"""The deploy service and `manage.py deploy_contracts`: idempotent, and writing only where told."""

import json

import pytest
from django.core.management import CommandError, call_command

from chain.client import deployment, get_contract
from chain.deploy import DeployConfig, deploy_all

CONFIG = DeployConfig(site_url="http://testserver", fee_bps=100)
EVERYTHING = ["SchemaRegistry", "EAS", "Marketplace", "Checkout"]


def test_second_run_deploys_nothing(w3, dev_accounts, tmp_path):
    path = tmp_path / "31337.json"
    first = deploy_all(w3=w3, account=dev_accounts[0], output_path=path, config=CONFIG)
    assert first.deployed == EVERYTHING
    assert set(first.record["contracts"]) == {*EVERYTHING, "LicenseToken", "ListingOwnership"}
    again = deploy_all(w3=w3, account=dev_accounts[0], output_path=path, config=CONFIG)
    assert again.deployed == [] and again.registered == []
    assert again.record == first.record
    market = get_contract("Marketplace", w3=w3, path=path)
    assert market.functions.feeBps().call() == 100
    assert market.functions.feeRecipient().call() == dev_accounts[0].address


def test_a_contract_without_code_is_deployed_again_with_its_dependents(w3, dev_accounts, tmp_path):
    path = tmp_path / "31337.json"
    deploy_all(w3=w3, account=dev_accounts[0], output_path=path, config=CONFIG)
    record = json.loads(path.read_text())
    record["contracts"]["SchemaRegistry"]["address"] = "0x" + "11" * 20  # nothing there
    path.write_text(json.dumps(record))
    again = deploy_all(w3=w3, account=dev_accounts[0], output_path=path, config=CONFIG)
    assert again.deployed == ["SchemaRegistry", "EAS"]
    assert again.registered == ["ModelRelease", "JobReceipt"]


def test_a_changed_contract_source_deploys_the_new_version(w3, dev_accounts, tmp_path):
    # Issue 14: the address of an old Marketplace still has code, yet its source changed (a new
    # contract version): it must be replaced, with its tokens, and the rest kept.
    path = tmp_path / "31337.json"
    first = deploy_all(w3=w3, account=dev_accounts[0], output_path=path, config=CONFIG).record
    old = first["contracts"]["Marketplace"]["address"]
    record = json.loads(path.read_text())
    record["contracts"]["Marketplace"]["bytecodeHash"] = "0x" + "00" * 32  # built from old source
    path.write_text(json.dumps(record))
    again = deploy_all(w3=w3, account=dev_accounts[0], output_path=path, config=CONFIG)
    assert again.deployed == ["Marketplace", "Checkout"]  # the Checkout follows its Marketplace
    contracts = again.record["contracts"]
    assert contracts["Marketplace"]["address"] != old
    market = get_contract("Marketplace", w3=w3, path=path)
    assert contracts["LicenseToken"]["address"] == market.functions.licenseToken().call()
    assert contracts["ListingOwnership"]["address"] == market.functions.ownership().call()
    checkout = get_contract("Checkout", w3=w3, path=path)
    assert checkout.functions.market().call() == market.address


def test_the_checkout_names_the_sites_relayer_once(w3, dev_accounts, tmp_path):
    path = tmp_path / "31337.json"
    relayer = dev_accounts[5].address
    config = DeployConfig(site_url="http://testserver", fee_bps=100, relayers=(relayer,))
    deploy_all(w3=w3, account=dev_accounts[0], output_path=path, config=config)
    checkout = get_contract("Checkout", w3=w3, path=path)
    assert checkout.functions.relayers(relayer).call() is True
    assert checkout.functions.relayers(dev_accounts[0].address).call() is False
    block = w3.eth.block_number
    deploy_all(w3=w3, account=dev_accounts[0], output_path=path, config=config)
    assert w3.eth.block_number == block  # nothing to send the second time


def test_test_tokens_are_deployed_and_allowed_once(w3, dev_accounts, tmp_path):
    path = tmp_path / "31337.json"
    config = DeployConfig(site_url="http://testserver", fee_bps=100, test_tokens=True)
    first = deploy_all(w3=w3, account=dev_accounts[0], output_path=path, config=config)
    assert first.deployed == [*EVERYTHING, "TestAuthToken", "TestPermitToken"]
    market = get_contract("Marketplace", w3=w3, path=path)
    usdc = get_contract("TestAuthToken", w3=w3, path=path)
    assert usdc.functions.decimals().call() == 6 and usdc.functions.symbol().call() == "tUSDC"
    for name in ("TestAuthToken", "TestPermitToken"):
        address = first.record["contracts"][name]["address"]
        assert market.functions.currencies(address).call()[0] is True
    again = deploy_all(w3=w3, account=dev_accounts[0], output_path=path, config=config)
    assert again.deployed == []


def test_a_record_from_before_bytecode_hashes_falls_back_to_the_source_hash(
    w3, dev_accounts, tmp_path
):
    path = tmp_path / "31337.json"
    deploy_all(w3=w3, account=dev_accounts[0], output_path=path, config=CONFIG)
    record = json.loads(path.read_text())
    for entry in record["contracts"].values():
        entry.pop("bytecodeHash")
    record["contracts"]["Marketplace"]["sourceHash"] = "stale"
    path.write_text(json.dumps(record))
    again = deploy_all(w3=w3, account=dev_accounts[0], output_path=path, config=CONFIG)
    assert again.deployed == ["Marketplace", "Checkout"]


def test_a_file_for_another_chain_is_not_trusted(w3, dev_accounts, tmp_path):
    path = tmp_path / "31337.json"
    path.write_text(json.dumps({"chainId": 1, "contracts": {"EAS": {"address": "0x" + "22" * 20}}}))
    result = deploy_all(w3=w3, account=dev_accounts[0], output_path=path, config=CONFIG)
    assert result.deployed == EVERYTHING
    assert json.loads(path.read_text())["chainId"] == 31337


def test_management_command_writes_the_configured_deployment_file(w3, settings, tmp_path):
    settings.CHAIN_DEPLOYMENTS_DIR = tmp_path
    call_command("deploy_contracts")
    record = deployment()
    assert record["chainId"] == 31337 and "Marketplace" in record["contracts"]
    market = get_contract("Marketplace", w3=w3)
    assert market.functions.feeBps().call() == settings.CHAIN_PLATFORM_FEE_BPS
    call_command("deploy_contracts")  # idempotent
    assert deployment() == record


def test_management_command_refuses_the_wrong_chain(w3, settings, tmp_path):
    settings.CHAIN_DEPLOYMENTS_DIR = tmp_path
    settings.CHAIN_ID = 5
    with pytest.raises(CommandError, match="chain id"):
        call_command("deploy_contracts")
    assert not list(tmp_path.iterdir())
