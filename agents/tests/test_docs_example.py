"""docs/examples/mcp_agent.py (shown in docs/agents.md) runs as a separate process against
the MCP server, the site (for downloads) and the test chain, while this test plays the Celery
beat's part and runs the chain indexer, so the documented agent cannot rot."""

import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from eth_account import Account

from accounts import tokens
from accounts.models import User
from agents.tests.mcp_live import McpServerThread
from payments.tests.buying import mint
from payments.tests.indexing import run_while_indexing, wallets

SCRIPT = Path(django_settings.BASE_DIR) / "docs" / "examples" / "mcp_agent.py"
X402_SCRIPT = SCRIPT.parent / "mcp_x402_agent.py"


@pytest.fixture
def served(live_server, transactional_db, settings):
    settings.SITE_URL = live_server.url
    server = McpServerThread(take_turns=True).start()
    yield server
    server.stop()


@pytest.mark.chain
def test_the_documented_agent_buys_downloads_and_computes(served, listing, w3, settings):
    wallet = wallets(1)[0]
    secret = tokens.api_token_create(user=User.objects.create_user(wallet.address), name="a")
    command = [
        sys.executable, str(SCRIPT), "--mcp", served.url, "--rpc", settings.CHAIN_RPC_URL,
        "--token", secret.secret, "--key", wallet.key.to_0x_hex(), "--query", "climate",
    ]  # fmt: skip
    returncode, output = run_while_indexing(command, timeout=240)
    print(output)  # the run, as docs/agents.md shows one
    assert returncode == 0, output
    assert "downloaded climate.csv" in output and "✓" in output
    assert "/data/climate.csv 3 rows" in output
    assert "on chain matches the outputs ✓ (host agent-cpu)" in output


@pytest.mark.parametrize("script", [SCRIPT, X402_SCRIPT], ids=lambda path: path.name)
def test_docs_agents_md_shows_the_scripts_as_they_are(script):
    doc = (SCRIPT.parent.parent / "agents.md").read_text()
    assert "```python\n" + script.read_text() + "```" in doc, (
        f"re-paste {script.name} in docs/agents.md"
    )


@pytest.mark.chain
def test_the_documented_x402_agent_needs_only_a_key_and_a_stablecoin(
    served, usdc_listing, usdc, w3
):
    """The same run by a wallet holding only tUSDC: no ETH, no account, no token beforehand."""
    wallet = Account.create()
    mint(usdc, wallet.address, 20 * 10**6)
    command = [
        sys.executable, str(X402_SCRIPT), "--mcp", served.url, "--key", wallet.key.to_0x_hex(),
        "--query", "climate",
    ]  # fmt: skip
    returncode, output = run_while_indexing(command, timeout=240)
    print(output)  # the run, as docs/agents.md shows one
    assert returncode == 0, output
    assert output.count("paid ") == 2 and f"signed in as {wallet.address}" in output
    assert "downloaded climate.csv" in output and "/data/climate.csv 3 rows" in output
    assert "on chain matches the outputs ✓" in output
    assert w3.eth.get_balance(wallet.address) == 0
    assert User.objects.get(address=wallet.address).api_tokens.count() == 1  # its sign-in
