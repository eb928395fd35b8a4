"""The indexer's word-by-word decoding gives what eth_abi gives, for every event of our
contracts, and falls back to eth_abi (and its errors) for anything irregular."""

import re

import pytest
from eth_abi import encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain.indexer.decode import Decoder, _args_by_words, _events_of
from chain.registry import INDEXED_CONTRACTS

ADDRESSES = {f"0x{n:040x}": contract for n, contract in enumerate(INDEXED_CONTRACTS, start=1)}
SPECS = [
    (address, topic, spec)
    for address, contract in ADDRESSES.items()
    for topic, spec in _events_of(contract).items()
]


def _values(abi_type: str):
    if abi_type.endswith("]"):
        return st.lists(_values(abi_type[: abi_type.rindex("[")]), max_size=4)
    if abi_type == "address":
        return st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
    if abi_type == "bool":
        return st.booleans()
    if abi_type == "string":
        return st.text(max_size=40)
    if abi_type == "bytes":
        return st.binary(max_size=40)
    if match := re.fullmatch(r"bytes(\d+)", abi_type):
        return st.binary(min_size=int(match[1]), max_size=int(match[1]))
    match = re.fullmatch(r"(u?)int(\d*)", abi_type)
    bits = int(match[2] or 256)
    if match[1]:
        return st.integers(0, 2**bits - 1)
    return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


def _log(address: str, topic: str, topics: list[bytes], data: bytes) -> dict:
    return {
        "address": address,
        "topics": [topic] + ["0x" + t.hex() for t in topics],
        "data": "0x" + data.hex(),
        "blockNumber": "0x10",
        "blockHash": "0x" + "ab" * 32,
        "transactionHash": "0x" + "cd" * 32,
        "logIndex": "0x3",
    }


@st.composite
def logs(draw):
    address, topic, spec = draw(st.sampled_from(SPECS))
    indexed = [encode([t], [draw(_values(t))]) for _, t in spec.indexed]
    values = [draw(_values(t)) for t in spec.data_types]
    return _log(address, topic, indexed, encode(list(spec.data_types), values))


@st.composite
def irregular_logs(draw):
    """Logs of one-word events whose words are any 32 bytes (bad padding, bools of 2, ...)."""
    address, topic, spec = draw(st.sampled_from([s for s in SPECS if s[2].word_readers]))
    word = st.binary(min_size=32, max_size=32)
    topics = [draw(word) for _ in spec.indexed]
    data = b"".join(draw(word) for _ in spec.data_types)
    return _log(address, topic, topics, data)


def _outcome(decoder: Decoder, log: dict):
    try:
        return decoder.decode(log)
    except Exception as exc:  # noqa: BLE001 (the error's kind is what is compared)
        return type(exc)


FAST, REFERENCE = Decoder(ADDRESSES), Decoder(ADDRESSES, words=False)


def test_most_events_are_read_word_by_word():
    """What a sale writes (Purchased, TransferSingle) takes the word path."""
    by_name = {spec.name: spec for _, _, spec in SPECS}
    for name in ("Purchased", "TransferSingle", "ExpiryUpdated", "Credited", "Transfer"):
        assert by_name[name].word_readers is not None, name
    assert by_name["TransferBatch"].word_readers is None  # arrays: eth_abi


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs())
def test_word_path_equals_eth_abi(log):
    spec = FAST.events[(log["address"], log["topics"][0])]
    if spec.word_readers:  # taken, not fallen back from
        assert _args_by_words(spec, log["topics"], log["data"]) is not None
    decoded = FAST.decode(log)
    assert decoded == REFERENCE.decode(log)
    assert list(decoded.args) == list(REFERENCE.decode(log).args)  # ABI order kept


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(irregular_logs())
def test_irregular_words_decode_or_fail_as_eth_abi_does(log):
    assert _outcome(FAST, log) == _outcome(REFERENCE, log)


@pytest.mark.parametrize(
    "data",
    [
        "0x" + "00" * 31,  # a word short
        "0x" + "00" * 160,  # a word too many
        "0x" + "-1".rjust(64, "0") * 4,  # int() would take the sign
        "0x" + "0_1".rjust(64, "0") * 4,  # ... and underscores
        "0x" + " 1".rjust(64, "0") * 4,  # ... and spaces
    ],
)
def test_malformed_data_is_not_read_by_words(data):
    address, topic, spec = next(s for s in SPECS if s[2].name == "Purchased")
    indexed = [
        encode([t], [v]) for (_, t), v in zip(spec.indexed, ["0x" + "11" * 20, 7], strict=True)
    ]
    log = _log(address, topic, indexed, b"") | {"data": data}
    assert _outcome(FAST, log) == _outcome(REFERENCE, log)
    assert _args_by_words(spec, log["topics"], data) is None


# From a review: logs no node sends, which must still fail (or not) as eth_abi's path does.


def _spec_named(name):
    return next(s for s in SPECS if s[2].name == name)


@pytest.mark.parametrize("data", [None, b"0x", 0])
def test_non_string_data_of_an_all_indexed_event(data):
    address, topic, _ = _spec_named("Transfer")  # no data values: eth_abi never reads `data`
    word = "0x" + "00" * 31 + "07"
    log = _log(address, topic, [], b"") | {"topics": [topic, word, word, word], "data": data}
    assert _outcome(FAST, log) == _outcome(REFERENCE, log)


def test_non_string_data_with_a_bad_topic():
    address, topic, _ = _spec_named("Purchased")
    log = _log(address, topic, [b"\xff" * 32, b"\x00" * 32], b"") | {"data": None}
    assert _outcome(FAST, log) == _outcome(REFERENCE, log)


def test_a_pending_log_without_data_fails_on_its_block_number_first():
    address, topic, _ = _spec_named("Transfer")
    word = "0x" + "00" * 32
    log = _log(address, topic, [], b"") | {"topics": [topic, word, word, word]}
    log["blockNumber"] = None
    del log["data"]
    assert _outcome(FAST, log) == _outcome(REFERENCE, log)


def test_unnamed_parameters_keep_eth_abis_last_value(monkeypatch):
    import chain.indexer.decode as decode

    inputs = [{"name": "", "type": "uint256", "indexed": False}] * 2
    abi = [{"type": "event", "name": "Dup", "anonymous": False, "inputs": inputs}]
    monkeypatch.setattr(decode, "load_artifact", lambda name: {"abi": abi})
    addresses = {"0x" + "11" * 20: "Synth"}
    fast, reference = Decoder(addresses), Decoder(addresses, words=False)
    (address, topic), _ = next(iter(fast.events.items()))
    log = _log(address, topic, [], encode(["uint256", "uint256"], [1, 2]))
    assert fast.decode(log).args == reference.decode(log).args == {"": 2}
