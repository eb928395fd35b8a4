"""Decode raw JSON-RPC logs of our contracts into (contract, event, args), straight from the ABI.
web3's log processing formats every field through generic middleware, which is most of the cost
of reading logs; the indexer decodes every log, so it skips that. Events whose every value fits
one 32-byte word (a sale, a mint, a transfer: nearly every log) are read word by word from the
hex the node sent; the rest (arrays, strings) and any word eth_abi would refuse go through
eth_abi, so both paths give the same values and raise the same errors (chain/tests/test_decode.py).
eth_abi took two thirds of the indexer's read of a range of sales (issue 20)."""

import re
from collections.abc import Callable
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
    # One reader per value (topics 1..n, then the data), or None when a value is not one word.
    word_readers: tuple[Callable[[str], object], ...] | None = None
    word_order: tuple[int, ...] = ()  # each name's index among the words, in ABI order


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
        in_words = [*indexed, *data]
        readers = [_word_reader(t) for _, t in in_words]
        if len({name for name, _ in in_words}) < len(in_words):
            readers = [None]  # repeated (unnamed) names: eth_abi's dict keeps the last one
        found[topic] = EventAbi(
            contract=contract,
            name=item["name"],
            names=tuple(p["name"] for p in item["inputs"]),
            indexed=tuple(indexed),
            data_names=tuple(n for n, _ in data),
            data_types=tuple(t for _, t in data),
            word_readers=None if None in readers else tuple(readers),
            word_order=tuple([n for n, _ in in_words].index(p["name"]) for p in item["inputs"]),
        )
    return found


_HEX = re.compile(r"[0-9a-fA-F]*")


class _Irregular(Exception):
    """A word eth_abi would refuse (non-zero padding, a bool neither 0 nor 1): eth_abi decodes
    it, to raise its own error."""


def _word_reader(abi_type: str) -> Callable[[str], object] | None:
    """A function from one 64-digit hex word to the value `to_json` gives for `abi_type`, or
    None for a type that is not one word (arrays, strings, bytes, tuples): an event with one
    of those goes through eth_abi whole."""
    if abi_type == "address":
        return _address
    if abi_type == "bool":
        return _bool
    if match := re.fullmatch(r"(u?)int(\d*)", abi_type):
        bits = int(match[2] or 256)
        return _uint(bits) if match[1] else _int(bits)
    if match := re.fullmatch(r"bytes(\d+)", abi_type):
        return _fixed_bytes(int(match[1]))
    return None


def _address(word: str) -> str:
    if word[:24].strip("0"):
        raise _Irregular
    return checksum("0x" + word[24:].lower())


def _bool(word: str) -> bool:
    value = int(word, 16)
    if value > 1:
        raise _Irregular
    return value == 1


def _uint(bits: int) -> Callable[[str], int]:
    def read(word: str) -> int:
        value = int(word, 16)
        if value >> bits:
            raise _Irregular
        return value

    return read


def _int(bits: int) -> Callable[[str], int]:
    def read(word: str) -> int:
        value = int(word, 16)
        if value >> 255:
            value -= 1 << 256
        if not -(1 << (bits - 1)) <= value < 1 << (bits - 1):
            raise _Irregular
        return value

    return read


def _fixed_bytes(size: int) -> Callable[[str], str]:
    def read(word: str) -> str:
        if word[2 * size :].strip("0"):
            raise _Irregular
        return "0x" + word[: 2 * size].lower()

    return read


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
    """Decodes logs of the contracts at `addresses` ({lowercase address: contract name}).
    `words=False` decodes every log with eth_abi (the benchmark's bare read, and the reference
    the word path is tested against)."""

    def __init__(self, addresses: dict[str, str], *, words: bool = True):
        self.words = words
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
        return RawLog(
            block_number=int(log["blockNumber"], 16),
            block_hash=log["blockHash"],
            tx_hash=log["transactionHash"],
            log_index=int(log["logIndex"], 16),
            address=checksum(address),
            contract=spec.contract,
            event=spec.name,
            args=self._args(spec, topics, log["data"]),  # last: a bad log fails as it did
        )

    def _args(self, spec: EventAbi, topics: list[str], data: str) -> dict:
        if self.words and spec.word_readers is not None:
            args = _args_by_words(spec, topics, data)
            if args is not None:
                return args
        return _args_by_abi(spec, topics, data)


def _args_by_words(spec: EventAbi, topics: list[str], data: str) -> dict | None:
    """The arguments read word by word, or None when eth_abi must decode them (a data length
    that is not one word per value, an irregular word, anything but strings)."""
    if not isinstance(data, str) or not all(isinstance(topic, str) for topic in topics):
        return None
    words = [topic[2:] for topic in topics[1:]]
    words += [data[start : start + 64] for start in range(2, len(data), 64)]
    # Plain hex, a word per value: int() alone would also take signs, spaces and underscores.
    if not all(len(word) == 64 for word in words) or not _HEX.fullmatch("".join(words)):
        return None
    if len(words) != len(spec.word_readers) or not data.startswith("0x"):
        return None
    try:
        values = [read(word) for read, word in zip(spec.word_readers, words, strict=True)]
    except _Irregular:
        return None
    return {name: values[at] for name, at in zip(spec.names, spec.word_order, strict=True)}


def _args_by_abi(spec: EventAbi, topics: list[str], data: str) -> dict:
    args = {}
    for (name, abi_type), topic in zip(spec.indexed, topics[1:], strict=True):
        raw = bytes.fromhex(topic[2:])
        # An indexed string, bytes or array is stored as its hash: keep the hash.
        if _is_static(abi_type):
            args[name] = to_json(abi_decode([abi_type], raw)[0], abi_type)
        else:
            args[name] = "0x" + raw.hex()
    if spec.data_types:
        values = abi_decode(list(spec.data_types), bytes.fromhex(data[2:]))
        for name, abi_type, value in zip(spec.data_names, spec.data_types, values, strict=True):
            args[name] = to_json(value, abi_type)
    return {name: args[name] for name in spec.names}
