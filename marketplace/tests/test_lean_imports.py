"""The web process loads only what a request path needs: web3 (~30 MiB with aiohttp and
websockets), eth_account and eth_abi (~20 MiB), eth-utils with pydantic (~15 MiB), SIWE, the
Markdown renderer and the x402 package come on first use (the MCP server is a process of its
own), so a process that serves pages, the API and uploads stays under its memory target
(bench/upload_memory.py measures it). Checked after the first requests of the common pages, in
a process of its own, as the web server is after start-up."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

HEAVY = ("web3", "eth_account", "eth_abi", "eth_utils", "pydantic", "siwe", "aiohttp",
         "markdown_it", "x402", "mcp")  # fmt: skip

# Run in a separate process first: test factories and migrations may import anything.
PREPARE = """
import django

django.setup()
from django.core.management import call_command

call_command("migrate", verbosity=0)
from listings import services
from listings.tests import factories

listing = factories.complete_listing(title="Lean model")
services.listing_submit(listing=listing, actor=listing.creator)
services.listing_set_status(listing=listing, to_status="published", actor=None)
print(listing.slug)
"""

CHECK = """
import sys

import django

django.setup()
from django.test import Client
from django.urls import get_resolver

get_resolver().url_patterns  # every view module, as the first request loads them
heavy = sys.argv[2].split(",")
print("start:" + ",".join(sorted(m for m in heavy if m in sys.modules)))
slug = sys.argv[1]
# The listing's page shows the platform fee: read from the row the indexer keeps, never from
# the contract (a chain call would load web3).
pages = ["/", "/listings/", "/listings/?q=lean", f"/listings/{slug}/", "/api/v1/listings/",
         f"/api/v1/listings/{slug}", "/api/v1/listings/?q=lean", "/api/v1/artifacts/uploads/"]
client = Client()
for page in pages:
    status = client.get(page).status_code
    assert status in (200, 403), (page, status)  # uploads: 403 before signing in
print("served:" + ",".join(sorted(m for m in heavy if m in sys.modules)))
"""


def run(code: str, env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_serving_the_common_pages_loads_no_chain_library(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings",
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "ERROR",
    }
    slug = run(PREPARE, env).splitlines()[-1]
    at_start, after_requests = run(CHECK, env, slug, ",".join(HEAVY)).splitlines()
    assert at_start == "start:"  # none of them loaded
    assert after_requests == "served:markdown_it"  # the listing's card, in its API reply
