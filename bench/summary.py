"""The summary table at the head of docs/performance.md: every figure the issues ask for, read
back from the section its benchmark wrote, beside its target. A figure whose benchmark did not
run cleanly in this `make bench` run is shown as "not measured" or marked stale."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from perfdoc import read_section

NUM = r"([\d,]+(?:\.\d+)?)"


@dataclass
class Figure:
    label: str
    bench: str  # the script (and section) it comes from
    pattern: str  # a regex over that section; group 1 is the figure
    unit: str = ""
    target: str = ""  # as the issue states it
    ok: object = None  # value -> bool, or None when the issue sets no target
    section: str = ""  # when the section's name differs from the script's

    def value(self) -> float | None:
        text = read_section(self.section or self.bench)
        found = re.search(self.pattern, text or "", re.S)
        return float(found.group(1).replace(",", "")) if found else None


def _row_cell(label: str, column: int) -> str:
    """A table row starting with `label`: the pattern for its `column`-th value cell."""
    return re.escape(f"| {label} |") + r"(?:[^|\n]*\|){" + str(column - 1) + r"}\s*\**" + NUM


FIGURES = [
    Figure("Gas: later ETH purchase, 3 recipients + fee, buyer new to the tier", "gas",
           _row_cell("Later purchase, ETH, buyer new to the tier (`purchaseLicense`, as the site)",
                     2), " gas", "≤ 96,000 (issue 14)", lambda v: v <= 96_000),
    Figure("Gas: the same, buyer already holding the tier", "gas",
           _row_cell("Later purchase, ETH, buyer already holding the tier", 2), " gas",
           "≤ 80,000 (issue 14)", lambda v: v <= 80_000),
    Figure("Gas: first purchase (registers the offer), 3 recipients", "gas",
           _row_cell("First purchase, ETH (registers the signed offer: lazy listing)", 2),
           " gas", "≤ 260,000 (issue 14)", lambda v: v <= 260_000),
    Figure("CID + sha256 throughput / `openssl dgst -sha256`", "cid",
           r"Ratio to openssl: " + NUM, "×", "≥ 0.8 (issue 4)", lambda v: v >= 0.8),
    Figure("Upload server memory, 2 GB upload: growth", "upload_memory",
           r"\(\+" + NUM + r" MiB\)", " MiB", "flat (issue 4)", lambda v: v < 16,
           section="upload"),
    Figure("Upload server memory, 2 GB upload: peak RSS", "upload_memory",
           r"Peak RSS \(VmHWM\)\*\*, `finish` included \| \*\*" + NUM, " MiB",
           "< 100 MiB (issues 4, 20)", lambda v: v < 100, section="upload"),
    Figure("Web process RSS at rest (after a first request)", "upload_memory",
           _row_cell("RSS after start-up and a first request", 1), " MiB",
           "< 100 MiB (issue 20)", lambda v: v < 100, section="upload"),
    Figure("Search p95 at 100k listings (one client)", "search",
           r"latency p95 \(one client\) \| " + NUM, " ms", "< 100 ms (issue 4)",
           lambda v: v < 100),
    Figure("Search p95 at 1M listings (one client)", "search",
           r"latency p95 \(one client\) \| " + NUM, " ms", "< 150 ms (issue 20)",
           lambda v: v < 150, section="search-1000k"),
    Figure("Indexer throughput / bare `eth_getLogs` + eth_abi decode", "indexer",
           r"median of rounds \(target ≥ 0\.6\) \| \*\*" + NUM, "×", "≥ 0.6 (issue 20)",
           lambda v: v >= 0.6),
    Figure("Indexer throughput / bare `eth_getLogs` + the indexer's own decoding", "indexer",
           r"indexer's own decoding \(stricter\) \| " + NUM, "×", "none set (stricter)"),
    Figure("Indexer floor on this workload: read + headers + its rows inserted bare", "indexer",
           r"\| \*\*" + NUM + r"\*\* × the bare read \|", "×",
           "none set (the most any indexer storing these rows reaches)"),
    Figure("Ledger: a payee's totals at 100k sales, now / a row per payee", "ledger",
           _row_cell("The fee recipient's totals (the credited balance page)", 3), "×",
           "none set (issue 20: no figure worse)", lambda v: v <= 1.1),
    Figure("Ledger: the payouts CSV at 100k sales, now / a row per payee", "ledger",
           _row_cell("The listing's payouts CSV (every row, in time order)", 3), "×",
           "none set (issue 20: no figure worse)", lambda v: v <= 1.1),
    Figure("Purchase mined → usable entitlement, p95", "indexer",
           r"p95 \(target < 2 s\) \| \*\*" + NUM + " ms", " ms", "< 2 s (issue 5)",
           lambda v: v < 2000),
    Figure("Download throughput / reading the file (cold)", "download",
           re.escape("| Cold (from the disk) |") + r"[^|]*\|[^|]*\| \*\*" + NUM, "×",
           "none set (issue 5)"),
    Figure("Sandbox overhead (same algorithm, sandbox / bare)", "compute",
           r"(?i)overhead[^\n]*?\*\*" + NUM + r"\**", "×", "≤ 1.05 (issue 7)",
           lambda v: v <= 1.05),
    Figure("Submit → running on an idle host", "compute",
           r"(?i)submit[^\n]*?running[^\n]*?\*\*" + NUM + r" ms\**", " ms",
           "< 2 s (issue 7)", lambda v: v < 2000),
    Figure("API requests/s, 50 clients (listings API)", "load",
           _row_cell("API: listing pages and details", 1), " req/s"),
    Figure("API requests/s / trivial endpoint, 50 clients (listings API)", "load",
           _row_cell("API: listing pages and details", 2), "×", "≥ 0.35 (issue 20)",
           lambda v: v >= 0.35),
    Figure("Search API requests/s / trivial endpoint, 50 clients", "load",
           _row_cell("API: 10 searches (full text, filters, sorts)", 2), "×",
           "≥ 0.2 (issue 20)", lambda v: v >= 0.2),
    Figure("The same, no page cache (every reply rendered): listings API", "load",
           _row_cell("API: listing pages and details, no page cache", 2), "×"),
    Figure("The same, no page cache: search API", "load",
           _row_cell("API: 10 searches, no page cache", 2), "×"),
    Figure("x402: 402 → served (1 MiB file, in process, anvil), median", "agent_payments",
           _row_cell("402 → served (1 MiB file), median", 1), " ms", "none set (issue 18)",
           section="x402"),
    Figure("Relayer gas per x402 purchase", "agent_payments",
           _row_cell("Relayer gas per x402 purchase (TransferWithAuthorization), median", 1),
           " gas", "none set (issue 18)", section="x402"),
]  # fmt: skip

LOAD_MIXES = [
    ("Browse (HTML pages)", "HTML: browse pages and listing pages"),
    ("Search (API)", "API: 10 searches (full text, filters, sorts)"),
    ("Download (licensed, via nginx)", "Download, 1 MiB, licence checked (X-Accel-Redirect)"),
]
P95_TARGETS = {"Browse (HTML pages)": 200, "Search (API)": 300}  # issue 20
for _name, _row in LOAD_MIXES:
    _limit = P95_TARGETS.get(_name)
    FIGURES.append(Figure(f"Load test p95: {_name}, 50 clients", "load", _row_cell(_row, 4),
                          " ms", f"< {_limit} ms (issue 20)" if _limit else "none set (issue 10)",
                          (lambda v, limit=_limit: v < limit) if _limit else None))  # fmt: skip
    FIGURES.append(Figure(f"Load test errors: {_name}", "load",
                          re.escape(f"| {_row} |") + r"[^\n]*\(" + NUM + r" %\) \|", " %",
                          "0 % (no error under load)", lambda v: v == 0))  # fmt: skip


def _cell(figure: Figure, results: dict) -> tuple[str, str]:
    """(value, verdict) for one figure."""
    run = results.get(figure.bench)
    value = figure.value()
    if run is None and value is None:
        return "not measured", f"no `bench/{figure.bench}.py` in this run"
    if value is None:
        return "not measured", f"`bench/{figure.bench}.py` {run['status'] if run else '?'}"
    shown = f"{value:,.2f}".rstrip("0").rstrip(".") if value < 100 else f"{value:,.0f}"
    shown += figure.unit
    if run is None or run["status"] != "ok":
        why = run["status"] if run else "not run"
        return f"{shown} (stale: from an earlier run)", f"`bench/{figure.bench}.py` {why}"
    if figure.ok is None:
        return shown, ""
    return shown, "met" if figure.ok(value) else "**missed** (see its section)"


def render_summary(results: dict, started_at: datetime, *, busy: bool = False) -> str:
    rows = []
    for figure in FIGURES:
        value, verdict = _cell(figure, results)
        rows.append(f"| {figure.label} | {value} | {figure.target or '—'} | {verdict} |")
    runs = ", ".join(
        f"`{name}` {r['status']} ({r['seconds']:.0f} s, {r.get('at', '?')})"
        for name, r in results.items()
    )
    missed = [f.label for f in FIGURES if f.ok and (v := f.value()) is not None and not f.ok(v)]
    notes = (
        "Short of target: " + "; ".join(missed) + ". Each section below says why."
        if missed
        else "Every figure with a target meets it."
    )
    if missed and busy:
        notes += (
            " The machine was busy during this run (see above): a throughput ratio or latency"
            " that misses may be contention rather than the code; rerun `make bench` on a quiet"
            " machine before acting on it."
        )
    table = "\n".join(rows)
    return f"""## Summary ({started_at:%Y-%m-%d %H:%M} UTC run)

| Figure | Value | Target | |
|---|---|---|---|
{table}

{notes}

Scripts in this run: {runs}."""
