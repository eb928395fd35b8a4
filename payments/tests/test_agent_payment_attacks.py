"""What a review that attacked the agent payments found (issue 18), each tried for real first:
a tier given on request opened by a free on-chain licence, one x402 authorization settled for
another listing than the one it was signed for, a second charge while the first payment is on
its way, the relayer's gas spent on free or doomed purchases, and malformed payments or intents
answered with a 500. Each must now be refused with a clear 4xx and move no money."""

import asyncio
import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from eth_account import Account
from hexbytes import HexBytes
from rest_framework.test import APIClient
from x402.extensions.sign_in_with_x import create_siwx_payload, encode_siwx_header

from chain import client, typed_data
from payments import selectors
from payments.models import RelayedPurchase
from payments.purchase.sale import marketplace
from payments.tests.access_helpers import (  # noqa: F401 (fixture)
    CONTENT,
    artifact_store,
    scan_files,
    stored_file,
)
from payments.tests.buying import TierSpec, buyer_account, mint, tokenized_listing
from payments.tests.test_gasless import listing_in, post, prepared, sign_all
from payments.tests.test_x402 import PATH, PRICE, file_url, pay_header, required

pytestmark = [pytest.mark.django_db, pytest.mark.chain]
ZERO = "0x" + "0" * 40


@pytest.fixture
def usdc(contracts, w3):
    return client.get_contract("TestAuthToken")


@pytest.fixture
def listing(usdc):
    """A file sold for PRICE tUSDC (as in test_x402.py)."""
    stored = stored_file(CONTENT)
    tiers = [TierSpec(name="Download", price_wei=PRICE, currency=usdc.address)]
    made = tokenized_listing(creator_key=buyer_account(3), tiers=tiers, files=[(PATH, stored)])
    scan_files([(PATH, stored)])
    return made


@pytest.fixture
def agent(usdc):
    """tUSDC, no ETH, no account."""
    account = Account.create()
    mint(usdc, account.address, 10 * PRICE)
    return account


def licence_url(listing):
    return f"/api/v1/x402/listings/{listing.slug}/licence"


def get(url, **headers):
    return Client(raise_request_exception=False).get(url, **headers)


def send(call, account):
    w3 = client.get_web3()
    nonce = w3.eth.get_transaction_count(account.address, "pending")
    signed = account.sign_transaction(
        call.build_transaction({"from": account.address, "nonce": nonce})
    )
    return w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction))


def siwx(account, path: str) -> str:
    """A sign-in-with-x proof as x402's client signs our challenge."""
    now, stamp = datetime.now(UTC), "%Y-%m-%dT%H:%M:%S.000Z"
    url = "http://testserver" + path
    info = {
        "domain": "testserver", "uri": url, "version": "1",
        "statement": "Prove you hold a licence for this resource.",
        "nonce": "abcdef1234567890", "issuedAt": now.strftime(stamp),
        "expirationTime": (now + timedelta(minutes=5)).strftime(stamp), "resources": [url],
        "chainId": "eip155:31337", "type": "eip191",
    }  # fmt: skip
    return encode_siwx_header(asyncio.run(create_siwx_payload(info, account, url)))


def gated_listing(usdc, *, price_wei=0):
    stored = stored_file(CONTENT)
    tiers = [
        TierSpec(name="Download", price_wei=PRICE, currency=usdc.address),
        TierSpec(name="On request", price_wei=price_wei, requires_approval=True),
    ]
    made = tokenized_listing(creator_key=buyer_account(3), tiers=tiers, files=[(PATH, stored)])
    scan_files([(PATH, stored)])
    return made


def test_a_tier_given_on_request_bought_on_chain_opens_nothing(usdc):
    """The contract knows nothing of the creator's approval: a stranger can mint the free
    licence of such a tier with its own gas. The site must not take it for access."""
    made = gated_listing(usdc)
    stranger = buyer_account(5)
    offer = selectors.offer_active(listing=made)
    market = marketplace()
    send(market.functions.register(offer.message, HexBytes(offer.signature)), stranger)
    made.refresh_from_db()
    assert send(market.functions.purchase(made.onchain_id, 1, 1, ZERO, 0), stranger)["status"]
    token = typed_data.token_id(made.onchain_id, 1)
    assert client.get_contract("LicenseToken").functions.balanceOf(stranger.address, token).call()
    reply = get(file_url(made), HTTP_SIGN_IN_WITH_X=siwx(stranger, file_url(made)))
    assert reply.status_code == 402, reply.content


def test_a_tier_given_on_request_is_never_relayed_or_prepared(usdc):
    made = tokenized_listing(
        creator_key=buyer_account(3),
        tiers=[TierSpec(name="On request", price_wei=0, currency=usdc.address,
                        requires_approval=True)],
    )  # fmt: skip
    reply = post(made, "prepare", {"tier": 0, "buyer": Account.create().address})
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "approval_required"


def test_a_free_tier_is_not_claimed_at_the_sites_expense(usdc):
    made = listing_in(usdc, price=0)
    reply = post(made, "prepare", {"tier": 0, "buyer": Account.create().address})
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "gasless_unsupported"
    assert not RelayedPurchase.objects.exists()


def test_one_buyer_gets_a_bounded_number_of_sponsored_purchases_a_day(usdc, settings):
    settings.RELAY_PURCHASES_PER_BUYER_PER_DAY = 2
    made = listing_in(usdc, price=1)
    wallet = Account.create()
    mint(usdc, wallet.address, 10)
    codes = []
    for _ in range(3):
        reply = prepared(made, wallet)
        body = {"intent": reply["intent"], "signatures": sign_all(reply["sign"], wallet)}
        done = post(made, "submit", body)
        codes.append(done.status_code if done.status_code == 201 else done.json()["error"]["code"])
    assert codes == [201, 201, "buyer_sponsorship_limit"]
    assert usdc.functions.balanceOf(wallet.address).call() == 8


def attackers_listing(usdc):
    return tokenized_listing(
        creator_key=Account.create(),
        title="Attacker's listing",
        tiers=[TierSpec(name="Download", price_wei=PRICE, currency=usdc.address)],
    )


def test_an_x402_payment_settles_once_whatever_it_is_sent_for(listing, usdc, agent):
    """An authorization names no purchase. Once relayed for listing A it is spent here, even
    if that relay reverted (its calldata is public, the authorization still unused on chain):
    rewritten for listing B at the same price (the attacker's own), it is refused."""
    from payments.x402.facilitator import authorization_key

    other = attackers_listing(usdc)
    (terms,) = required(Client().get(file_url(listing))).accepts
    header = pay_header(agent, terms)
    nonce = json.loads(base64.b64decode(header))["payload"]["authorization"]["nonce"]
    RelayedPurchase.objects.create(  # A's relay, sent and reverted
        listing=listing, tier_index=0, quantity=1, buyer=agent.address, currency=usdc.address,
        amount=PRICE, method="transfer", source="x402", status="failed", relayer=ZERO,
        intent_digest=HexBytes(authorization_key(agent.address, nonce)).to_0x_hex(),
        gas_cost=0, day=datetime.now(UTC).date(), created_at=datetime.now(UTC),
    )  # fmt: skip
    rewritten = mutate(header, lambda d: d["accepted"]["extra"].__setitem__("listing", other.slug))
    reply = get(licence_url(other), HTTP_PAYMENT_SIGNATURE=rewritten)
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "already_relayed"
    assert usdc.functions.balanceOf(agent.address).call() == 10 * PRICE


def test_an_x402_payment_for_a_resource_it_was_not_offered_for_is_refused(listing, usdc, agent):
    """A payment whose terms name listing A, sent to listing B, is not settled for B (402,
    nothing moves)."""
    other = attackers_listing(usdc)
    (terms,) = required(Client().get(file_url(listing))).accepts
    reply = get(licence_url(other), HTTP_PAYMENT_SIGNATURE=pay_header(agent, terms))
    assert reply.status_code == 402
    assert usdc.functions.balanceOf(agent.address).call() == 10 * PRICE


def test_a_second_payment_while_the_first_is_on_its_way_is_refused(listing, usdc, agent):
    """A client that times out and pays again must not be charged twice: while one of its
    relayed purchases is being sent, another is refused before anything moves."""
    (terms,) = required(Client().get(file_url(listing))).accepts
    RelayedPurchase.objects.create(  # the first payment, sent and not mined yet
        listing=listing, tier_index=0, quantity=1, buyer=agent.address, currency=usdc.address,
        amount=PRICE, method="transfer", source="x402", intent_digest="0x" + "ab" * 32,
        relayer=ZERO, gas_cost=0, day=datetime.now(UTC).date(),
    )  # fmt: skip
    reply = get(file_url(listing), HTTP_PAYMENT_SIGNATURE=pay_header(agent, terms))
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "relay_pending"
    assert usdc.functions.balanceOf(agent.address).call() == 10 * PRICE


def mutate(header: str, change) -> str:
    data = json.loads(base64.b64decode(header))
    change(data)
    return base64.b64encode(json.dumps(data).encode()).decode()


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["payload"].__setitem__("authorization", "x"),
        lambda d: d["payload"].__setitem__("authorization", ["x"]),
        lambda d: d["accepted"].__setitem__("payTo", "not-an-address"),
        lambda d: d["accepted"].__setitem__("asset", "zz"),
        lambda d: d["accepted"]["extra"].__setitem__("tier", float("inf")),
        lambda d: d["payload"]["authorization"].__setitem__("value", float("inf")),
        lambda d: d["payload"]["authorization"].__setitem__("validBefore", 1e400),
        lambda d: d["payload"].__setitem__("signature", {"a": 1}),
        lambda d: d["payload"].__setitem__("signature", 7),
    ],
    ids=[
        "authorization-string", "authorization-list", "pay-to", "asset", "tier-infinite",
        "value-infinite", "valid-before-huge", "signature-object", "signature-number",
    ],
)  # fmt: skip
def test_a_malformed_payment_is_a_4xx_and_moves_nothing(listing, agent, change):
    (terms,) = required(Client().get(file_url(listing))).accepts
    reply = get(file_url(listing), HTTP_PAYMENT_SIGNATURE=mutate(pay_header(agent, terms), change))
    assert 400 <= reply.status_code < 500, reply.content
    assert not RelayedPurchase.objects.exists()


def test_an_odd_tier_number_on_the_licence_endpoint_is_a_4xx(listing):
    assert get(licence_url(listing) + "?tier=%C2%B2").status_code == 400


@pytest.mark.parametrize("field", ["listingId", "deadline", "amount", "tierId"])
def test_a_gasless_intent_number_past_float_range_is_a_400(usdc, field):
    made = listing_in(usdc)
    intent = {
        "buyer": "0x" + "11" * 20, "listingId": "1", "tierId": "0", "quantity": "1",
        "currency": usdc.address, "amount": "1", "nonce": "0x" + "00" * 32, "deadline": "1",
    }  # fmt: skip
    body = json.dumps({"intent": intent, "signatures": ["0x" + "00" * 65]})
    body = body.replace(f'"{field}": "{intent[field]}"', f'"{field}": 1e400')
    reply = APIClient(raise_request_exception=False).post(
        f"/api/v1/listings/{made.slug}/gasless/submit", body, content_type="application/json"
    )
    assert reply.status_code == 400, reply.content


def test_a_purchase_sent_but_not_confirmed_in_time_is_settled_later_not_failed(usdc, monkeypatch):
    """The receipt did not come while the request waited (a slow chain): the relay stays
    submitted (the buyer is told not to pay again, and cannot while it is), and the beat's
    reconcile settles it from the receipt once mined."""
    from web3.eth import Eth
    from web3.exceptions import TimeExhausted

    from payments.relay import submit

    made = listing_in(usdc, price=PRICE)
    wallet = Account.create()
    mint(usdc, wallet.address, 2 * PRICE)

    def too_slow(self, *args, **kwargs):
        raise TimeExhausted("no receipt in time")

    monkeypatch.setattr(Eth, "wait_for_transaction_receipt", too_slow)
    reply = prepared(made, wallet)
    done = post(
        made, "submit", {"intent": reply["intent"], "signatures": sign_all(reply["sign"], wallet)}
    )
    assert done.status_code == 503 and done.json()["error"]["code"] == "relay_unconfirmed"
    relay = RelayedPurchase.objects.get()
    assert relay.status == "submitted" and relay.tx_hashes  # the registration and the purchase
    again = post(made, "prepare", {"tier": 0, "buyer": wallet.address})
    assert again.status_code == 200  # preparing is fine; relaying again waits:
    body = {"intent": again.json()["intent"], "signatures": sign_all(again.json()["sign"], wallet)}
    assert post(made, "submit", body).json()["error"]["code"] == "relay_pending"

    monkeypatch.undo()
    assert submit.reconcile(older_than=0) == 1
    relay.refresh_from_db()
    assert relay.status == "succeeded" and relay.gas_used > 21_000
    assert usdc.functions.balanceOf(wallet.address).call() == PRICE  # charged once


def buy_once(made, wallet):
    reply = prepared(made, wallet)
    body = {"intent": reply["intent"], "signatures": sign_all(reply["sign"], wallet)}
    return post(made, "submit", body)


def licences(made, address) -> int:
    made.refresh_from_db()
    token = typed_data.token_id(made.onchain_id, 0)
    return client.get_contract("LicenseToken").functions.balanceOf(address, token).call()


def test_a_send_whose_reply_is_lost_is_not_called_unsent(usdc, monkeypatch):
    """The node took the purchase but its reply was lost: the relay knows its hashes before
    sending, finds the transaction at the node, and tells the buyer not to pay again."""
    import requests
    from web3.eth import Eth

    made = listing_in(usdc, price=PRICE)
    wallet = Account.create()
    mint(usdc, wallet.address, 2 * PRICE)
    real, sent = Eth.send_raw_transaction, []

    def reply_lost(self, raw):
        sent.append(real(self, raw))
        if len(sent) == 2:  # the purchase, after the registration
            raise requests.exceptions.ReadTimeout("reply lost")
        return sent[-1]

    monkeypatch.setattr(Eth, "send_raw_transaction", reply_lost)
    first = buy_once(made, wallet)
    monkeypatch.undo()
    assert first.status_code == 503 and first.json()["error"]["code"] == "relay_unconfirmed"
    assert licences(made, wallet.address) == 1
    assert buy_once(made, wallet).json()["error"]["code"] == "relay_pending"
    from payments.relay import submit

    assert submit.reconcile(older_than=0) == 1
    assert RelayedPurchase.objects.get().status == "succeeded"
    assert usdc.functions.balanceOf(wallet.address).call() == PRICE  # charged once


def test_a_stuck_purchase_blocks_its_buyer_until_it_can_no_longer_be_mined(usdc, monkeypatch):
    """A purchase stuck in the mempool (a gas spike) is neither failed nor forgotten while its
    signed payment is valid: mined later, it is settled and the buyer was never charged twice.
    Only once its deadline has passed and it was not mined is it failed."""
    from web3.eth import Eth
    from web3.exceptions import TimeExhausted

    from payments.relay import submit

    w3 = client.get_web3()
    made = listing_in(usdc, price=PRICE)
    wallet = Account.create()
    mint(usdc, wallet.address, 2 * PRICE)

    def too_slow(self, *args, **kwargs):
        raise TimeExhausted("no receipt in time")

    monkeypatch.setattr(Eth, "wait_for_transaction_receipt", too_slow)
    w3.provider.make_request("evm_setAutomine", [False])
    try:
        assert buy_once(made, wallet).json()["error"]["code"] == "relay_unconfirmed"
        old = datetime.now(UTC) - timedelta(hours=1)
        RelayedPurchase.objects.update(created_at=old)  # long after RELAY_PENDING_SECONDS
        monkeypatch.undo()
        assert submit.reconcile(older_than=0) == 0  # still in the mempool, still valid
        assert buy_once(made, wallet).json()["error"]["code"] == "relay_pending"
        w3.provider.make_request("evm_mine", [])
    finally:
        w3.provider.make_request("evm_setAutomine", [True])
    assert submit.reconcile(older_than=0) == 1
    assert RelayedPurchase.objects.get().status == "succeeded"
    assert licences(made, wallet.address) == 1
    assert usdc.functions.balanceOf(wallet.address).call() == PRICE


def test_a_relay_past_its_deadline_and_never_mined_is_failed(usdc):
    from payments.relay import submit

    made = listing_in(usdc, price=PRICE)
    RelayedPurchase.objects.create(
        listing=made, tier_index=0, quantity=1, buyer=ZERO, currency=usdc.address,
        amount=PRICE, method="authorization", intent_digest="0x" + "cd" * 32, relayer=ZERO,
        gas_cost=10**12, day=datetime.now(UTC).date(), tx_hashes=["0x" + "ee" * 32],
        deadline=int(client.get_web3().eth.get_block("latest")["timestamp"]) - 1,
    )  # fmt: skip
    assert submit.reconcile(older_than=0) == 1
    relay = RelayedPurchase.objects.get()
    assert (relay.status, relay.error, int(relay.gas_cost)) == ("failed", "never mined", 10**12)


def test_x402_does_not_sell_a_listing_paused_on_the_site(listing, usdc, agent):
    """A moderator's pause is on the site at once (on chain after commit): no 402 terms, no
    settlement, nothing moved."""
    from listings.models import Listing

    (terms,) = required(Client().get(file_url(listing))).accepts
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.PAUSED)
    assert get(file_url(listing)).status_code == 409
    paid = get(file_url(listing), HTTP_PAYMENT_SIGNATURE=pay_header(agent, terms))
    assert paid.status_code == 409 and paid.json()["error"]["code"] == "paused"
    assert usdc.functions.balanceOf(agent.address).call() == 10 * PRICE


def test_a_negative_valid_after_is_a_4xx(listing, agent):
    (terms,) = required(Client().get(file_url(listing))).accepts
    header = mutate(
        pay_header(agent, terms),
        lambda d: d["payload"]["authorization"].__setitem__("validAfter", -1),
    )
    assert get(file_url(listing), HTTP_PAYMENT_SIGNATURE=header).status_code == 400


def test_one_listing_spends_at_most_its_share_of_the_days_sponsorship(usdc, settings):
    """A seller buying its own 1-base-unit tier from fresh wallets stops at the listing's
    share of the budget; another listing's buyers are still sponsored."""
    settings.RELAY_GAS_BUDGET_WEI_PER_DAY = 10**17
    settings.RELAY_LISTING_BUDGET_SHARE = 0.25
    junk = listing_in(usdc, price=1)
    RelayedPurchase.objects.create(  # the junk listing's relays so far today: its whole share
        listing=junk, tier_index=0, quantity=1, buyer=ZERO, currency=usdc.address, amount=1,
        method="authorization", intent_digest="0x" + "cd" * 32, relayer=ZERO, status="succeeded",
        gas_cost=25 * 10**15, day=datetime.now(UTC).date(),
    )  # fmt: skip
    wallet = Account.create()
    mint(usdc, wallet.address, 1)
    reply = buy_once(junk, wallet)
    assert reply.status_code == 429 and reply.json()["error"]["code"] == "sponsorship_exhausted"
    real, victim = listing_in(usdc, price=PRICE), Account.create()
    mint(usdc, victim.address, PRICE)
    assert buy_once(real, victim).status_code == 201


def test_a_front_run_x402_payment_is_sent_back_to_its_payer(listing, usdc, agent, monkeypatch):
    """Someone copies the payer's authorization from the mempool and submits it to the token
    first: the money lands in the Checkout without a purchase. The payer is told so (not "no
    money moved"), and the stranded payment goes back to them at once."""
    from web3.eth import Eth

    (terms,) = required(Client().get(file_url(listing))).accepts
    header = pay_header(agent, terms)
    signed = json.loads(base64.b64decode(header))["payload"]
    auth = signed["authorization"]
    real, front_runner = Eth.send_raw_transaction, buyer_account(6)
    desk = client.get_contract("Checkout")
    held_before = usdc.functions.balanceOf(desk.address).call()

    def front_run_first(self, raw):
        monkeypatch.setattr(Eth, "send_raw_transaction", real)  # once
        copied = usdc.functions.transferWithAuthorization(
            auth["from"], auth["to"], int(auth["value"]), int(auth["validAfter"]),
            int(auth["validBefore"]), HexBytes(auth["nonce"]), HexBytes(signed["signature"]),
        )  # fmt: skip
        send(copied, front_runner)
        return real(self, raw)

    monkeypatch.setattr(Eth, "send_raw_transaction", front_run_first)
    reply = get(file_url(listing), HTTP_PAYMENT_SIGNATURE=header)
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "payment_stranded"
    assert "sent back to you" in reply.json()["error"]["message"]
    assert usdc.functions.balanceOf(agent.address).call() == 10 * PRICE  # refunded
    assert usdc.functions.balanceOf(desk.address).call() == held_before
    assert RelayedPurchase.objects.get().error.startswith("stranded; refunded in 0x")
