"""Transaction hashes link to the block explorer when one is configured (issue 17)."""

from payments.templatetags.dashboard_tags import tx_link

TX = "0x" + "ab" * 32


def test_hash_links_to_the_explorer_only_when_configured(settings):
    settings.CHAIN_EXPLORER_TX_URL = ""
    assert tx_link(TX) == f'<code class="hash small">{TX}</code>'
    settings.CHAIN_EXPLORER_TX_URL = "https://sepolia.etherscan.io/tx/{hash}"
    assert tx_link(TX) == (
        f'<a href="https://sepolia.etherscan.io/tx/{TX}" rel="noopener noreferrer">'
        f'<code class="hash small">{TX}</code></a>'
    )
    assert "<script>" not in tx_link("<script>")  # escaped, whatever the index stored
