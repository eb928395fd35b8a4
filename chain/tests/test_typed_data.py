"""EIP-712 builders and id helpers, without a chain (the on-chain match is tested in
test_marketplace_admin.py)."""

import json

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from chain.typed_data import (
    OWNER,
    Domain,
    ListingOffer,
    Split,
    Tier,
    bytes32_hex,
    digest,
    listing_id,
    sign,
    split_signature,
    split_token_id,
    token_id,
    typed_data,
)

CREATOR = Account.from_key("0x" + "42" * 32)
DOMAIN = Domain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")


def offer(**fields) -> ListingOffer:
    values = {
        "creator": CREATOR.address,
        "listing_id": listing_id(CREATOR.address, 9),
        "content_digest": b"\x01" * 32,
        "tiers": (Tier(price=10**18),),
        "splits": (Split(OWNER, 10_000),),
        "valid_until": 2**40,
    }
    return ListingOffer(**{**values, **fields})


def test_listing_and_token_ids_round_trip():
    lid = listing_id(CREATOR.address, 9)
    assert lid >> 88 == int(CREATOR.address, 16) and lid & (2**88 - 1) == 9
    assert split_token_id(token_id(lid, 3)) == (lid, 3)
    with pytest.raises(ValueError):
        listing_id(CREATOR.address, 2**88)


def test_typed_data_is_json_for_wallets_and_signs_recoverably():
    document = typed_data(offer(), DOMAIN)
    assert json.loads(json.dumps(document)) == document  # what a browser wallet receives
    assert document["message"]["contentDigest"] == "0x" + "01" * 32
    signature = sign(offer(), DOMAIN, CREATOR.key)
    signable = encode_typed_data(full_message=document)
    assert Account.recover_message(signable, signature=signature) == CREATOR.address
    v, r, s = split_signature(signature)
    assert v in (27, 28) and len(r) == len(s) == 32


def test_digest_changes_with_every_signed_field():
    base = digest(offer(), DOMAIN)
    changed = [
        offer(counter=1),
        offer(valid_until=2**40 + 1),
        offer(tiers=(Tier(price=10**18, transferable=False),)),
        offer(splits=(Split(OWNER, 9_999), Split(CREATOR.address, 1))),
        offer(royalty_bps=1),
    ]
    assert all(digest(o, DOMAIN) != base for o in changed)
    assert digest(offer(), Domain(1, DOMAIN.verifying_contract)) != base


def test_bytes32_hex_validates_length():
    assert bytes32_hex("0x" + "ab" * 32) == "0x" + "ab" * 32
    with pytest.raises(ValueError):
        bytes32_hex(b"\x00" * 31)
