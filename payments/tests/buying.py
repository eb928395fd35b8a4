"""Helpers for purchase tests (API and browser): a published listing whose creator really
signed the offer, test ERC-20 tokens, and sending what the prepare endpoint built."""

from django.conf import settings
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.logs import DISCARD

from accounts.models import User
from chain import client
from chain.anvil import dev_accounts
from chain.typed_data import ZERO_ADDRESS
from listings import services as listing_services
from listings.models import Listing
from listings.tests import factories
from payments.offers import services

TierSpec = listing_services.TierSpec


def tokenized_listing(
    *,
    creator_key: LocalAccount | None = None,
    tiers: list[TierSpec] | None = None,
    splits: list[tuple[str, int, str]] | None = None,
    title: str = "Tiny model",
    publish: bool = True,
    files: list | None = None,
) -> Listing:
    """A listing with a version, tiers, splits and an offer its creator signed, published
    (moderator-approved) unless `publish` is False. Not registered on chain: the first
    purchase registers it. `files` are (path, Artifact) pairs; the default has no stored bytes."""
    creator_key = creator_key or Account.create()
    creator = User.objects.filter(address=creator_key.address).first()
    creator = creator or User.objects.create_user(creator_key.address)
    listing = factories.listing(creator=creator, title=title)
    listing_services.version_create(
        listing=listing,
        actor=creator,
        tag="v1",
        files=files or [("model.bin", factories.artifact())],
    )
    listing_services.listing_set_tiers(
        listing=listing, actor=creator, tiers=tiers or [TierSpec(name="Download", price_wei=10**16)]
    )
    if splits:
        listing_services.listing_set_splits(listing=listing, actor=creator, splits=splits)
    document = services.offer_prepare(listing=listing, actor=creator)
    signature = creator_key.sign_message(encode_typed_data(full_message=document)).signature
    services.offer_submit(
        listing=listing,
        actor=creator,
        message=document["message"],
        signature=signature.to_0x_hex(),
    )
    if publish:
        listing_services.listing_set_status(listing=listing, to_status="published", actor=None)
    listing.refresh_from_db()
    return listing


def deployer() -> LocalAccount:
    return Account.from_key(settings.CHAIN_DEPLOYER_KEY)


def deploy_token(name: str, symbol: str, *, permit: bool):
    """TestPermitToken (ERC-2612) or TestToken (no permit); anyone may mint either."""
    artifact = client.load_artifact("TestPermitToken" if permit else "TestToken")
    w3 = client.get_web3()
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    receipt = client.transact(factory.constructor(name, symbol), account=deployer())
    allow = client.get_contract("Marketplace").functions.setCurrency(receipt.contractAddress, True)
    client.transact(allow, account=deployer())  # the admin's currency allow-list
    return w3.eth.contract(address=receipt.contractAddress, abi=artifact["abi"])


def mint(token, to: str, amount: int) -> None:
    client.transact(token.functions.mint(to, amount), account=deployer())


def send_step(step: dict, account: LocalAccount):
    """Send a prepared transaction step from `account` (signed here, as a wallet would);
    returns the receipt (status checked by the caller)."""
    w3 = client.get_web3()
    tx = {
        "from": account.address,
        "to": step["to"],
        "data": step["data"],
        "value": int(step["value"]),
        "nonce": w3.eth.get_transaction_count(account.address, "pending"),
        "chainId": w3.eth.chain_id,
    }
    tx["gas"] = w3.eth.estimate_gas(tx)
    tx["maxPriorityFeePerGas"] = w3.eth.max_priority_fee
    tx["maxFeePerGas"] = (
        2 * w3.eth.get_block("latest")["baseFeePerGas"] + tx["maxPriorityFeePerGas"]
    )
    signed = account.sign_transaction(tx)
    return w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction))


def received(receipt) -> dict[tuple[str, str, str], int]:
    """What each payee of the purchases in `receipt` got, measured on chain over its block (one
    transaction per block on the test chain): (address, currency, "Paid") its balance change,
    (address, currency, "Credited") its change of credit. Contracts v2 announce only refused
    payments, so this is the truth the indexer's derived payouts are held to. The payees are
    read from the contract at that block: the fee recipient, the split and the listing owner."""
    market = client.get_contract("Marketplace")
    w3, block = market.w3, receipt["blockNumber"]
    found: dict[tuple[str, str, str], int] = {}
    for log in market.events.Purchased().process_receipt(receipt, errors=DISCARD):
        currency, lid = log["args"]["currency"], log["args"]["tokenId"] >> 8
        payees = {
            market.functions.feeRecipient().call(block_identifier=block),
            market.functions.listing(lid).call(block_identifier=block)[0],
            *(r for r, _ in market.functions.splitsOf(lid).call(block_identifier=block)),
        }
        for who in payees - {ZERO_ADDRESS}:
            who = Web3.to_checksum_address(who)
            paid = _balance(w3, currency, who, block) - _balance(w3, currency, who, block - 1)
            credited = market.functions.credits(who, currency).call(block_identifier=block)
            credited -= market.functions.credits(who, currency).call(block_identifier=block - 1)
            found[(who, currency, "Paid")] = paid
            found[(who, currency, "Credited")] = credited
    return {key: amount for key, amount in found.items() if amount}


def _balance(w3: Web3, currency: str, who: str, block: int) -> int:
    if int(currency, 16) == 0:
        return w3.eth.get_balance(who, block_identifier=block)
    token = w3.eth.contract(address=currency, abi=client.load_artifact("TestToken")["abi"])
    return token.functions.balanceOf(who).call(block_identifier=block)


def payouts(receipt) -> dict[str, int]:
    """What each address received in a purchase (paid plus credited), measured on chain."""
    totals: dict[str, int] = {}
    for (who, _currency, _kind), amount in received(receipt).items():
        totals[who] = totals.get(who, 0) + amount
    return totals


def buyer_account(index: int = 2) -> LocalAccount:
    """An anvil dev account (funded with ETH), with its key."""
    return dev_accounts(index + 1)[index]
