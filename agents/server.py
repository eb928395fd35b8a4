"""The MCP server: the tools of agents.tools_market and agents.tools_compute on the official
SDK's MCPServer, served over Streamable HTTP at /mcp (`manage.py mcp_serve`, which `make run`
starts beside the site).

Stateless and JSON-only (no server-held sessions, no SSE streams): each POST is answered on its
own, so any number of processes can serve it behind a load balancer, like the web server."""

import inspect

from django.conf import settings
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import ToolAnnotations
from starlette.applications import Starlette

from agents import tools_compute, tools_market, tools_pay

PATH = "/mcp"
INSTRUCTIONS = """\
A marketplace of AI models and datasets sold as on-chain licences (ERC-1155), with
compute-to-data: run an algorithm over a dataset you may not download, and get a receipt on
chain. Typical run: search_listings → get_listing → quote → buy (method "wallet": sign and
send the returned transaction; "gasless": sign, then submit_signed_purchase; "x402": pay with
x402 in the call's _meta, no ETH needed) → check_access until has_download or has_compute →
get_download_links, or submit_compute_job → follow_job_log → get_job_outputs → verify_receipt.
Tools that act for you need `Authorization: Bearer <API token>`: get one with
sign_in_challenge + sign_in (your wallet signs; no account needed). Amounts are base units
(wei for ETH), as decimal strings."""


def build_server() -> MCPServer:
    server = MCPServer(
        "marketplace",
        title="AI model and dataset marketplace",
        instructions=INSTRUCTIONS,
        website_url=settings.SITE_URL,
    )
    read_only = tools_market.READ_ONLY | tools_compute.READ_ONLY | tools_pay.READ_ONLY
    for tool in (*tools_market.TOOLS, *tools_pay.TOOLS, *tools_compute.TOOLS):
        hints = ToolAnnotations(read_only_hint=tool.__name__ in read_only, open_world_hint=False)
        description = inspect.cleandoc(tool.__doc__ or "")
        server.add_tool(tool, description=description, annotations=hints, structured_output=True)
    return server


def http_app() -> Starlette:
    """The ASGI app (Starlette) that serves PATH; run it under uvicorn."""
    return build_server().streamable_http_app(
        streamable_http_path=PATH,
        stateless_http=True,
        json_response=True,
        transport_security=transport_security(),
    )


def transport_security() -> TransportSecuritySettings:
    """DNS-rebinding protection with the site's own ALLOWED_HOSTS and trusted origins."""
    hosts = list(settings.ALLOWED_HOSTS)
    if "*" in hosts:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    allowed = [h for host in hosts for h in (host, f"{host}:*")]
    origins = [*settings.CSRF_TRUSTED_ORIGINS, settings.SITE_URL]
    origins += [f"{scheme}://{host}:*" for host in hosts for scheme in ("http", "https")]
    return TransportSecuritySettings(allowed_hosts=allowed, allowed_origins=origins)
