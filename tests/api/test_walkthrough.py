"""docs/examples/api_walkthrough.py (shown in docs/api.md) runs as a separate process against
the live server and the test chain, while this test plays the Celery beat's part and runs the
chain indexer, so the documented script cannot rot."""

import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from eth_account import Account

from payments.tests.indexing import run_while_indexing, wallets

SCRIPT = Path(django_settings.BASE_DIR) / "docs" / "examples" / "api_walkthrough.py"


@pytest.mark.chain
def test_the_documented_walkthrough_sells_and_delivers_a_file(
    live_server, transactional_db, contracts, w3, settings
):
    settings.LISTINGS_REQUIRE_REVIEW = False  # no moderator in this story
    settings.API_THROTTLE_RATES = {}
    creator, buyer = Account.create(), wallets(1)[0]
    command = [
        sys.executable, str(SCRIPT), "--api", live_server.url, "--rpc", settings.CHAIN_RPC_URL,
        "--creator-key", creator.key.to_0x_hex(), "--buyer-key", buyer.key.to_0x_hex(),
    ]  # fmt: skip
    returncode, output = run_while_indexing(command, timeout=180)
    assert returncode == 0, output
    assert "listing is published" in output
    assert "downloaded model.safetensors" in output and "✓" in output


def test_docs_api_md_shows_the_script_as_it_is():
    doc = (SCRIPT.parent.parent / "api.md").read_text()
    assert "```python\n" + SCRIPT.read_text() + "```" in doc, "re-paste the script in docs/api.md"
