"""An x402-paying MCP client for the tests: the x402 package's own MCP client (x402.mcp's
x402MCPClient, with its ExactEvmScheme signer) on top of the official SDK's Client.

x402's MCP client was written against the SDK's 1.x session: it calls
`call_tool({"name", "arguments", "_meta"})` with a timedelta timeout and reads camelCase
attributes of the result. The adapter of docs/examples/mcp_x402_agent.py (loaded from there,
so the documented one is the tested one) is the only glue: it hands the same call to the 2.x
`Client.call_tool` (`meta=`) and gives the result back in that shape. Everything x402 does
(read PaymentRequired from the error result, pick the requirement, sign the EIP-3009
authorization, retry with the payment in `_meta["x402/payment"]`, read
`_meta["x402/payment-response"]`) is the package's own code."""

import importlib.util
from pathlib import Path

import httpx2
from django.conf import settings
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from x402 import x402Client
from x402.mcp import x402MCPClient
from x402.mechanisms.evm.exact import ExactEvmScheme

from agents.tests.mcp_live import run_async


def _documented_adapter():
    """docs/examples/mcp_x402_agent.py's adapter: the tests use the one the docs show."""
    path = Path(settings.BASE_DIR) / "docs" / "examples" / "mcp_x402_agent.py"
    spec = importlib.util.spec_from_file_location("mcp_x402_agent", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example.SdkClientFor402


SdkClientFor402 = _documented_adapter()


async def _paid_call(url, token, account, asset, name, arguments):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=300)) as http:
        async with Client(streamable_http_client(url, http_client=http)) as client:
            payments = x402Client().register(asset["network"], ExactEvmScheme(account))
            # The wallet's own limit (x402's client-side spend controls): this token, this cap.
            payments.set_spend_controls({"allowed_assets": [asset]})
            paying = x402MCPClient(SdkClientFor402(client), payments, auto_payment=True)
            return await paying.call_tool(name, arguments)


def paid_call(url: str, token: str | None, account, asset: dict, name: str, **arguments):
    """Call a tool, paying with x402 if it asks to, in `asset` only ({network, asset,
    max_amount_per_payment}); x402's MCPToolCallResult (content, is_error, payment_made,
    payment_response)."""
    return run_async(_paid_call, url, token, account, asset, name, arguments)
