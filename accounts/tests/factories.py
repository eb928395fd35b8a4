"""Test data for accounts: users, wallets that sign, SIWE messages, an ERC-1271 wallet."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone
from eth_account import Account
from eth_account.messages import encode_defunct
from siwe import siwe as siwe_lib

from accounts.models import MODERATORS_GROUP, User
from chain.client import load_artifact

# The Django test client's origin.
SCHEME, HOST = "http", "testserver"


def user_create(*, moderator: bool = False, **fields) -> User:
    fields.setdefault("address", Account.create().address)
    user = User.objects.create_user(**fields)
    if moderator:
        # get_or_create: transactional (live server) tests flush the data migration's group away
        user.groups.add(Group.objects.get_or_create(name=MODERATORS_GROUP)[0])
    return user


def sign_text(account, text: str) -> str:
    """An EIP-191 personal_sign signature, as a wallet returns it."""
    return "0x" + account.sign_message(encode_defunct(text=text)).signature.hex()


def siwe_message(*, address: str, nonce: str, **overrides) -> str:
    """A message built by the client (as third-party SIWE libraries do), valid for the test
    client's origin unless `overrides` say otherwise."""
    now = timezone.now()
    fields = {
        "domain": HOST,
        "scheme": SCHEME,
        "address": address,
        "uri": f"{SCHEME}://{HOST}",
        "version": "1",
        "chain_id": settings.CHAIN_ID,
        "issued_at": iso(now),
        "expiration_time": iso(now + timedelta(minutes=5)),
        "nonce": nonce,
        "statement": "Sign in.",
    }
    fields.update(overrides)
    return siwe_lib.SiweMessage(**fields).prepare_message()


def iso(moment: datetime) -> str:
    return siwe_lib.ISO8601Datetime.from_datetime(moment)


def erc1271_wallet_deploy(w3, *, owner: str) -> str:
    """Deploy TestERC1271Wallet (accepts what `owner` signs) and return its address."""
    artifact = load_artifact("TestERC1271Wallet")
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    tx = factory.constructor(owner).transact({"from": w3.eth.accounts[0]})
    return w3.eth.wait_for_transaction_receipt(tx).contractAddress
