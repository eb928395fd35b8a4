"""Small helpers for contract tests: sending from anvil's unlocked dev accounts, asserting
custom-error reverts, reading events, moving chain time, and building signed offers."""

import itertools
import json
from contextlib import contextmanager
from functools import cache

import pytest
from django.conf import settings
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError
from web3.logs import DISCARD

from chain.typed_data import ETH, OWNER, Domain, ListingOffer, Split, Tier, listing_id, sign

DAY = 24 * 3600
_local_ids = itertools.count(1)


def send(call, sender: str, value: int = 0):
    """Send a contract call from an unlocked anvil account; returns the receipt."""
    w3 = call.w3
    tx_hash = call.transact({"from": sender, "value": value})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt["status"] == 1
    return receipt


@cache
def _error_selectors() -> dict[str, set[str]]:
    """Custom error name -> 4-byte selectors, from every compiled artifact's ABI."""
    found: dict[str, set[str]] = {}
    for path in settings.CONTRACTS_BUILD_DIR.glob("*.json"):
        for item in json.loads(path.read_text())["abi"]:
            if item["type"] == "error":
                types = ",".join(_canonical(i) for i in item["inputs"])
                selector = Web3.keccak(text=f"{item['name']}({types})")[:4].to_0x_hex()
                found.setdefault(item["name"], set()).add(selector)
    return found


def _canonical(param: dict) -> str:
    if param["type"].startswith("tuple"):
        inner = ",".join(_canonical(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return param["type"]


@contextmanager
def reverts(error: str):
    """Assert the block reverts with the custom error `error` (by name)."""
    with pytest.raises(ContractCustomError) as info:
        yield info
    data = info.value.data if isinstance(info.value.data, str) else info.value.args[0]
    assert data[:10] in _error_selectors()[error], f"expected {error}, got {info.value!r}"


def events(contract: Contract, receipt, name: str) -> list[dict]:
    """The `name` events `contract` emitted in `receipt`, as dicts of their arguments."""
    logs = contract.events[name]().process_receipt(receipt, errors=DISCARD)
    return [dict(log["args"]) for log in logs]


def chain_now(w3: Web3) -> int:
    return w3.eth.get_block("latest")["timestamp"]


def warp(w3: Web3, seconds: int) -> int:
    """Move chain time forward and mine a block; returns the new time."""
    target = chain_now(w3) + seconds
    w3.provider.make_request("evm_setNextBlockTimestamp", [target])
    w3.provider.make_request("evm_mine", [])
    return target


def new_listing_id(creator: str) -> int:
    return listing_id(creator, next(_local_ids))


def make_offer(
    suite,
    signer: LocalAccount,
    *,
    tiers: tuple[Tier, ...] = (Tier(price=10**16),),
    splits: tuple[Split, ...] = (Split(OWNER, 10_000),),
    chain_id: int | None = None,
    **fields,
) -> tuple[ListingOffer, bytes]:
    """A listing offer by `signer` (the creator unless `creator` is given), valid for a day from
    now, and its signature by `signer`."""
    creator = fields.get("creator", signer.address)
    values = {
        "creator": creator,
        "listing_id": new_listing_id(creator),
        "content_digest": Web3.keccak(text=f"model {next(_local_ids)}"),
        "tiers": tiers,
        "splits": splits,
        "valid_after": chain_now(suite.w3) - 60,
        "valid_until": chain_now(suite.w3) + DAY,
        "counter": suite.market.functions.counters(creator).call(),
    }
    values.update(fields)
    offer = ListingOffer(**values)
    domain = Domain(chain_id or suite.w3.eth.chain_id, suite.market.address)
    return offer, sign(offer, domain, signer.key)


def register(suite, offer: ListingOffer, signature: bytes, sender: str | None = None):
    call = suite.market.functions.register(offer.as_struct(), signature)
    return send(call, sender or suite.accounts[0].address)


def buy(suite, buyer: str, listing: int, tier_id: int = 0, quantity: int = 1, **overrides):
    """Buy at the stored price in ETH (or with `currency`/`amount`/`value` overridden)."""
    stored = suite.market.functions.tier(listing, tier_id).call()
    amount = overrides.get("amount", stored[0] * quantity)
    currency = overrides.get("currency", stored[7])
    value = overrides.get("value", amount if currency == ETH else 0)
    call = suite.market.functions.purchase(listing, tier_id, quantity, currency, amount)
    return send(call, buyer, value)


def buy_with_offer(suite, buyer: str, offer: ListingOffer, signature: bytes, tier_id=0, quantity=1):
    tier = offer.tiers[tier_id]
    amount = tier.price * quantity
    call = suite.market.functions.purchaseWithOffer(
        offer.as_struct(), signature, tier_id, quantity, tier.currency, amount
    )
    return send(call, buyer, amount if tier.currency == ETH else 0)


def set_fee(suite, recipient: str, bps: int) -> None:
    """Set the platform fee as the admin; a rise is announced, so wait out its notice and apply
    it (anyone may)."""
    receipt = send(suite.market.functions.setPlatformFee(recipient, bps), suite.admin.address)
    scheduled = events(suite.market, receipt, "PlatformFeeScheduled")
    if scheduled:
        warp(suite.w3, scheduled[0]["effectiveAt"] - chain_now(suite.w3) + 1)
        send(suite.market.functions.applyPlatformFee(), suite.admin.address)
