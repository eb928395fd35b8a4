"""x402 v2 on a licensed file and on the licence itself: a 402 says what to pay; the x402
package's own client pays with one EIP-3009 authorization from a wallet holding only tUSDC;
our facilitator settles it through the Checkout and the file is served with PAYMENT-RESPONSE.
A holder proves it with sign-in-with-x and is never charged twice; a payment for the wrong
amount or chain, or a replay, moves no money."""

import asyncio
import base64
import hashlib
import json

import pytest
from django.test import Client
from eth_account import Account
from x402.extensions.sign_in_with_x import create_siwx_payload, encode_siwx_header
from x402.http import decode_payment_required_header, decode_payment_response_header
from x402.http.utils import encode_payment_signature_header
from x402.mechanisms.evm.exact import ExactEvmScheme
from x402.schemas import PaymentPayload

from chain import client, typed_data
from payments.models import RelayedPurchase
from payments.tests.access_helpers import CONTENT, artifact_store, scan_files, stored_file  # noqa: F401
from payments.tests.buying import TierSpec, buyer_account, mint, tokenized_listing

pytestmark = [pytest.mark.django_db, pytest.mark.chain]
PRICE = 3 * 10**6  # 3 tUSDC
PATH = "weights/model.bin"


@pytest.fixture
def usdc(contracts, w3):
    return client.get_contract("TestAuthToken")


@pytest.fixture
def listing(usdc):
    stored = stored_file(CONTENT)
    tiers = [TierSpec(name="Download", price_wei=PRICE, currency=usdc.address)]
    made = tokenized_listing(creator_key=buyer_account(3), tiers=tiers, files=[(PATH, stored)])
    scan_files([(PATH, stored)])
    return made


@pytest.fixture
def agent(usdc):
    """An agent's wallet: tUSDC, no ETH, no account on the site."""
    account = Account.create()
    mint(usdc, account.address, 10 * PRICE)
    return account


def file_url(listing):
    return f"/api/v1/x402/listings/{listing.slug}/files/{PATH}"


def required(reply):
    assert reply.status_code == 402, reply.content
    return decode_payment_required_header(reply["PAYMENT-REQUIRED"])


def pay_header(agent, requirements, **changes) -> str:
    """PAYMENT-SIGNATURE as the x402 package's client builds it (changes: what a bad client
    alters before signing)."""
    terms = requirements.model_copy(update=changes)
    inner = ExactEvmScheme(agent).create_payment_payload(terms)
    return encode_payment_signature_header(PaymentPayload(payload=inner, accepted=terms))


def siwx_header(agent, reply, **changes) -> str:
    extension = required(reply).extensions["sign-in-with-x"]
    info = {**extension["info"], **extension["supportedChains"][0], **changes}
    url = "http://testserver" + reply.wsgi_request.get_full_path()
    return encode_siwx_header(asyncio.run(create_siwx_payload(info, agent, url)))


def test_a_file_answers_402_with_x402_v2_requirements(listing, usdc):
    reply = Client().get(file_url(listing))
    needed = required(reply)
    assert needed.x402_version == 2 and "sign-in-with-x" in needed.extensions
    (terms,) = needed.accepts
    assert terms.scheme == "exact" and terms.network == "eip155:31337"
    assert terms.asset == usdc.address and terms.amount == str(PRICE)
    assert terms.pay_to == client.get_contract("Checkout").address
    assert terms.extra["name"] == "Test USD Coin" and terms.extra["tier"] == 0
    assert reply.json()["accepts"][0]["payTo"] == terms.pay_to  # the body says the same


def test_paying_serves_the_file_and_mints_the_licence_to_the_payer(listing, usdc, agent):
    (terms,) = required(Client().get(file_url(listing))).accepts
    reply = Client().get(file_url(listing), HTTP_PAYMENT_SIGNATURE=pay_header(agent, terms))
    assert reply.status_code == 200, reply.content
    assert (
        hashlib.sha256(b"".join(reply.streaming_content)).hexdigest()
        == hashlib.sha256(CONTENT).hexdigest()
    )
    settled = decode_payment_response_header(reply["PAYMENT-RESPONSE"])
    assert settled.success and settled.payer == agent.address
    assert settled.network == "eip155:31337" and settled.amount == str(PRICE)
    licence = client.get_contract("LicenseToken")
    token = typed_data.token_id(listing.onchain_id, 0)
    assert licence.functions.balanceOf(agent.address, token).call() == 1
    assert usdc.functions.balanceOf(agent.address).call() == 9 * PRICE
    assert client.get_web3().eth.get_balance(agent.address) == 0
    relayed = RelayedPurchase.objects.get()
    assert relayed.source == "x402" and relayed.tx_hashes[-1] == settled.transaction
    assert int(relayed.gas_cost) > 0


def test_a_holder_proves_it_and_is_never_charged_twice(listing, usdc, agent):
    (terms,) = required(Client().get(file_url(listing))).accepts
    first = pay_header(agent, terms)
    assert Client().get(file_url(listing), HTTP_PAYMENT_SIGNATURE=first).status_code == 200

    replay = Client().get(file_url(listing), HTTP_PAYMENT_SIGNATURE=first)
    assert replay.status_code == 409
    again = Client().get(file_url(listing), HTTP_PAYMENT_SIGNATURE=pay_header(agent, terms))
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_licensed"

    challenge = Client().get(file_url(listing))
    proof = siwx_header(agent, challenge)
    served = Client().get(file_url(listing), HTTP_SIGN_IN_WITH_X=proof)
    assert served.status_code == 200 and "PAYMENT-RESPONSE" not in served
    assert b"".join(served.streaming_content) == CONTENT
    reused = Client().get(file_url(listing), HTTP_SIGN_IN_WITH_X=proof)
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "nonce_used"
    assert usdc.functions.balanceOf(agent.address).call() == 9 * PRICE
    assert RelayedPurchase.objects.count() == 1


def test_sign_in_with_x_for_another_chain_is_refused(listing, agent):
    challenge = Client().get(file_url(listing))
    proof = siwx_header(agent, challenge, chainId="eip155:1")
    reply = Client().get(file_url(listing), HTTP_SIGN_IN_WITH_X=proof)
    assert reply.status_code == 401 and reply.json()["error"]["code"] == "siwx_invalid"


def test_a_caller_without_a_licence_proving_its_address_still_gets_402(listing, agent):
    challenge = Client().get(file_url(listing))
    reply = Client().get(file_url(listing), HTTP_SIGN_IN_WITH_X=siwx_header(agent, challenge))
    assert required(reply).error == f"{agent.address} holds no licence."


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"amount": str(PRICE - 1)}, "invalid_amount"),
        ({"network": "eip155:1"}, "invalid_network"),
        ({"pay_to": "0x000000000000000000000000000000000000dEaD"}, "invalid_pay_to"),
    ],
    ids=["wrong-amount", "wrong-chain", "wrong-payee"],
)
def test_a_wrong_payment_is_refused_and_moves_no_money(listing, usdc, agent, change, reason):
    (terms,) = required(Client().get(file_url(listing))).accepts
    reply = Client().get(
        file_url(listing), HTTP_PAYMENT_SIGNATURE=pay_header(agent, terms, **change)
    )
    assert required(reply).error and reply.json()["code"] == reason
    assert usdc.functions.balanceOf(agent.address).call() == 10 * PRICE
    assert not RelayedPurchase.objects.exists()


def test_a_malformed_payment_header_is_400(listing):
    garbage = base64.b64encode(json.dumps({"x402Version": 2}).encode()).decode()
    reply = Client().get(file_url(listing), HTTP_PAYMENT_SIGNATURE=garbage)
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "payment_malformed"


def test_the_licence_itself_is_sold_by_x402(listing, agent):
    url = f"/api/v1/x402/listings/{listing.slug}/licence"
    (terms,) = required(Client().get(url)).accepts
    reply = Client().get(url, HTTP_PAYMENT_SIGNATURE=pay_header(agent, terms))
    assert reply.status_code == 200, reply.content
    body = reply.json()
    assert body["address"] == agent.address and body["tier"] == 0
    assert body["token_id"] == str(typed_data.token_id(listing.onchain_id, 0))
    assert decode_payment_response_header(reply["PAYMENT-RESPONSE"]).transaction == body["tx_hash"]


def test_one_tier_of_the_licence_endpoint_is_bought_even_by_a_holder_of_another(usdc, agent):
    from listings.models import Tier

    tiers = [
        TierSpec(name="Download", price_wei=PRICE, currency=usdc.address),
        TierSpec(
            name="Compute", price_wei=2 * PRICE, currency=usdc.address, kind=Tier.Kind.COMPUTE
        ),
    ]
    listing = tokenized_listing(creator_key=buyer_account(3), tiers=tiers)
    url = f"/api/v1/x402/listings/{listing.slug}/licence"
    assert [t.extra["tier"] for t in required(Client().get(url)).accepts] == [0, 1]
    (download,) = required(Client().get(f"{url}?tier=0")).accepts
    paid = Client().get(f"{url}?tier=0", HTTP_PAYMENT_SIGNATURE=pay_header(agent, download))
    assert paid.status_code == 200 and paid.json()["tier"] == 0

    (compute,) = required(Client().get(f"{url}?tier=1")).accepts
    assert compute.amount == str(2 * PRICE)
    paid = Client().get(f"{url}?tier=1", HTTP_PAYMENT_SIGNATURE=pay_header(agent, compute))
    assert paid.status_code == 200 and paid.json()["tier"] == 1
    assert usdc.functions.balanceOf(agent.address).call() == 7 * PRICE
    assert Client().get(f"{url}?tier=9").status_code == 400
    assert Client().get(f"{url}?tier=" + "9" * 30).status_code == 400


def test_a_denied_wallet_cannot_pay(listing, usdc, agent):
    from accounts.denylist import address_deny

    address_deny(address=agent.address, reason="matrix", actor=None)
    (terms,) = required(Client().get(file_url(listing))).accepts
    reply = Client().get(file_url(listing), HTTP_PAYMENT_SIGNATURE=pay_header(agent, terms))
    assert reply.status_code == 403 and reply.json()["error"]["code"] == "address_denied"
    assert usdc.functions.balanceOf(agent.address).call() == 10 * PRICE
