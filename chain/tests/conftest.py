"""The contracts deployed once per test session on the session's anvil. Tests take `suite`,
which runs inside the root `w3` fixture's snapshot, so each test starts from the fresh deploy."""

from dataclasses import dataclass

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract

from chain import client
from chain.anvil import dev_accounts as anvil_dev_accounts
from chain.deploy import DeployConfig, deploy_all
from chain.provenance import SCHEMAS

FEE_BPS = 250


@dataclass
class Suite:
    w3: Web3
    market: Contract
    license: Contract
    ownership: Contract
    eas: Contract
    registry: Contract
    token: Contract  # ERC-20 without permit
    permit_token: Contract  # ERC-20 with ERC-2612 permit
    auth_token: Contract  # like USDC: 6 decimals, EIP-3009 and ERC-2612
    checkout: Contract  # gasless purchases for the Marketplace
    accounts: list[LocalAccount]  # anvil's dev accounts, unlocked there; [0] is the admin
    deployment: dict

    @property
    def admin(self) -> LocalAccount:
        return self.accounts[0]

    @property
    def fee_recipient(self) -> LocalAccount:
        return self.accounts[9]

    def deploy(self, name: str, *args) -> Contract:
        """Deploy a test contract from the admin account."""
        artifact = client.load_artifact(name)
        factory = self.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        tx = factory.constructor(*args).transact({"from": self.admin.address})
        address = self.w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
        return self.w3.eth.contract(address=address, abi=artifact["abi"])


@pytest.fixture(scope="session")
def dev_accounts() -> list[LocalAccount]:
    return anvil_dev_accounts(10)


@pytest.fixture(scope="session")
def deployed(anvil, dev_accounts, tmp_path_factory) -> Suite:
    w3 = client.get_web3()
    path = tmp_path_factory.mktemp("deployments") / f"{w3.eth.chain_id}.json"
    config = DeployConfig(
        site_url="http://testserver",
        fee_bps=FEE_BPS,
        fee_recipient=dev_accounts[9].address,
        relayers=(dev_accounts[7].address,),  # the relayer of the Checkout tests
    )
    record = deploy_all(w3=w3, account=dev_accounts[0], output_path=path, config=config).record
    assert set(record["schemas"]) == set(SCHEMAS)

    def contract(name: str) -> Contract:
        return client.get_contract(name, w3=w3, path=path)

    suite = Suite(
        w3=w3,
        market=contract("Marketplace"),
        license=contract("LicenseToken"),
        ownership=contract("ListingOwnership"),
        eas=contract("EAS"),
        registry=contract("SchemaRegistry"),
        token=None,
        permit_token=None,
        auth_token=None,
        checkout=contract("Checkout"),
        accounts=dev_accounts,
        deployment=record,
    )
    suite.token = suite.deploy("TestToken", "Plain Token", "PLAIN")
    suite.permit_token = suite.deploy("TestPermitToken", "Permit Token", "PRMT")
    suite.auth_token = suite.deploy("TestAuthToken", "Test USD Coin", "tUSDC")
    # The admin's currency allow-list.
    for token in (suite.token, suite.permit_token, suite.auth_token):
        tx = suite.market.functions.setCurrency(token.address, True).transact(
            {"from": suite.admin.address}
        )
        assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    return suite


@pytest.fixture
def suite(deployed, w3) -> Suite:
    """The deployed contracts, inside this test's snapshot."""
    return deployed
