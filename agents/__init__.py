"""Buyers that are programs: the MCP server (Model Context Protocol, Streamable HTTP).

Its tools are thin wrappers of the services and selectors the REST API calls, with the same
inputs, outputs and errors (agents/calls.py turns an API error into a tool error). It sits at
the top of the dependency graph beside `marketplace`: it imports the domain apps, and nothing
imports it. docs/agents.md walks through an agent run."""
