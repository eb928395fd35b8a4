"""The creator dashboard against the chain: after real purchases on anvil and the indexer, every
figure (revenue per tier and currency, sales, what each recipient received) equals the sums
computed from the contract's own events, to the wei; the contributor's view; the API's JSON;
the CSV exports; the credited balance and its withdrawal."""

import csv
import io

import pytest
from django.test import Client

from accounts.models import User
from chain import client
from payments.dashboard import figures, payouts
from payments.models import Payout
from payments.tests.buying import send_step
from payments.tests.dashboard_helpers import ETH, chain_sums, sell
from payments.tests.indexing import index

pytestmark = [pytest.mark.django_db, pytest.mark.chain]


@pytest.fixture
def sales(contracts, w3):
    found = sell()
    index()
    return found


def signed_in(address: str) -> Client:
    browser = Client()
    browser.force_login(User.objects.get(address=address))
    return browser


def test_dashboard_figures_equal_the_chain_events_to_the_wei(sales):
    creator = User.objects.get(address=sales.creator.address)
    sums = chain_sums(sales.listing)
    data = figures.dashboard_for_user(user=creator)

    assert data["sales_count"] == sums["sales"] == 3
    assert {
        (row["tier_index"], row["currency"]): row["revenue_wei"] for row in data["revenue"]
    } == sums["revenue"]
    assert data["revenue_totals"] == sums["totals"]
    assert set(data["revenue_totals"]) == {ETH, sales.token.address}
    got = {}
    for row in data["recipients"]:
        for kind, name in (("paid_wei", "Paid"), ("credited_wei", "Credited")):
            if row[kind]:
                got[(row["account"], row["currency"], name)] = row[kind]
    assert got == sums["received"]
    # The contributor refused ETH (credited) and took the token (paid).
    assert (sales.contributor.address, ETH, "Credited") in got
    assert (sales.contributor.address, sales.token.address, "Paid") in got
    assert data["licences"]["outstanding_tokens"] == 1 + 3 + 2


def test_the_api_gives_the_same_figures_as_strings(sales):
    sums = chain_sums(sales.listing)
    reply = signed_in(sales.creator.address).get("/api/v1/dashboard/?period=weekly")
    assert reply.status_code == 200, reply.content
    body = reply.json()
    assert body["period"] == "weekly"
    assert {t["currency"]: int(t["wei"]) for t in body["revenue_totals"]} == sums["totals"]
    chart = {c["currency"]["address"]: c for c in body["chart"]}
    assert sum(int(w) for w in chart[ETH]["series"][0]["wei"]) == sums["totals"][ETH]
    assert chart[sales.token.address]["currency"]["symbol"] == "DASH"

    listing = signed_in(sales.creator.address).get(
        f"/api/v1/dashboard/listings/{sales.listing.slug}"
    )
    assert listing.status_code == 200
    assert [row["tier_name"] for row in listing.json()["revenue"]] == ["Download", "Token download"]
    stranger = User.objects.create_user("0x" + "22" * 20)
    other = Client()
    other.force_login(stranger)
    refused = other.get(f"/api/v1/dashboard/listings/{sales.listing.slug}")
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "not_found"


def test_contributor_view_and_credited_balance_then_withdraw(sales):
    who = sales.contributor.address
    User.objects.get_or_create(address=who)
    view = figures.contributor_received(address=who)
    sums = chain_sums(sales.listing)
    assert {(r["currency"]): r["received_wei"] for r in view} == {
        ETH: sums["received"][(who, ETH, "Credited")],
        sales.token.address: sums["received"][(who, sales.token.address, "Paid")],
    }

    (eth,) = [b for b in payouts.credited_balances(account=who) if b["currency"]["symbol"] == "ETH"]
    credited = sums["received"][(who, ETH, "Credited")]
    assert eth["onchain_wei"] == eth["ledger_wei"] == credited > 0 and eth["agrees"]

    prepared = payouts.withdraw_prepare(account=who, currency=ETH)
    assert int(prepared["amount_wei"]) == credited
    before = client.get_web3().eth.get_balance(who)
    receipt = send_step(prepared["transaction"], sales.contributor)
    assert receipt.status == 1
    gas = receipt.gasUsed * receipt.effectiveGasPrice
    assert client.get_web3().eth.get_balance(who) == before + credited - gas
    index()
    (eth,) = [b for b in payouts.credited_balances(account=who) if b["currency"]["symbol"] == "ETH"]
    assert eth["onchain_wei"] == eth["ledger_wei"] == 0
    assert eth["withdrawn_wei"] == credited
    assert (
        Payout.objects.get(kind="withdrawn", account=who).tx_hash
        == receipt.transactionHash.to_0x_hex()
    )


def test_withdraw_refusals(sales):
    browser = signed_in(sales.creator.address)
    nothing = browser.post(
        "/api/v1/dashboard/withdraw/prepare", {"currency": ETH}, content_type="application/json"
    )
    assert nothing.status_code == 409
    assert nothing.json()["error"]["code"] == "nothing_to_withdraw"
    bad = browser.post(
        "/api/v1/dashboard/withdraw/prepare", {"currency": "0x12"}, content_type="application/json"
    )
    assert bad.status_code == 400
    assert "currency" in bad.json()["error"]["fields"]
    assert Client().get("/api/v1/dashboard/balances").status_code in (401, 403)


def test_csv_exports_have_exact_amounts_and_tx_hashes(sales):
    browser = signed_in(sales.creator.address)
    reply = browser.get("/dashboard/export/sales.csv")
    assert reply.status_code == 200
    assert reply["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(reply.streaming_content).decode())))
    hashes = {r.transactionHash.to_0x_hex() for r in sales.receipts}
    assert {row["tx_hash"] for row in rows} == hashes
    assert (
        sum(int(row["amount_wei"]) for row in rows if row["currency"] == "ETH")
        == chain_sums(sales.listing)["totals"][ETH]
    )
    eth_row = next(row for row in rows if row["quantity"] == "3")
    assert eth_row["amount"] == "0.030000000000000021"  # 3 × (10**16 + 7) wei, exact
    assert int(eth_row["block"]) > 0

    api = browser.get("/api/v1/dashboard/export/payouts.csv")
    assert api.status_code == 200
    payout_rows = list(csv.DictReader(io.StringIO(b"".join(api.streaming_content).decode())))
    assert {row["kind"] for row in payout_rows} == {"paid", "credited"}
    assert browser.get("/api/v1/dashboard/export/other.csv").status_code == 404


def test_pages_render_for_creator_and_refuse_strangers(sales):
    browser = signed_in(sales.creator.address)
    page = browser.get("/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-wei="{chain_sums(sales.listing)["totals"][ETH]}"' in html
    assert browser.get(f"/dashboard/listings/{sales.listing.slug}/").status_code == 200
    stranger = User.objects.create_user("0x" + "11" * 20)
    other = Client()
    other.force_login(stranger)
    assert other.get(f"/dashboard/listings/{sales.listing.slug}/").status_code == 404
    assert other.get("/dashboard/").status_code == 200
    assert Client().get("/dashboard/").status_code == 302  # to sign-in
