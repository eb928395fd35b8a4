"""Peak memory of the web server while a 2 GB file is uploaded through the resumable upload API
(the same requests the browser's upload.js makes: 8 MiB chunks, each with Upload-Checksum).

    .venv/bin/python bench/upload_memory.py [--size BYTES] [--chunk BYTES]

Starts `manage.py runserver --noreload` in a subprocess against a temporary VAR_DIR (SQLite,
local artifact store), signs in with an API token, streams the chunks with requests, and samples
the server's RSS from /proc while it runs (VmHWM gives the exact peak). The server must stay flat:
chunks are streamed to disk in 1 MiB pieces, never held whole. Prints the figures and writes the
`upload` section of docs/performance.md."""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from perfdoc import write_section  # noqa: E402
from server import BenchServer, local_env  # noqa: E402

MB = 1000**2
MiB = 1024**2
CREATE_TOKEN = """
from rest_framework.authtoken.models import Token
from accounts.models import User
user = User.objects.create_user(address="0x" + "be" * 20)
print(Token.objects.create(user=user).key)
"""


def proc_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


class RssSampler(threading.Thread):
    def __init__(self, pid: int, every: float = 0.05):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.samples: list[int] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append(proc_kib(self.pid, "VmRSS"))
            time.sleep(self.every)


def upload(url: str, token: str, *, size: int, chunk: int, pid: int) -> dict:
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    created = session.post(
        url + "/api/v1/artifacts/uploads/", json={"filename": "big.safetensors", "size": size}
    )
    created.raise_for_status()
    urls = {name: url + path for name, path in created.json()["urls"].items()}
    block = os.urandom(chunk)
    sha = hashlib.sha256()
    started = time.perf_counter()
    for offset in range(0, size, chunk):
        # Vary each chunk cheaply so the file is not one block repeated (a fair CID to compute).
        data = offset.to_bytes(8, "big") + block[8 : min(chunk, size - offset)]
        sha.update(data)
        digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
        response = session.patch(
            urls["chunk"],
            data=data,
            headers={
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": str(offset),
                "Upload-Checksum": f"sha256 {digest}",
            },
        )
        response.raise_for_status()
    sent = time.perf_counter() - started
    streaming_peak = proc_kib(pid, "VmHWM")  # every chunk in, before `finish`
    finished = session.post(urls["finish"], json={"sha256": sha.hexdigest()})
    finished.raise_for_status()
    finish_s = time.perf_counter() - started - sent
    return {
        "send_s": sent,
        "finish_s": finish_s,
        "streaming_peak": streaming_peak,
        **finished.json(),
    }


def report(
    *,
    size: int,
    chunk: int,
    baseline: int,
    samples: list[int],
    peak: int,
    result: dict,
    broker: str,
):
    streaming = result["streaming_peak"]
    growth = streaming - baseline
    flat = "Flat" if growth < 20 * 1024 else "Not flat"
    return f"""## Server memory during a {size / 1e9:.1f} GB upload (`bench/upload_memory.py`)

`manage.py runserver` (DEBUG off, SQLite, local store) receiving {size / MB:.0f} MB in
{chunk // MiB} MiB chunks through the upload API, each with `Upload-Checksum`, then `finish`
with the whole file's sha256. RSS sampled every 50 ms from /proc; the peak is the kernel's VmHWM.

| What | Figure |
|---|---|
| RSS after start-up and a first request | {baseline / 1024:.1f} MiB |
| RSS, median while uploading | {sorted(samples)[len(samples) // 2] / 1024:.1f} MiB |
| Peak RSS while the chunks arrive (VmHWM before `finish`) | {streaming / 1024:.1f} MiB \
(+{growth / 1024:.1f} MiB) |
| **Peak RSS (VmHWM)**, `finish` included | **{peak / 1024:.1f} MiB** \
(+{(peak - baseline) / 1024:.1f} MiB) |
| Upload throughput (loopback, client hashing included) | {size / MB / result["send_s"]:.0f} MB/s |
| `finish` (CID from saved leaves + rename into the store) | {result["finish_s"] * 1000:.0f} ms |

{flat}: receiving the file adds {growth / 1024:.1f} MiB to the server (target: flat, under 100 MB).
Celery broker: {broker}; the peak comes at `finish`, whose scan task is the process's first
message: it loads the broker's client (kombu's messaging; for Redis, redis-py too).
The idle figure is what a request path needs: web3, eth_account, eth_abi, eth-utils (with
pydantic), SIWE and the Markdown renderer load on their first use, not at start-up
(`marketplace/tests/test_lean_imports.py`); the rest is Django, DRF (which imports requests and
psycopg), Celery's client and the database driver. Stored as
`{result["artifact"]["cid"]}`.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=2 * 1000**3)
    parser.add_argument("--chunk", type=int, default=8 * MiB)
    parser.add_argument("--no-doc", action="store_true", help="do not touch docs/performance.md")
    parser.add_argument(
        "--broker",
        default="",
        help="CELERY_BROKER_URL for the server (default: the embedded SQLite broker of `make run`; "
        "production uses Redis, whose client is lighter)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        extra = {"CELERY_BROKER_URL": args.broker} if args.broker else {}
        server = BenchServer(local_env(Path(tmp), **extra), kind="runserver").start()
        try:
            token = server.manage("shell", "-c", CREATE_TOKEN).strip().splitlines()[-1]
            requests.get(server.url + "/api/v1/artifacts/uploads/", timeout=5)
            baseline = proc_kib(server.process.pid, "VmRSS")
            sampler = RssSampler(server.process.pid)
            sampler.start()
            result = upload(
                server.url, token, size=args.size, chunk=args.chunk, pid=server.process.pid
            )
            sampler.stop.set()
            sampler.join()
            peak = proc_kib(server.process.pid, "VmHWM")
        finally:
            server.stop()
    text = report(
        size=args.size,
        chunk=args.chunk,
        baseline=baseline,
        samples=sampler.samples,
        peak=peak,
        result=result,
        broker=args.broker.split("://")[0] + " (`--broker`)"
        if args.broker
        else "the embedded SQLite one of `make run` (`sqlite:///`, marketplace/broker.py)",
    )
    print(text)
    if not args.no_doc:
        write_section("upload", text)


if __name__ == "__main__":
    main()
