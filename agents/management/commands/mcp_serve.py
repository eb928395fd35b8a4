"""`manage.py mcp_serve`: the MCP server (agents.server) under uvicorn, on MCP_HOST:MCP_PORT
(127.0.0.1:8001 by default), at /mcp. `make run` starts it beside the web server."""

import os

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the MCP server (Streamable HTTP at /mcp) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("MCP_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("MCP_PORT", "8001")))

    def handle(self, *args, host, port, **options):
        import uvicorn

        from agents.server import PATH, http_app

        self.stdout.write(f"MCP server on http://{host}:{port}{PATH}")
        uvicorn.run(http_app(), host=host, port=port, log_level="info", proxy_headers=True)
