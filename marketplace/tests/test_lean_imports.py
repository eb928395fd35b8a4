"""The web process loads only what a request path needs: web3 (~30 MiB with aiohttp and
websockets), SIWE, the Markdown renderer and the x402 package come on first use (the MCP
server is a process of its own), so a process that serves pages, the API and uploads stays
under its memory target (bench/upload_memory.py measures it)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

CHECK = """
import sys
import django
from django.conf import settings

django.setup()
from django.urls import get_resolver

get_resolver().url_patterns  # every view module, as the first request loads them
MODULES = ("web3", "siwe", "aiohttp", "markdown_it", "x402", "mcp")
print(",".join(sorted(m for m in MODULES if m in sys.modules)))
"""


def test_starting_the_web_process_loads_no_chain_client(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings",
        "VAR_DIR": str(tmp_path),
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""  # none of them loaded
