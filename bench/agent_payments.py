"""Agent payments: the latency from a 402 to the served resource, and the gas the relayer
spends per purchase.

    .venv/bin/python bench/agent_payments.py [--rounds 30] [--no-doc]

Starts its own anvil and deploys with the test stablecoins; everything else lives in a
temporary directory (SQLite, local store). Requests go through Django's test client in this
process (no socket: the figures are the server's work plus the chain's, not the network's),
and anvil mines each transaction at once (on a real chain add the block time).

Each round a fresh wallet holding only tUSDC (no ETH) asks for a licensed file: 402, the x402
package's client signs the `exact` payment (EIP-3009 TransferWithAuthorization), and the
retry is verified, settled through the Checkout and served with PAYMENT-RESPONSE. Timed from
the first request to the last byte. Gas is each relayed purchase's `gasUsed` (receipts, 21,000
base included), by path: x402, the one-signature API (ReceiveWithAuthorization bound to the
intent), permit + intent, and the first purchase of a listing (the relayer registers the offer
in a transaction of its own). Prints the figures and writes the `x402` section of
docs/performance.md."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from indexer import machine, percentile, setup_django  # noqa: E402
from perfdoc import write_section  # noqa: E402

PRICE = 5 * 10**6
CONTENT = bytes(range(256)) * 4096  # 1 MiB


def start_chain(port: int):
    from django.conf import settings
    from eth_account import Account

    from chain import client
    from chain.anvil import Anvil
    from chain.deploy import DeployConfig, deploy_all

    node = Anvil(port=port, chain_id=settings.CHAIN_ID).start()
    deploy_all(
        w3=client.get_web3(),
        account=Account.from_key(settings.CHAIN_DEPLOYER_KEY),
        output_path=Path(settings.CHAIN_DEPLOYMENTS_DIR) / f"{settings.CHAIN_ID}.json",
        config=DeployConfig(site_url=settings.SITE_URL, fee_bps=250, test_tokens=True),
    )
    return node


def listing_in(token_name: str, with_file: bool = False):
    from eth_account import Account

    from chain import client
    from payments.tests.access_helpers import scan_files, stored_file
    from payments.tests.buying import TierSpec, tokenized_listing

    token = client.get_contract(token_name)
    tiers = [TierSpec(name="Download", price_wei=PRICE, currency=token.address)]
    files = [("model.bin", stored_file(CONTENT))] if with_file else None
    listing = tokenized_listing(creator_key=Account.create(), tiers=tiers, files=files)
    if files:
        scan_files(files)
    return listing


def wallet(token_name: str):
    from eth_account import Account

    from chain import client
    from payments.tests.buying import mint

    account = Account.create()
    mint(client.get_contract(token_name), account.address, 100 * PRICE)
    return account


def x402_round(listing) -> tuple[float, int]:
    """(seconds from the first request to the served bytes, gas of the settlement)."""
    from django.test import Client
    from x402.http import decode_payment_required_header
    from x402.http.utils import encode_payment_signature_header
    from x402.mechanisms.evm.exact import ExactEvmScheme
    from x402.schemas import PaymentPayload

    from payments.models import RelayedPurchase

    agent = wallet("TestAuthToken")
    url = f"/api/v1/x402/listings/{listing.slug}/files/model.bin"
    browser = Client()
    started = time.perf_counter()
    asked = browser.get(url)
    if asked.status_code != 402:
        raise RuntimeError(f"expected 402, got {asked.status_code}: {asked.content[:300]!r}")
    (terms,) = decode_payment_required_header(asked["PAYMENT-REQUIRED"]).accepts
    inner = ExactEvmScheme(agent).create_payment_payload(terms)
    header = encode_payment_signature_header(PaymentPayload(payload=inner, accepted=terms))
    served = browser.get(url, HTTP_PAYMENT_SIGNATURE=header)
    size = sum(len(chunk) for chunk in served.streaming_content)
    elapsed = time.perf_counter() - started
    assert asked.status_code == 402 and served.status_code == 200 and size == len(CONTENT)
    return elapsed, RelayedPurchase.objects.filter(buyer=agent.address).get().gas_used


def gasless_round(listing, token_name: str) -> int:
    """Gas of one purchase through the gasless API (one signature, or permit + intent)."""
    from eth_account.messages import encode_typed_data
    from rest_framework.test import APIClient

    from payments.models import RelayedPurchase

    buyer = wallet(token_name)
    api = APIClient()
    base = f"/api/v1/listings/{listing.slug}/gasless"
    prepared = api.post(f"{base}/prepare", {"tier": 0, "buyer": buyer.address}, format="json")
    body = prepared.json()
    signatures = [
        buyer.sign_message(encode_typed_data(full_message=doc)).signature.to_0x_hex()
        for doc in body["sign"]
    ]
    sent = api.post(f"{base}/submit", {"intent": body["intent"], "signatures": signatures},
                    format="json")  # fmt: skip
    assert sent.status_code == 201, sent.json()
    return RelayedPurchase.objects.get(pk=sent.json()["relay"]).gas_used


def measure(rounds: int) -> dict:
    from payments.models import RelayedPurchase

    paid = listing_in("TestAuthToken", with_file=True)
    first = x402_round(paid)  # registers the listing: two transactions
    registering = RelayedPurchase.objects.get().gas_used
    latencies, x402_gas = [], []
    for _ in range(rounds):
        seconds, gas = x402_round(paid)
        latencies.append(seconds)
        x402_gas.append(gas)
    one_signature = listing_in("TestAuthToken", with_file=True)
    gasless_round(one_signature, "TestAuthToken")  # registers
    signed = [gasless_round(one_signature, "TestAuthToken") for _ in range(5)]
    permit_listing = listing_in("TestPermitToken", with_file=True)
    gasless_round(permit_listing, "TestPermitToken")
    permits = [gasless_round(permit_listing, "TestPermitToken") for _ in range(5)]
    return {
        "latencies": latencies,
        "first": first[0],
        "reg": registering,
        "x402": int(statistics.median(x402_gas)),
        "signed": int(statistics.median(signed)),
        "permit": int(statistics.median(permits)),
    }


def gas(result: dict, key: str) -> str:
    return f"{result[key]:,} gas"


def render(result: dict, rounds: int) -> str:

    latencies = result["latencies"]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    ms = lambda seconds: f"{seconds * 1000:,.0f} ms"  # noqa: E731
    rows = [
        ("402 → served (1 MiB file), median", ms(statistics.median(latencies))),
        ("402 → served, p95", ms(percentile(latencies, 95))),
        ("402 → served, a listing's first purchase (registers its offer)", ms(result["first"])),
        ("Relayer gas per x402 purchase (TransferWithAuthorization), median", gas(result, "x402")),
        (
            "Relayer gas per one-signature purchase (ReceiveWithAuthorization)",
            gas(result, "signed"),
        ),
        ("Relayer gas per permit + signed intent purchase", gas(result, "permit")),
        ("Relayer gas of a first purchase (register + buy: two transactions)", gas(result, "reg")),
    ]
    table = "\n".join(f"| {label} | {value} |" for label, value in rows)
    return f"""## Agent payments: x402 and gasless purchases (`bench/agent_payments.py`)

Measured on {stamp}; {machine()}; SQLite, DEBUG off, Django's test client in process (no
network hop), anvil on loopback mining each transaction at once (on a real chain add about one
block time to every settlement). {rounds} rounds, each a fresh wallet with only tUSDC and no ETH.

| Figure | Value |
| --- | --- |
{table}

The 402 → served time covers both requests: the 402 (reading the tier from the chain), the
client's signature, and the paid request (verify, estimate, relay, wait for the receipt, serve
the bytes). A purchase through the Checkout costs more than a direct ERC-20 purchase: the
authorization's signature check, the pull into the Checkout and its approval of the Marketplace
come on top; the buyer pays none of it."""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = setup_django(Path(tmp))
        from django.conf import settings

        settings.ARTIFACT_ROOT = Path(tmp) / "store"
        settings.UPLOAD_DIR = Path(tmp) / "store" / ".uploads"
        settings.ALLOWED_HOSTS = ["*"]
        settings.SECURE_SSL_REDIRECT = False  # the test client speaks plain HTTP
        settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "gasless": None}
        node = start_chain(env["port"])
        try:
            result = measure(args.rounds)
        finally:
            node.stop()
    print("latencies (ms):", sorted(round(x * 1000) for x in result["latencies"]))
    section = render(result, args.rounds)
    print(section)
    if not args.no_doc:
        write_section("x402", section)
        print(f"\nwrote {ROOT / 'docs' / 'performance.md'}")


if __name__ == "__main__":
    main()
