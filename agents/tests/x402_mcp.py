"""An x402-paying MCP client for the tests: the x402 package's own MCP client (x402.mcp's
x402MCPClient, with its ExactEvmScheme signer) on top of the official SDK's Client.

x402's MCP client was written against the SDK's 1.x session: it calls
`call_tool({"name", "arguments", "_meta"})` with a timedelta timeout and reads camelCase
attributes of the result. The
adapter below is the only glue: it hands the same call to the 2.x `Client.call_tool` (`meta=`)
and gives the result back in that shape. Everything x402 does (read PaymentRequired from the
error result, pick the requirement, sign the EIP-3009 authorization, retry with the payment in
`_meta["x402/payment"]`, read `_meta["x402/payment-response"]`) is the package's own code."""

from datetime import timedelta
from types import SimpleNamespace

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from x402 import x402Client
from x402.mcp import x402MCPClient
from x402.mechanisms.evm.exact import ExactEvmScheme

from agents.tests.mcp_live import run_async


class SdkClientFor402:
    def __init__(self, client: Client):
        self.client = client

    async def call_tool(self, params: dict, read_timeout_seconds=None, **_):
        if isinstance(read_timeout_seconds, timedelta):  # 1.x took a timedelta; 2.x seconds
            read_timeout_seconds = read_timeout_seconds.total_seconds()
        result = await self.client.call_tool(
            params["name"],
            params.get("arguments") or {},
            read_timeout_seconds=read_timeout_seconds,
            meta=params.get("_meta"),
        )
        return SimpleNamespace(
            content=[block.model_dump(mode="json", by_alias=True) for block in result.content],
            isError=result.is_error,
            _meta=result.meta or {},
            structuredContent=result.structured_content,
        )


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
