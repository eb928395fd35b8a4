"""The dashboard's figures as JSON (API responses and the chart's json_script): amounts as
decimal strings (a browser's JSON would round wei past 2^53) with their currency's symbol and
decimals, listings by slug and title, dates as ISO strings."""

from datetime import UTC, date, datetime

from listings.models import Listing
from payments.currencies import currency_info, units
from payments.models import Entitlement


def _listing(listing: Listing) -> dict:
    return {"slug": listing.slug, "title": listing.title, "listing_id": str(listing.onchain_id)}


def money(amount: int, currency: str) -> dict:
    info = currency_info(currency)
    return {"wei": str(int(amount)), "units": units(int(amount), info["decimals"]),
            "symbol": info["symbol"], "currency": info["address"]}  # fmt: skip


def _row(row: dict) -> dict:
    out = {}
    for key, value in row.items():
        if key == "listing":
            out[key] = _listing(value)
        elif key.endswith("_wei"):
            out[key.removesuffix("_wei")] = money(value, row["currency"])
        elif key != "currency":
            out[key] = value
    out["currency"] = currency_info(row["currency"])
    return out


def _totals(totals: dict[str, int]) -> list[dict]:
    return [money(amount, currency) for currency, amount in sorted(totals.items())]


def _entitlement(e: Entitlement) -> dict:
    return {"listing": _listing(e.listing), "tier": e.tier.name, "holder": e.holder,
            "balance": e.balance, "expires_at": e.expires_at}  # fmt: skip


def _day(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def chart_json(series: dict) -> list[dict]:
    """One chart per currency: x as unix seconds, y per series in wei strings and, for drawing
    only, in the currency's units as floats."""
    charts = []
    for currency, chart in sorted(series.items()):
        info = currency_info(currency)
        scale = 10 ** (info["decimals"] or 0)
        charts.append(
            {
                "currency": info,
                "x": [_day(b) for b in chart["buckets"]],
                "series": [
                    {
                        "label": s["label"],
                        "wei": [str(v) for v in s["values_wei"]],
                        "y": [v / scale for v in s["values_wei"]],
                    }  # floats: drawing only
                    for s in chart["series"]
                ],  # fmt: skip
            }
        )
    return charts


def licences_json(licences: dict) -> dict:
    return {
        "outstanding_holders": licences["outstanding_holders"],
        "outstanding_tokens": licences["outstanding_tokens"],
        "expiring_days": licences["expiring_days"],
        "expiring": [_entitlement(e) for e in licences["expiring"]],
    }


def dashboard_json(data: dict) -> dict:
    out = {
        "period": data["period"],
        "sales_count": data["sales_count"],
        "revenue_totals": _totals(data["revenue_totals"]),
        "revenue": [_row(r) for r in data["revenue"]],
        "chart": chart_json(data["series"]),
        "recipients": [_row(r) for r in data["recipients"]],
        "licences": licences_json(data["licences"]),
    }
    if "listing" in data:
        out["listing"] = _listing(data["listing"])
    if "former_listings" in data:
        out["listings"] = [_listing(listing) for listing in data["listings"]]
        # Held before, handed over since: read-only, with the sales of their holding periods.
        out["former_listings"] = [_listing(listing) for listing in data["former_listings"]]
    if "contributor" in data:
        out["contributor"] = [_row(r) for r in data["contributor"]]
        out["contributor_totals"] = _totals(data["contributor_totals"])
    return out


def balance_json(row: dict) -> dict:
    currency = row["currency"]["address"]
    return {
        "currency": row["currency"],
        "onchain": money(row["onchain_wei"], currency),
        "ledger": money(row["ledger_wei"], currency),
        "credited": money(row["credited_wei"], currency),
        "withdrawn": money(row["withdrawn_wei"], currency),
        "agrees": row["agrees"],
        "block": row["block"],
    }
