"""The test wallet for browser tests: an EIP-1193 provider in the page, a real key in Python.

`InjectedWallet.install(context)` injects tests/e2e/injected_wallet.js into every page of a
Playwright browser context. The page sees a wallet announced via EIP-6963 (and window.ethereum);
each request crosses a Playwright binding to `InjectedWallet.handle`, which signs with an
eth-account key (personal_sign, eth_signTypedData_v4, eth_sendTransaction as a signed raw
transaction) and forwards read calls to the anvil RPC. Attributes simulate what a person or a
wallet does: reject (4001), sit on another chain, lack our chain (4902).
"""

import itertools
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3
from web3.exceptions import ContractLogicError, Web3RPCError

# anvil's deterministic dev keys (standard test mnemonic). #0 deploys contracts in the suite;
# wallets use the others so a person's balance and nonces are never the deployer's.
DEV_KEYS = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f8e8f11b15ff7d9aab5ee8d5a7b35f8d3e1c0a76f5a",
]
USER_REJECTED = 4001
UNAUTHORIZED = 4100
UNSUPPORTED_METHOD = 4200
UNRECOGNIZED_CHAIN = 4902
_SHIM = (Path(__file__).parent / "injected_wallet.js").read_text()
_ICON = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E"
    "%3Crect width='32' height='32' rx='8' fill='%2306b6d4'/%3E%3C/svg%3E"
)
_binding_ids = itertools.count()
# anvil holds its dev keys unlocked and would sign these itself: a real wallet signs with its own
# key or refuses, so they are never forwarded.
_NEVER_FORWARDED = {"eth_sign", "eth_signTransaction", "eth_signTypedData", "eth_signTypedData_v3"}


class ProviderError(Exception):
    """An EIP-1193 error, thrown in the page as an Error with this code."""

    def __init__(self, code: int, message: str, data: Any = None):
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


def _rejected() -> ProviderError:
    return ProviderError(USER_REJECTED, "User rejected the request.")


@dataclass(eq=False)
class InjectedWallet:
    account: LocalAccount
    rpc_url: str
    chain_id: int  # the chain the wallet is on now (set another to simulate a wrong chain)
    name: str = "Test Wallet"
    rdns: str = "org.example.testwallet"
    eip6963: bool = True  # announce via EIP-6963
    legacy: bool = True  # also be window.ethereum (the first installed wallet wins it)
    known_chains: set[int] = field(default_factory=set)  # reachable without wallet_addEthereumChain
    connected: bool = False  # eth_accounts is empty until eth_requestAccounts (or set True)
    reject_connect: bool = False
    reject_signatures: bool = False  # personal_sign and eth_signTypedData_v4
    reject_chain_switch: bool = False  # wallet_switchEthereumChain and wallet_addEthereumChain
    reject_transactions: bool = False
    calls: list[tuple[str, list]] = field(default_factory=list)  # every request, in order
    sent_transactions: list[str] = field(default_factory=list)  # hashes of eth_sendTransaction
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __post_init__(self):
        self.known_chains = set(self.known_chains) | {self.chain_id}
        self._binding = f"__testWalletRequest{next(_binding_ids)}"
        self._events: list = []  # provider events to fire in the page with the current reply

    @property
    def address(self) -> str:
        return self.account.address

    def install(self, context) -> "InjectedWallet":
        """Inject into every page the context opens from now on (call before new_page)."""
        context.expose_binding(self._binding, lambda source, call: self._answer(call))
        config = {
            "binding": self._binding,
            "eip6963": self.eip6963,
            "legacy": self.legacy,
            "info": {"uuid": self.uuid, "name": self.name, "icon": _ICON, "rdns": self.rdns},
        }
        context.add_init_script(_SHIM.replace("__WALLET_CONFIG__", json.dumps(config)))
        return self

    def emit(self, page, event: str, payload: Any) -> None:
        """Fire a provider event in the page, as a wallet does when the person acts in it.
        Waits until the page listens for it: scripts subscribe a moment after load."""
        page.wait_for_function(
            "([uuid, event]) => window.__testWallets[uuid].listenerCount(event) > 0",
            arg=[self.uuid, event],
        )
        page.evaluate(
            "([uuid, event, payload]) => window.__testWallets[uuid].emit(event, payload)",
            [self.uuid, event, payload],
        )

    def switch_account(self, page, account: LocalAccount) -> None:
        """The person picks another account in the wallet."""
        self.account = account
        self.emit(page, "accountsChanged", [account.address])

    def methods_called(self) -> list[str]:
        return [method for method, _ in self.calls]

    # --- the provider side ---------------------------------------------------------------

    def _answer(self, call: str) -> str:
        request = json.loads(call)
        method, params = request["method"], request.get("params") or []
        self.calls.append((method, params))
        self._events = []
        try:
            reply = {"result": self.handle(method, params)}
        except ProviderError as exc:
            reply = {"error": {"code": exc.code, "message": exc.message, "data": exc.data}}
        except Exception as exc:  # a harness bug must fail the page's call, not hang it
            reply = {"error": {"code": -32603, "message": f"test wallet: {exc!r}"}}
        return json.dumps({**reply, "events": self._events})

    def handle(self, method: str, params: list) -> Any:
        handler = getattr(self, "_rpc_" + method, None)
        if handler:
            return handler(params)
        if method.startswith(("eth_", "net_", "web3_")) and method not in _NEVER_FORWARDED:
            return self._forward(method, params)
        raise ProviderError(UNSUPPORTED_METHOD, f"The test wallet does not support {method}.")

    def _rpc_eth_chainId(self, params):
        return hex(self.chain_id)

    def _rpc_net_version(self, params):
        return str(self.chain_id)

    def _rpc_eth_accounts(self, params):
        return [self.address] if self.connected else []

    def _rpc_eth_requestAccounts(self, params):
        if self.reject_connect:
            raise _rejected()
        if not self.connected:
            self.connected = True
            self._events.append(["connect", {"chainId": hex(self.chain_id)}])
            self._events.append(["accountsChanged", [self.address]])
        return [self.address]

    def _rpc_wallet_switchEthereumChain(self, params):
        if self.reject_chain_switch:
            raise _rejected()
        wanted = int(params[0]["chainId"], 16)
        if wanted not in self.known_chains:
            raise ProviderError(UNRECOGNIZED_CHAIN, f"Unrecognized chain ID {hex(wanted)}.")
        self._chain_set(wanted)

    def _rpc_wallet_addEthereumChain(self, params):
        if self.reject_chain_switch:
            raise _rejected()
        added = int(params[0]["chainId"], 16)
        self.known_chains.add(added)
        self._chain_set(added)  # like MetaMask: adding a chain also switches to it

    def _chain_set(self, chain_id: int) -> None:
        if chain_id != self.chain_id:
            self.chain_id = chain_id
            self._events.append(["chainChanged", hex(chain_id)])

    def _rpc_personal_sign(self, params):
        data, address = params[0], params[1]
        self._check_signer(address)
        if isinstance(data, str) and data.startswith("0x"):
            message = encode_defunct(primitive=bytes.fromhex(data[2:]))
        else:
            message = encode_defunct(text=data)
        return "0x" + self.account.sign_message(message).signature.hex()

    def _rpc_eth_signTypedData_v4(self, params):
        address, typed = params[0], params[1]
        self._check_signer(address)
        typed = json.loads(typed) if isinstance(typed, str) else typed
        signed = self.account.sign_message(encode_typed_data(full_message=typed))
        return "0x" + signed.signature.hex()

    def _check_signer(self, address: str) -> None:
        if not self.connected or address.lower() != self.address.lower():
            raise ProviderError(UNAUTHORIZED, f"{address} is not an authorized account.")
        if self.reject_signatures:
            raise _rejected()

    def _rpc_eth_sendTransaction(self, params):
        """Fill in nonce, gas and fees like a wallet, sign with the key, send it raw."""
        tx = dict(params[0])
        self._check_signer_for_tx(tx.get("from", ""))
        w3 = Web3(HTTPProvider(self.rpc_url))
        tx = _transaction_fill(w3, tx, sender=self.address, chain_id=self.chain_id)
        try:
            raw = self.account.sign_transaction(tx).raw_transaction
            tx_hash = "0x" + w3.eth.send_raw_transaction(raw).hex()
        except ContractLogicError as exc:
            raise ProviderError(3, str(exc), getattr(exc, "data", None)) from exc
        except Web3RPCError as exc:
            raise ProviderError(-32603, str(exc)) from exc
        self.sent_transactions.append(tx_hash)
        return tx_hash

    def _check_signer_for_tx(self, sender: str) -> None:
        if not self.connected or sender.lower() != self.address.lower():
            raise ProviderError(UNAUTHORIZED, f"{sender} is not an authorized account.")
        if self.reject_transactions:
            raise _rejected()

    def _forward(self, method: str, params: list) -> Any:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        reply = requests.post(self.rpc_url, json=body, timeout=30).json()
        if "error" in reply:
            error = reply["error"]
            raise ProviderError(
                error.get("code", -32603), error.get("message", ""), error.get("data")
            )
        return reply["result"]


def _transaction_fill(w3: Web3, request: dict, *, sender: str, chain_id: int) -> dict:
    quantity = {"value", "gas", "gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "nonce"}
    tx = {k: int(v, 16) if k in quantity and isinstance(v, str) else v for k, v in request.items()}
    tx.pop("from", None)
    if "input" in tx:
        tx.setdefault("data", tx.pop("input"))
    tx["chainId"] = chain_id  # the wallet's chain: a wallet on the wrong chain signs for it
    tx.setdefault("nonce", w3.eth.get_transaction_count(sender, "pending"))
    tx.setdefault("value", 0)
    try:
        tx.setdefault("gas", w3.eth.estimate_gas({**tx, "from": sender}))
    except ContractLogicError as exc:
        raise ProviderError(3, str(exc), getattr(exc, "data", None)) from exc
    if "gasPrice" not in tx:
        base_fee = w3.eth.get_block("latest")["baseFeePerGas"]
        tx.setdefault("maxPriorityFeePerGas", w3.eth.max_priority_fee)
        tx.setdefault("maxFeePerGas", 2 * base_fee + tx["maxPriorityFeePerGas"])
    return tx


def dev_wallet(index: int, *, rpc_url: str, chain_id: int, **options) -> InjectedWallet:
    """A test wallet holding anvil dev key `index` (funded with 10,000 ETH on a fresh anvil)."""
    return InjectedWallet(Account.from_key(DEV_KEYS[index]), rpc_url, chain_id, **options)
