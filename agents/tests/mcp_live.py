"""The MCP server as a client meets it: uvicorn serving agents.server on a free loopback port
(a thread of the test process, so it shares the test database), and the SDK's own client over
Streamable HTTP, one connection per call (in a thread of its own) so the test thread stays
free for sync Django work (running the indexer, as the beat does) between calls."""

import asyncio
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx2
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from agents.server import PATH, http_app
from chain.anvil import free_port
from tests import shared_connection

# The listing of agents/tests/conftest.py: a small dataset sold by download and by compute.
DATASET = b"city,temperature\nOslo,4\nLima,19\nCairo,27\n"
DOWNLOAD_WEI, COMPUTE_WEI = 10**16, 3 * 10**16
USDC_DOWNLOAD, USDC_COMPUTE = 2 * 10**6, 5 * 10**6  # the same, priced in tUSDC (6 decimals)


def taking_turns(app):
    """Each HTTP request waits while the test thread uses the in-memory SQLite database (and
    the live server's requests wait for it): tests/shared_connection.py. Only needed when the
    test thread works on the database while a client calls the server."""

    async def app_taking_turns(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        with shared_connection.turn():
            return await app(scope, receive, send)

    return app_taking_turns


class McpServerThread:
    def __init__(self, *, take_turns: bool = False):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}{PATH}"
        app = taking_turns(http_app()) if take_turns else http_app()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="mcp-server", daemon=True)

    def start(self) -> "McpServerThread":
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the MCP server did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


async def _call(url: str, token: str | None, name: str, arguments: dict):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=300)) as http:
        async with Client(streamable_http_client(url, http_client=http)) as client:
            return await client.call_tool(name, arguments)


async def _tools(url: str) -> list:
    async with Client(url) as client:
        return (await client.list_tools()).tools


def run_async(function, *args):
    """`asyncio.run(function(*args))` in a thread of its own: the suite's browser tests leave
    Playwright's event loop running in the main thread, where asyncio.run refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(function(*args))).result()


class Agent:
    """A program holding an API token (or none) that calls the server's tools."""

    def __init__(self, url: str, token: str | None = None):
        self.url, self.token = url, token

    def result(self, name: str, **arguments):
        return run_async(_call, self.url, self.token, name, arguments)

    def call(self, name: str, **arguments) -> dict:
        """The tool's structured reply; a tool error fails the test with its text."""
        result = self.result(name, **arguments)
        assert not result.is_error, result.content[0].text
        assert json.loads(result.content[0].text) == result.structured_content
        return result.structured_content

    def error(self, name: str, **arguments) -> str:
        result = self.result(name, **arguments)
        assert result.is_error, result.structured_content
        return result.content[0].text

    def tools(self) -> list:
        return run_async(_tools, self.url)
