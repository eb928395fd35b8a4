"""The one place that talks to the chain: a web3 client per RPC URL, compiled artifacts, the
deployment file, contract objects, and signed transactions.

Every other module gets its Web3 object, ABIs and addresses from here (STYLE.md rule 8)."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from core.errors import ApiError

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3 import Web3
    from web3.contract import Contract
    from web3.contract.contract import ContractConstructor, ContractFunction
    from web3.types import TxReceipt

# web3 (with aiohttp, websockets, requests: ~30 MiB) loads on the first chain call, not when
# a module that may call the chain is imported: most web requests never do.


def __getattr__(name: str):
    # RPC_ERRORS: what a node that is down, slow or misbehaving raises through web3. Resolved
    # on first use (an `except client.RPC_ERRORS` evaluates it only when something is raised).
    if name == "RPC_ERRORS":
        import requests
        from web3.exceptions import Web3Exception

        globals()["RPC_ERRORS"] = (requests.RequestException, Web3Exception, OSError)
        return globals()["RPC_ERRORS"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class DeploymentMissing(LookupError):
    """No deployment file for this chain, or it lacks the contract asked for."""


class TransactionFailed(RuntimeError):
    """A transaction was mined but reverted."""


@contextmanager
def chain_errors(message: str = "The chain is not reachable right now; try again in a moment."):
    """Inside a request: node errors become a 503 the person can retry, never a 500."""
    try:
        yield
    except __getattr__("RPC_ERRORS") as exc:
        raise ApiError(message, code="chain_unavailable", status=503) from exc


@cache
def _web3_for(url: str) -> Web3:
    from web3 import HTTPProvider, Web3

    return Web3(HTTPProvider(url, request_kwargs={"timeout": 30}))


def get_web3() -> Web3:
    """The client for the configured chain (settings.CHAIN_RPC_URL)."""
    return _web3_for(settings.CHAIN_RPC_URL)


@cache
def _artifact(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


def load_artifact(name: str) -> dict:
    """A compiled contract from contracts/build/<name>.json (ABI, bytecode, source hashes)."""
    return _artifact(str(settings.CONTRACTS_BUILD_DIR / f"{name}.json"))


def deployment_path(chain_id: int | None = None) -> Path:
    """Where the deployment of `chain_id` (default settings.CHAIN_ID) is recorded."""
    return Path(settings.CHAIN_DEPLOYMENTS_DIR) / f"{chain_id or settings.CHAIN_ID}.json"


@lru_cache(maxsize=8)
def _deployment_at(path: str, mtime_ns: int) -> dict:
    # Keyed on the file's mtime so a fresh deploy is seen without restarting the process.
    with open(path) as f:
        return json.load(f)


def deployment(chain_id: int | None = None, *, path: Path | None = None) -> dict:
    """The deployment file: {"chainId", "contracts": {name: {"address", ...}}, "schemas": {...}}."""
    path = Path(path or deployment_path(chain_id))
    try:
        return _deployment_at(str(path), os.stat(path).st_mtime_ns)
    except FileNotFoundError:
        raise DeploymentMissing(
            f"no deployment at {path}: run `manage.py deploy_contracts`"
        ) from None


def get_contract(
    name: str, *, address: str | None = None, w3: Web3 | None = None, path: Path | None = None
) -> Contract:
    """A contract object: ABI from contracts/build, address from the deployment file unless
    given. `path` points at another deployment file (tests, scripts)."""
    w3 = w3 or get_web3()
    if address is None:
        try:
            address = deployment(path=path)["contracts"][name]["address"]
        except KeyError:
            raise DeploymentMissing(f"{name} is not in the deployment file") from None
    from core.eth import to_checksum_address

    return w3.eth.contract(address=to_checksum_address(address), abi=load_artifact(name)["abi"])


def transact(
    call: ContractFunction | ContractConstructor,
    *,
    account: LocalAccount,
    value: int = 0,
    gas: int | None = None,
    w3: Web3 | None = None,
) -> TxReceipt:
    """Sign `call` with `account` locally, send it and wait for the receipt. Works on any chain
    (no unlocked node accounts needed). Without `gas` the node estimates it, so a call that
    would revert raises web3's ContractLogicError before sending; one mined and reverted
    raises TransactionFailed."""
    w3 = w3 or get_web3()
    params = {
        "from": account.address,
        "value": value,
        "nonce": w3.eth.get_transaction_count(account.address, "pending"),
    }
    if gas is not None:
        params["gas"] = gas
    tx = call.build_transaction(params)
    signed = account.sign_transaction(tx)
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(signed.raw_transaction)
    )
    if receipt["status"] != 1:
        raise TransactionFailed(f"transaction {receipt['transactionHash'].hex()} reverted")
    return receipt
