"""Decode raw JSON-RPC logs of our contracts into (contract, event, args), straight from the ABI
with eth_abi. web3's log processing formats every field through generic middleware, which is
most of the cost of reading logs; the indexer decodes every log, so it skips that."""

from dataclasses import dataclass
from functools import lru_cache

from eth_abi import decode as abi_decode

from chain.client import load_artifact
from core.eth import keccak, to_checksum_address


@dataclass(frozen=True)
class EventAbi:
    contract: str
    name: str
    names: tuple[str, ...]  # every argument, in ABI order
    indexed: tuple[tuple[str, str], ...]  # (name, type) of topics 1..n
    data_names: tuple[str, ...]
    data_types: tuple[str, ...]


@dataclass(frozen=True)
class RawLog:
    """One log as the node returned it, the fields the indexer keeps, decoded."""

    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int
    address: str
    contract: str
    event: str
    args: dict


def _type(param: dict) -> str:
    if param["type"].startswith("tuple"):
        inner = ",".join(_type(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return param["type"]


def _events_of(contract: str) -> dict[str, EventAbi]:
    """topic0 (0x-hex) -> how to decode, for one contract's events."""
    found = {}
    for item in load_artifact(contract)["abi"]:
        if item["type"] != "event" or item.get("anonymous"):
            continue
        types = [_type(p) for p in item["inputs"]]
        topic = "0x" + keccak(text=f"{item['name']}({','.join(types)})").hex()
        params = list(zip(item["inputs"], types, strict=True))
        indexed = [(p["name"], t) for p, t in params if p["indexed"]]
        data = [(p["name"], t) for p, t in params if not p["indexed"]]
        found[topic] = EventAbi(
            contract=contract,
            name=item["name"],
            names=tuple(p["name"] for p in item["inputs"]),
            indexed=tuple(indexed),
            data_names=tuple(n for n, _ in data),
            data_types=tuple(t for _, t in data),
        )
    return found


@lru_cache(maxsize=4096)
def checksum(address: str) -> str:
    return to_checksum_address(address)


def to_json(value, abi_type: str):
    """An ABI value as JSON, by its type: ints stay exact ints (uint256 included), addresses are
    checksummed, bytes become 0x-hex, arrays lists."""
    if abi_type.endswith("]"):
        inner = abi_type[: abi_type.rindex("[")]
        return [to_json(v, inner) for v in value]
    if abi_type == "address":
        return checksum(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, tuple):  # a struct: positional, as its components have no names here
        return list(value)
    return value


def _is_static(abi_type: str) -> bool:
    return not (
        abi_type in ("string", "bytes") or abi_type.endswith("]") or abi_type.startswith("(")
    )


class Decoder:
    """Decodes logs of the contracts at `addresses` ({lowercase address: contract name})."""

    def __init__(self, addresses: dict[str, str]):
        self.addresses = {a.lower(): name for a, name in addresses.items()}
        self.events = {
            (address, topic): spec
            for address, name in self.addresses.items()
            for topic, spec in _events_of(name).items()
        }

    def decode(self, log: dict) -> RawLog | None:
        """The decoded log, or None for a log of no known event (kept out of the store)."""
        topics = log["topics"]
        address = log["address"].lower()
        spec = self.events.get((address, topics[0].lower())) if topics else None
        if spec is None or len(topics) != len(spec.indexed) + 1:
            return None
        args = {}
        for (name, abi_type), topic in zip(spec.indexed, topics[1:], strict=True):
            raw = bytes.fromhex(topic[2:])
            # An indexed string, bytes or array is stored as its hash: keep the hash.
            if _is_static(abi_type):
                args[name] = to_json(abi_decode([abi_type], raw)[0], abi_type)
            else:
                args[name] = "0x" + raw.hex()
        if spec.data_types:
            values = abi_decode(list(spec.data_types), bytes.fromhex(log["data"][2:]))
            for name, abi_type, value in zip(spec.data_names, spec.data_types, values, strict=True):
                args[name] = to_json(value, abi_type)
        return RawLog(
            block_number=int(log["blockNumber"], 16),
            block_hash=log["blockHash"],
            tx_hash=log["transactionHash"],
            log_index=int(log["logIndex"], 16),
            address=checksum(address),
            contract=spec.contract,
            event=spec.name,
            args={name: args[name] for name in spec.names},
        )
