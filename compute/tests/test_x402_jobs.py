"""A compute job paid with x402 by an agent with no account and no ETH: 402, pay, 202 while
the licence is confirmed, then the job with a sign-in-with-x proof (and no second charge)."""

import asyncio

import pytest
from django.test import Client
from eth_account import Account
from x402.extensions.sign_in_with_x import create_siwx_payload, encode_siwx_header
from x402.http import decode_payment_required_header, decode_payment_response_header
from x402.http.utils import encode_payment_signature_header
from x402.mechanisms.evm.exact import ExactEvmScheme
from x402.schemas import PaymentPayload

from chain import client
from compute.models import ComputePolicy, Job
from compute.tests.helpers import DATASET, environment, script
from listings.models import Listing, Tier
from payments.tests.access_helpers import scan_files, stored_file
from payments.tests.buying import TierSpec, buyer_account, mint, tokenized_listing
from payments.tests.indexing import index

pytestmark = [pytest.mark.django_db, pytest.mark.chain]
PRICE = 2 * 10**6


@pytest.fixture
def host(compute_settings):
    return environment()


@pytest.fixture
def listing(contracts, w3, host):
    usdc = client.get_contract("TestAuthToken")
    stored = stored_file(DATASET)
    tiers = [
        TierSpec(name="Compute", price_wei=PRICE, currency=usdc.address, kind=Tier.Kind.COMPUTE)
    ]
    made = tokenized_listing(
        creator_key=buyer_account(3), tiers=tiers, files=[("table.csv", stored)]
    )
    scan_files([("table.csv", stored)])
    Listing.objects.filter(pk=made.pk).update(kind=Listing.Kind.DATASET)
    policy = ComputePolicy.objects.create(listing=made, allow_raw_algorithms=True)
    policy.environments.set([host])
    return made


def submit(listing, host, **headers):
    body = {"environment": host.name, "algorithm": script("print(1)\n")}
    url = f"/api/v1/compute/x402/listings/{listing.slug}/jobs"
    return Client().post(url, body, **{f"HTTP_{k}": v for k, v in headers.items()})


def test_an_agent_pays_for_compute_and_runs_a_job(
    listing, host, django_capture_on_commit_callbacks
):
    usdc = client.get_contract("TestAuthToken")
    agent = Account.create()
    mint(usdc, agent.address, 5 * PRICE)

    asked = submit(listing, host)
    assert asked.status_code == 402
    needed = decode_payment_required_header(asked["PAYMENT-REQUIRED"])
    (terms,) = needed.accepts
    assert terms.amount == str(PRICE) and terms.extra["tier"] == 0

    inner = ExactEvmScheme(agent).create_payment_payload(terms)
    header = encode_payment_signature_header(PaymentPayload(payload=inner, accepted=terms))
    paid = submit(listing, host, PAYMENT_SIGNATURE=header)
    assert paid.status_code == 202, paid.content
    assert decode_payment_response_header(paid["PAYMENT-RESPONSE"]).payer == agent.address
    assert not Job.objects.exists()

    index()  # the licence is confirmed
    extension = decode_payment_required_header(submit(listing, host)["PAYMENT-REQUIRED"])
    siwx = extension.extensions["sign-in-with-x"]
    info = {**siwx["info"], **siwx["supportedChains"][0]}
    url = f"http://testserver/api/v1/compute/x402/listings/{listing.slug}/jobs"
    proof = encode_siwx_header(asyncio.run(create_siwx_payload(info, agent, url)))
    with django_capture_on_commit_callbacks():
        queued = submit(listing, host, SIGN_IN_WITH_X=proof)
    assert queued.status_code == 201, queued.content
    job = Job.objects.get()
    assert job.owner.address == agent.address and job.status == "queued"
    assert usdc.functions.balanceOf(agent.address).call() == 4 * PRICE  # charged once
