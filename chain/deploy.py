"""Deploy the contracts to a chain and record them in a deployment file, idempotently.

What is deployed: EAS's SchemaRegistry and EAS (from the npm package) with our schemas
registered, the Marketplace, which deploys its LicenseToken and ListingOwnership itself, and the
Checkout that relays gasless purchases to it. On a local chain (`test_tokens`), two test
stablecoins too, allow-listed as currencies: TestAuthToken (6 decimals, EIP-3009 and ERC-2612,
like USDC) and TestPermitToken (ERC-2612 only); anyone may mint either.
A contract the file lists is kept when its address still has code *and* it was built from the
bytecode the artifact holds now; a contract whose source changed (a new version) is deployed
again, and so is anything that depends on a contract deployed again."""

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import Web3

from chain.client import get_contract, load_artifact, transact
from chain.provenance import SCHEMAS


@dataclass(frozen=True)
class DeployConfig:
    site_url: str
    fee_bps: int
    fee_recipient: str | None = None  # None: the deployer
    test_tokens: bool = False  # deploy and allow-list the test stablecoins (local chains)
    # Who may settle x402 payments through the Checkout (the site's relayer); (): the deployer.
    relayers: tuple[str, ...] = ()


# The test stablecoins of a local chain: artifact -> (name, symbol).
TEST_TOKENS = {
    "TestAuthToken": ("Test USD Coin", "tUSDC"),
    "TestPermitToken": ("Test Permit Dollar", "tPDLR"),
}


@dataclass
class DeployResult:
    record: dict  # what was written to the deployment file
    deployed: list[str] = field(default_factory=list)  # contracts deployed by this run
    registered: list[str] = field(default_factory=list)  # schemas registered by this run


def license_uri(site_url: str) -> str:
    """ERC-1155 metadata URL template: wallets put the token id, 64 hex digits, for `{id}`."""
    return f"{site_url.rstrip('/')}/api/licenses/{{id}}.json"


def ownership_uri(site_url: str) -> str:
    """Base URL of the ownership tokens' metadata; the decimal listing id is appended."""
    return f"{site_url.rstrip('/')}/api/listings/ownership/"


def deploy_all(
    *,
    w3: Web3,
    account: LocalAccount,
    output_path: Path,
    config: DeployConfig,
    log: Callable[[str], None] = lambda _: None,
) -> DeployResult:
    """Deploy what is missing, register missing schemas, write `output_path`; return both."""
    chain_id = w3.eth.chain_id
    result = DeployResult(record=_load(output_path, chain_id))
    contracts = result.record["contracts"]

    def ensure(name: str, args: list, depends_on: tuple[str, ...] = ()) -> str:
        entry = contracts.get(name)
        stale = any(dep in result.deployed for dep in depends_on)
        if entry and not stale and _current(entry, name) and w3.eth.get_code(entry["address"]):
            log(f"{name}: kept at {entry['address']}")
            return entry["address"]
        contracts[name] = _deploy(w3, account, name, args)
        result.deployed.append(name)
        log(f"{name}: deployed at {contracts[name]['address']}")
        return contracts[name]["address"]

    registry = ensure("SchemaRegistry", [])
    ensure("EAS", [registry], depends_on=("SchemaRegistry",))
    fee_recipient = config.fee_recipient or account.address
    ensure(
        "Marketplace",
        [
            account.address,
            Web3.to_checksum_address(fee_recipient),
            config.fee_bps,
            license_uri(config.site_url),
            ownership_uri(config.site_url),
        ],
    )
    if "Marketplace" in result.deployed or not {"LicenseToken", "ListingOwnership"} <= set(
        contracts
    ):
        _record_children(w3, contracts)
    market = contracts["Marketplace"]["address"]
    checkout = ensure("Checkout", [market, account.address], depends_on=("Marketplace",))
    for relayer in config.relayers or (account.address,):
        _allow_relayer(w3, account, checkout, Web3.to_checksum_address(relayer), log)
    if config.test_tokens:
        for name, (token_name, symbol) in TEST_TOKENS.items():
            _allow_currency(w3, account, market, ensure(name, [token_name, symbol]), log)
    result.record["schemas"] = _register_schemas(w3, account, registry, result, log)
    _write(output_path, result.record)
    return result


def _allow_currency(w3: Web3, account: LocalAccount, market: str, token: str, log) -> None:
    """Put `token` on the Marketplace's currency allow-list unless it is there."""
    contract = get_contract("Marketplace", address=market, w3=w3)
    if not contract.functions.currencies(token).call()[0]:
        transact(contract.functions.setCurrency(token, True), account=account, w3=w3)
        log(f"currency {token}: allowed")


def _allow_relayer(w3: Web3, account: LocalAccount, checkout: str, relayer: str, log) -> None:
    """Name `relayer` on the Checkout unless it is named."""
    contract = get_contract("Checkout", address=checkout, w3=w3)
    if not contract.functions.relayers(relayer).call():
        transact(contract.functions.setRelayer(relayer, True), account=account, w3=w3)
        log(f"checkout relayer {relayer}: allowed")


def _load(path: Path, chain_id: int) -> dict:
    """The recorded deployment of this chain, or an empty one (a file for another chain id is
    not trusted: the addresses would mean nothing here)."""
    empty = {"chainId": chain_id, "contracts": {}, "schemas": {}}
    if not path.exists():
        return empty
    record = json.loads(path.read_text())
    return record if record.get("chainId") == chain_id else empty


def bytecode_hash(artifact: dict) -> str:
    """What identifies a build of one contract: its creation bytecode (which embeds the
    metadata hash of exactly the sources it was built from, so an unrelated source's change
    leaves it alone)."""
    return Web3.keccak(hexstr=artifact["bytecode"]).to_0x_hex()


def _current(entry: dict, name: str) -> bool:
    """Whether the recorded deployment is of today's build (records made before bytecode
    hashes were kept fall back to the source hash)."""
    artifact = load_artifact(name)
    if "bytecodeHash" in entry:
        return entry["bytecodeHash"] == bytecode_hash(artifact)
    return entry.get("sourceHash") == artifact["sourceHash"]


def _deploy(w3: Web3, account: LocalAccount, name: str, args: list) -> dict:
    artifact = load_artifact(name)
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = transact(factory.constructor(*args), account=account, w3=w3)
    return {
        "address": receipt["contractAddress"],
        "txHash": receipt["transactionHash"].to_0x_hex(),
        "blockNumber": receipt["blockNumber"],
        "sourceHash": artifact["sourceHash"],
        "bytecodeHash": bytecode_hash(artifact),
    }


def _record_children(w3: Web3, contracts: dict) -> None:
    """The Marketplace deploys its two tokens in its constructor; record where they landed."""
    parent = contracts["Marketplace"]
    market = get_contract("Marketplace", address=parent["address"], w3=w3)
    children = {
        "LicenseToken": market.functions.licenseToken().call(),
        "ListingOwnership": market.functions.ownership().call(),
    }
    for name, address in children.items():
        contracts[name] = {
            **parent,
            "address": address,
            "deployedBy": "Marketplace",
            "sourceHash": load_artifact(name)["sourceHash"],
            "bytecodeHash": bytecode_hash(load_artifact(name)),
        }


def _register_schemas(
    w3: Web3, account: LocalAccount, registry_address: str, result: DeployResult, log
) -> dict:
    registry = get_contract("SchemaRegistry", address=registry_address, w3=w3)
    recorded = {}
    for name, schema in SCHEMAS.items():
        existing = registry.functions.getSchema(schema.uid).call()
        if existing[0] == b"\x00" * 32:
            call = registry.functions.register(schema.definition, schema.resolver, schema.revocable)
            transact(call, account=account, w3=w3)
            result.registered.append(name)
            log(f"schema {name}: registered")
        recorded[name] = {
            "uid": "0x" + schema.uid.hex(),
            "schema": schema.definition,
            "revocable": schema.revocable,
        }
    return recorded


def _write(path: Path, record: dict) -> None:
    # Write then rename, so a reader never sees half a file.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
