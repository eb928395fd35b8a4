"""The chain as the indexer reads it: raw JSON-RPC calls (no web3 result formatting, which costs
more than the call itself on log-heavy ranges), typed failures, and the adaptive block range."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import requests

from chain.client import get_web3

if TYPE_CHECKING:
    from web3 import Web3  # loaded with the client, on the first chain call


class RpcUnavailable(RuntimeError):
    """The node did not answer usefully (down, timed out, HTTP error): try again later."""


class RpcRejected(RuntimeError):
    """The node answered a call with a JSON-RPC error (e.g. a range or result-size limit)."""


@dataclass(frozen=True)
class Header:
    number: int
    hash: str
    timestamp: int


def _result(reply: dict, method: str):
    if "error" in reply:
        raise RpcRejected(f"{method}: {reply['error']}")
    return reply["result"]


class RpcSource:
    """Reads heads, logs and block headers. Tests subclass it to play a provider's failures
    (the one thing here that is mocked: a remote provider's limits)."""

    def __init__(self, w3: Web3 | None = None):
        self.provider = (w3 or get_web3()).provider

    def _call(self, method: str, params: list):
        try:
            return _result(self.provider.make_request(method, params), method)
        except (requests.RequestException, OSError) as exc:
            raise RpcUnavailable(f"{method}: {exc}") from exc

    def chain_id(self) -> int:
        return int(self._call("eth_chainId", []), 16)

    def head(self) -> int:
        return int(self._call("eth_blockNumber", []), 16)

    def logs(self, addresses: list[str], from_block: int, to_block: int) -> list[dict]:
        """Raw logs of `addresses` in [from_block, to_block], in chain order."""
        query = {"address": addresses, "fromBlock": hex(from_block), "toBlock": hex(to_block)}
        logs = self._call("eth_getLogs", [query])
        return sorted(logs, key=lambda log: (int(log["blockNumber"], 16), int(log["logIndex"], 16)))

    def headers(self, numbers) -> dict[int, Header]:
        """Hash and time of each block in `numbers` that exists, in one batched request."""
        return self.head_and_headers(numbers)[1] if numbers else {}

    def head_and_headers(self, numbers) -> tuple[int, dict[int, Header]]:
        """The head and the headers of `numbers`, in one round trip (the step's first call)."""
        calls = [("eth_blockNumber", [])]
        calls += [("eth_getBlockByNumber", [hex(n), False]) for n in sorted(set(numbers))]
        try:
            replies = self.provider.make_batch_request(calls)
        except (requests.RequestException, OSError) as exc:
            raise RpcUnavailable(f"batch of {len(calls)} calls: {exc}") from exc
        if isinstance(replies, dict):  # the whole batch was refused
            _result(replies, "batch")
        head = int(_result(replies[0], "eth_blockNumber"), 16)
        found = {}
        for reply in replies[1:]:
            block = _result(reply, "eth_getBlockByNumber")
            if block:
                number = int(block["number"], 16)
                found[number] = Header(number, block["hash"], int(block["timestamp"], 16))
        return head, found


class RangeSizer:
    """How many blocks to ask for at once. A refused span sets a ceiling just below it (halving
    the size); calls that are fast and small double the size up to the ceiling; slow or huge
    ones halve it. Providers cap eth_getLogs by block span or by result count: this finds the
    span that works without paying a refusal on every call. The ceiling is forgotten after
    PROBE_AFTER good calls, in case the refusal was a passing one."""

    PROBE_AFTER = 200

    def __init__(self, *, maximum: int, initial: int = 100, target_seconds: float = 1.0):
        self.maximum = max(1, maximum)
        self.ceiling = self.maximum
        self.size = min(initial, self.maximum)
        self.target_seconds = target_seconds
        self._good = 0

    def refused(self, span: int) -> None:
        self.ceiling = max(1, span - 1)
        self.size = max(1, min(self.size, span // 2))
        self._good = 0

    def observe(self, *, seconds: float, logs: int, max_logs: int) -> None:
        self._good += 1
        if self._good >= self.PROBE_AFTER:
            self.ceiling, self._good = self.maximum, 0
        if seconds > 2 * self.target_seconds or logs > max_logs:
            self.size = max(1, self.size // 2)
        elif seconds < self.target_seconds / 2 and logs < max_logs // 2:
            self.size = min(self.ceiling, self.size * 2)
