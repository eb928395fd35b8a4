"""Sales for dashboard tests (chain and browser): a listing with a creator, a partner and a
contributor whose ETH payments fail so they are credited, sold in ETH and in an ERC-20; and
the sums computed straight from the chain's events, to compare the dashboard with.

Why the contributor's payments fail: `anvil_setCode` gives its (EOA) address runtime code that
reverts, as a smart-contract wallet without a payable receive would, while the purchases run;
removing the code afterwards leaves an ordinary account that can sign its own withdrawal. It
needs no test contract and no change to the production contracts, and it exercises exactly the
contract path that credits a recipient (the gas-limited ETH call fails)."""

from collections import defaultdict
from dataclasses import dataclass

from eth_account import Account
from eth_account.signers.local import LocalAccount

from chain import client
from listings.models import Listing
from payments.tests import buying
from payments.tests.buying import TierSpec, deploy_token, mint, tokenized_listing
from payments.tests.indexing import buy, rpc, wallets

REVERTING_CODE = "0x60006000fd"  # PUSH1 0 PUSH1 0 REVERT: refuses every call and payment
ETH = "0x0000000000000000000000000000000000000000"
PRICE_ETH = 10**16 + 7  # odd: every split leaves rounding dust for the owner
PRICE_TOKEN = 5 * 10**18 + 3


def days_later(days: int) -> None:
    """The next block is mined `days` after the latest one (chain time only moves forward)."""
    latest = client.get_web3().eth.get_block("latest").timestamp
    rpc("evm_setNextBlockTimestamp", latest + days * 86_400)


def refuse_payments(address: str) -> None:
    rpc("anvil_setCode", address, REVERTING_CODE)


def accept_payments(address: str) -> None:
    rpc("anvil_setCode", address, "0x")


@dataclass
class Sales:
    listing: Listing
    creator: LocalAccount
    partner: str
    contributor: LocalAccount
    token: object
    buyers: list
    receipts: list


def sell(*, creator: LocalAccount | None = None, contributor: LocalAccount | None = None) -> Sales:
    """Three purchases of one listing: ETH tier × 1, ETH tier × 3, token tier × 2. The
    contributor refuses ETH meanwhile (credited) and takes the token (paid)."""
    creator = creator or wallets(1)[0]
    contributor = contributor or wallets(1)[0]
    partner = Account.create().address
    token = deploy_token("Dash Token", "DASH", permit=False)
    listing = tokenized_listing(
        creator_key=creator,
        title="Dashboard model",
        tiers=[
            TierSpec(name="Download", price_wei=PRICE_ETH),
            TierSpec(name="Token download", price_wei=PRICE_TOKEN, currency=token.address),
        ],
        splits=[
            (creator.address, 7_000, "Me"),
            (partner, 2_000, "Labelling"),
            (contributor.address, 1_000, "Eval team"),
        ],
    )
    buyers = wallets(2)
    market = client.get_contract("Marketplace")
    mint(token, buyers[1].address, 100 * 10**18)
    client.transact(token.functions.approve(market.address, 2**255), account=buyers[1])
    refuse_payments(contributor.address)
    receipts = [buy(listing, buyers[0])]
    # Sales on different days, so daily buckets and the chart have a shape to show.
    days_later(1)
    receipts.append(buy(listing, buyers[0], quantity=3))
    days_later(2)
    receipts.append(buy(listing, buyers[1], tier=1, quantity=2))
    accept_payments(contributor.address)
    return Sales(listing, creator, partner, contributor, token, buyers, receipts)


def chain_sums(listing: Listing) -> dict:
    """From the chain itself: revenue per (tier, currency) and the sales count from the
    listing's `Purchased` logs, and per (recipient, currency, "Paid"/"Credited") what its sales
    moved, measured as balance and credit changes (payments.tests.buying.received)."""
    market = client.get_contract("Marketplace")
    lid = listing.onchain_id
    revenue: dict[tuple[int, str], int] = defaultdict(int)
    totals: dict[str, int] = defaultdict(int)
    purchased = [
        log
        for log in market.events.Purchased().get_logs(from_block=0)
        if log["args"]["tokenId"] >> 8 == lid
    ]
    received: dict[tuple[str, str, str], int] = defaultdict(int)
    for log in purchased:
        a = log["args"]
        revenue[(a["tokenId"] & 0xFF, a["currency"])] += a["amount"]
        totals[a["currency"]] += a["amount"]
    for tx in {log["transactionHash"] for log in purchased}:
        for key, amount in buying.received(market.w3.eth.get_transaction_receipt(tx)).items():
            received[key] += amount
    return {"revenue": dict(revenue), "totals": dict(totals), "sales": len(purchased),
            "received": dict(received)}  # fmt: skip
