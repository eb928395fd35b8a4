"""Hardening: security headers and CSP on every response, no inline script anywhere (so the
CSP can forbid it), CSRF tokens in every POST form, production settings (secure cookies, HSTS,
HTTPS redirect) when DEBUG is off, and the audit of every outbound request the server makes."""

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from listings.tests import factories
from payments.tests.access_helpers import published_listing

ROOT = Path(django_settings.BASE_DIR)
APPS = ("accounts", "artifacts", "chain", "compute", "listings", "marketplace", "payments")


class ScriptAudit(HTMLParser):
    """Collects what a strict CSP would refuse: inline scripts, on* handlers, javascript: URLs,
    inline styles."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self._inline_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}=javascript:…>")
            if name == "style":
                self.problems.append(f"<{tag} style=…>")
        data_block = attributes.get("type") in ("application/json", "application/ld+json")
        self._inline_script = tag == "script" and "src" not in attributes and not data_block
        if tag == "style":
            self.problems.append("<style> element")

    def handle_data(self, data):
        if self._inline_script and data.strip():
            self.problems.append(f"inline <script>: {data.strip()[:60]}")

    def handle_endtag(self, tag):
        self._inline_script = False


def audit(html: str) -> list[str]:
    parser = ScriptAudit()
    parser.feed(html)
    return parser.problems


def page_paths(slug: str) -> list[str]:
    """Every page route (not the API, admin or downloads) whose arguments we can fill."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern)

    paths = []
    for route in walk(get_resolver().url_patterns):
        if route.startswith(("api/", "admin/", "dl/")) or "<" in route.replace("<slug:slug>", ""):
            continue
        paths.append("/" + route.replace("<slug:slug>", slug))
    return sorted(set(paths))


@pytest.mark.django_db
def test_every_page_is_free_of_inline_script_and_sends_the_security_headers():
    creator = factories.user()
    listing = published_listing(creator=creator)
    browser = Client()
    browser.force_login(creator)
    checked = []
    for path in page_paths(listing.slug):
        response = browser.get(path)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        problems = audit(response.content.decode())
        assert not problems, f"{path}: {problems}"
        assert_security_headers(response)
        checked.append(path)
    assert {"/", "/accounts/profile", "/accounts/tokens"} <= set(checked), checked
    assert any(path.startswith(f"/listings/{listing.slug}") for path in checked), checked


def assert_security_headers(response):
    csp = response["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in csp.split(";") if part.strip()
    )
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_api_responses_and_docs_carry_the_headers_too():
    client = Client()
    assert_security_headers(client.get("/api/v1/listings/"))
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert not audit(docs.content.decode())
    assert_security_headers(docs)
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    assert json.loads(schema.content)["openapi"].startswith("3.")


def test_templates_and_scripts_have_no_inline_code():
    """A static check for pages the crawl above cannot reach (error states, other roles)."""
    for template in (ROOT / "templates").rglob("*.html"):
        text = re.sub(r"{%.*?%}|{{.*?}}|{#.*?#}", "", template.read_text(), flags=re.S)
        problems = [p for p in audit(text) if "style=" not in p]  # styles are checked live
        assert not problems, f"{template.relative_to(ROOT)}: {problems}"
    for script in (ROOT / "static" / "js").rglob("*.js"):
        assert not re.search(r"\beval\(|new Function\(", script.read_text()), script


def test_every_post_form_carries_a_csrf_token():
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        for form in re.findall(r"<form\b[^>]*>.*?</form>", text, flags=re.S | re.I):
            if re.search(r'method=["\']?post', form, flags=re.I):
                assert "{% csrf_token %}" in form, f"{template.relative_to(ROOT)}: {form[:80]}"


def _settings_with(env: dict) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k, None) for k in ("
        "'DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT', "
        "'SECURE_HSTS_SECONDS', 'ALLOWED_HOSTS', 'SECURE_PROXY_SSL_HEADER')}))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "DEBUG"))}
    environment = {**clean, "DJANGO_SETTINGS_MODULE": "marketplace.settings", **env}
    out = subprocess.run(
        [sys.executable, "-c", code], env=environment, cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_production_settings_turn_on_https_only_cookies_hsts_and_redirect(tmp_path):
    prod = _settings_with(
        {
            "DEBUG": "false",
            "ALLOWED_HOSTS": "market.example,api.market.example",
            "SECURE_PROXY_SSL_HEADER": "true",
            "VAR_DIR": str(tmp_path),
        }
    )
    assert prod["DEBUG"] is False
    assert prod["SESSION_COOKIE_SECURE"] and prod["CSRF_COOKIE_SECURE"]
    assert prod["SECURE_SSL_REDIRECT"] and prod["SECURE_HSTS_SECONDS"] >= 31536000
    assert prod["ALLOWED_HOSTS"] == ["market.example", "api.market.example"]
    assert prod["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    # .env copied from .env.example leaves these empty: empty means the secure default.
    blank = {"SESSION_COOKIE_SECURE": "", "SECURE_SSL_REDIRECT": "", "SECURE_HSTS_SECONDS": ""}
    copied = _settings_with({"DEBUG": "false", "VAR_DIR": str(tmp_path), **blank})
    assert copied["SESSION_COOKIE_SECURE"] and copied["SECURE_SSL_REDIRECT"]
    assert copied["SECURE_HSTS_SECONDS"] >= 31536000
    dev = _settings_with({"DEBUG": "true", "VAR_DIR": str(tmp_path)})  # `make run` on http
    assert not dev["SECURE_SSL_REDIRECT"] and not dev["SESSION_COOKIE_SECURE"]
    assert dev["SECURE_HSTS_SECONDS"] == 0


# Every module that opens outbound connections, and where its URL comes from. None takes a URL
# from a user: a new module here must be reviewed (no user-controlled URL without an allow-list,
# i.e. no SSRF) and added with its reason. See docs/api.md, "Outbound requests".
OUTBOUND = {
    "artifacts/storage/ipfs.py": "settings.IPFS_API_URL (the operator's IPFS node)",
    "chain/client.py": "settings.CHAIN_RPC_URL (the operator's chain node)",
    "chain/indexer/status.py": "settings.CHAIN_RPC_URL",
    "chain/ens.py": "settings.ENS_RPC_URL or CHAIN_RPC_URL (ENS names; accounts/ens.py)",
    "chain/anvil.py": "a local anvil it started itself on 127.0.0.1 (dev and tests)",
}
NETWORK = re.compile(
    r"requests\.(get|post|put|patch|delete|head|request|Session)\(|httpx\.|urlopen\(|"
    r"urllib3\.|http\.client|aiohttp|HTTPProvider\(|WebsocketProvider|socket\.create_connection"
)


def test_outbound_requests_only_go_to_configured_hosts():
    found = set()
    for app in APPS:
        for source in (ROOT / app).rglob("*.py"):
            relative = source.relative_to(ROOT).as_posix()
            if "/tests/" in relative or "/migrations/" in relative:
                continue
            if NETWORK.search(source.read_text()):
                found.add(relative)
    assert found <= set(OUTBOUND), f"review and list in OUTBOUND: {sorted(found - set(OUTBOUND))}"


def test_ipfs_and_chain_clients_take_their_url_from_settings_only(settings):
    from artifacts.storage.ipfs import IpfsStorage
    from chain import client

    settings.IPFS_API_URL = "http://10.9.9.9:5001"
    assert IpfsStorage().api_url == "http://10.9.9.9:5001"
    settings.CHAIN_RPC_URL = "http://10.9.9.8:8545"
    assert client.get_web3().provider.endpoint_uri == "http://10.9.9.8:8545"


@pytest.mark.django_db
def test_unknown_api_urls_answer_in_the_error_format(client):
    reply = client.get("/api/v1/no-such-thing/%C2%80")
    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "not_found"
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "html" in page["Content-Type"]
