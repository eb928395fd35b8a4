"""Download throughput of a licensed file through the real server, against reading the same
file from disk.

    .venv/bin/python bench/download.py [--size BYTES] [--rounds N] [--no-doc]

Starts gunicorn as in production (DEBUG off, SQLite, local store, no X-Accel-Redirect)
against a temporary VAR_DIR, stores a file of --size bytes (default 1 GiB) as a published
listing's version, gives a buyer an entitlement and an API token, asks the downloads API for
the signed URL, then GETs it with http.client (1 MiB reads into one buffer, bytes counted,
nothing kept), whole and its second half by Range. The baseline reads the stored file with
1 MiB reads. Cold rounds first drop the file's pages from the page cache (posix_fadvise, this
file only), warm rounds read it from there; best of --rounds. Prints the figures and writes the
`download` section of docs/performance.md."""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from perfdoc import write_section  # noqa: E402
from server import BenchServer, local_env  # noqa: E402

MB = 1000**2
MiB = 1024**2
READ = MiB
SETUP = """
import os
from rest_framework.authtoken.models import Token
from accounts.models import User
from artifacts.services import artifact_create_from_file, artifact_scan_run
from chain import typed_data
from listings import services
from listings.models import Listing
from payments.models import Entitlement
from pathlib import Path

creator = User.objects.create_user("0x" + "c0" * 20)
buyer = User.objects.create_user("0x" + "b0" * 20)
listing = services.listing_create(creator=creator, kind="model", title="Bench", summary="",
                                  card="", license_terms=None)
artifact = artifact_create_from_file(path=Path(os.environ["BENCH_FILE"]), move=True)
services.version_create(listing=listing, actor=creator, tag="v1",
                        files=[("weights.raw", artifact)])
artifact_scan_run(artifact_id=artifact.pk, as_pickle=False)  # only files scanned clean are served
services.listing_set_tiers(listing=listing, actor=creator,
                           tiers=[services.TierSpec(name="Download", price_wei=1)])
tier = listing.tiers.get()
Listing.objects.filter(pk=listing.pk).update(status="published")
Entitlement.objects.create(holder=buyer.address, listing=listing, tier=tier, kind="download",
    token_id=typed_data.token_id(listing.onchain_id, 0), balance=1)
print(listing.slug, Token.objects.create(user=buyer).key, artifact.cid)
"""


def make_file(path: Path, size: int) -> None:
    """Incompressible bytes, written in 8 MiB pieces (never the whole file in memory)."""
    block = os.urandom(8 * MiB)
    with open(path, "wb") as out:
        for offset in range(0, size, len(block)):
            piece = block[: min(len(block), size - offset)]
            if len(piece) > 8:  # vary each piece: not one block repeated
                piece = offset.to_bytes(8, "big") + piece[8:]
            out.write(piece)


def evict(path: Path) -> None:
    """Drop this one file's pages from the page cache (no root needed, nothing else touched)."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
        os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def read_disk(path: Path) -> tuple[int, float]:
    started = time.perf_counter()
    total = 0
    with open(path, "rb", buffering=0) as handle:
        while chunk := handle.read(READ):
            total += len(chunk)
    return total, time.perf_counter() - started


def fetch(url: str, headers: dict | None = None) -> tuple[int, float, int]:
    """GET with http.client, reading into one reused buffer: a client lean enough that the
    server, not the client, sets the pace (requests' iter_content costs about as much)."""
    parts = urlsplit(url)
    buffer = memoryview(bytearray(READ))
    started = time.perf_counter()
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    try:
        connection.request("GET", parts.path, headers=headers or {})
        response = connection.getresponse()
        if response.status not in (200, 206):
            raise RuntimeError(f"GET {url}: {response.status} {response.read()[:300]!r}")
        total = 0
        while count := response.readinto(buffer):
            total += count
    finally:
        connection.close()
    return total, time.perf_counter() - started, response.status


def signed_url(server: BenchServer, slug: str, token: str) -> str:
    reply = requests.get(
        f"{server.url}/api/v1/listings/{slug}/downloads",
        headers={"Authorization": f"Token {token}"},
        timeout=30,
    )
    reply.raise_for_status()
    return reply.json()[0]["url"]


def best(runs: list[tuple]) -> tuple:
    return min(runs, key=lambda run: run[1])


def report(*, size: int, rounds: int, cid: str, **mbps: float) -> str:
    cpu = platform.processor() or platform.machine()
    cold, warm = mbps["cold"] / mbps["cold_disk"], mbps["full"] / mbps["disk"]
    return f"""## Download throughput (`bench/download.py`)

A {size / MB:,.0f} MB file (incompressible) stored locally as a published listing's
version, downloaded by a licence holder through gunicorn (2 sync workers, DEBUG off, SQLite,
`DOWNLOADS_ACCEL_REDIRECT=false`: Django returns a FileResponse, which gunicorn sends with
`os.sendfile()`) over
loopback, read by a lean http.client loop, against reading the stored file with 1 MiB
`read()`s. Cold: the file's pages dropped from the page cache first (`posix_fadvise
DONTNEED`); warm: served from it. Best of {rounds}; {os.cpu_count()} CPU cores ({cpu})
shared by client and server. The signed URL comes from the downloads API first (not timed).

| What | Disk read, MB/s | Download, MB/s | Ratio |
|---|---|---|---|
| Cold (from the disk) | {mbps["cold_disk"]:,.0f} | {mbps["cold"]:,.0f} | **{cold:.2f}** |
| Warm (page cache) | {mbps["disk"]:,.0f} | {mbps["full"]:,.0f} | {warm:.2f} |
| Warm, second half by `Range` → `206` | | {mbps["half"]:,.0f} | |

**From the disk, a download runs at {cold:.2f} × the speed of reading the file.** Warm, the
baseline is memory copies at tens of GB/s, so that ratio prices a loopback socket and an HTTP
client against a `read()`; the download still runs at GB/s, above any network link.
gunicorn sends the FileResponse through `wsgi.file_wrapper` with `os.sendfile()` (the Range
slice keeps its `fileno()` for that); in production nginx sends the bytes itself
(`DOWNLOADS_ACCEL_REDIRECT=true`, docs/downloads.md): Django then only checks the licence.
Stored as `{cid}`.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1024**3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-doc", action="store_true", help="do not touch docs/performance.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-download-") as tmp:
        server = BenchServer(local_env(Path(tmp), DOWNLOADS_ACCEL_REDIRECT="false"))
        source = Path(tmp) / "model.safetensors"
        make_file(source, args.size)
        server.start()
        try:
            setup = server.manage("shell", "-c", SETUP, BENCH_FILE=str(source))
            slug, token, cid = setup.split()[-3:]
            stored = next((Path(tmp) / "artifacts").glob(f"*/{cid}"))
            url = signed_url(server, slug, token)
            cold_disk_runs, cold_runs = [], []
            for _ in range(args.rounds):
                evict(stored)
                cold_disk_runs.append(read_disk(stored))
                evict(stored)
                cold_runs.append(fetch(url))
            disk_runs = [read_disk(stored) for _ in range(args.rounds)]
            full_runs = [fetch(url) for _ in range(args.rounds)]
            half = args.size // 2
            half_runs = [fetch(url, {"Range": f"bytes={half}-"}) for _ in range(args.rounds)]
        finally:
            server.stop()
    assert all(run[0] == args.size for run in disk_runs + full_runs + cold_disk_runs + cold_runs)
    assert all(run[0] == args.size - half and run[2] == 206 for run in half_runs)
    text = report(
        size=args.size,
        rounds=args.rounds,
        disk=args.size / MB / best(disk_runs)[1],
        full=args.size / MB / best(full_runs)[1],
        half=(args.size - half) / MB / best(half_runs)[1],
        cold_disk=args.size / MB / best(cold_disk_runs)[1],
        cold=args.size / MB / best(cold_runs)[1],
        cid=cid,
    )
    print(text)
    if not args.no_doc:
        write_section("download", text)


if __name__ == "__main__":
    main()
