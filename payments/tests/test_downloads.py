"""Downloads for holders: signed URLs from the API, access checked again at download time,
the creator's own access, and the licence hint everyone else gets."""

import html
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from artifacts.storage import LocalStorage
from listings.models import Listing
from listings.tests import factories
from payments.models import Entitlement
from payments.tests.access_helpers import (
    CONTENT,
    TierSpec,
    api_for,
    artifact_store,  # noqa: F401 (autouse fixture)
    entitle,
    published_listing,
    tier,
)

pytestmark = pytest.mark.django_db

HINT = "Buy the 'Download' tier (0.01 ETH) or the 'Both' tier (0.05 ETH) to download this file."


@pytest.fixture
def listing():
    return published_listing()


@pytest.fixture
def holder(listing):
    user = factories.user()
    entitle(user.address, tier(listing, "Download"))
    return user


def links_for(user, listing, **params):
    return api_for(user).get(f"/api/v1/listings/{listing.slug}/downloads", params)


def url_of(reply, path="weights/model.bin") -> str:
    assert reply.status_code == 200, reply.content
    link = next(link for link in reply.json() if link["path"] == path)
    return urlsplit(link["url"]).path


def test_holder_gets_a_signed_url_per_file_of_the_latest_version(holder, listing):
    reply = links_for(holder, listing)
    assert reply.status_code == 200
    links = reply.json()
    assert [link["path"] for link in links] == ["README.md", "weights/model.bin"]
    model = links[1]
    stored = listing.versions.get().files.get(path="weights/model.bin").artifact
    assert (model["cid"], model["size"], model["sha256"]) == (stored.cid, 10_244, stored.sha256)
    assert model["url"].startswith("http://testserver/dl/")
    assert model["url"].endswith("/weights/model.bin")
    expires = model["expires_at"]
    assert links_for(holder, listing, version="v1").json()[1]["expires_at"] >= expires


def test_the_url_serves_the_whole_file_with_download_headers(holder, listing):
    response = Client().get(url_of(links_for(holder, listing)))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CONTENT
    stored = listing.versions.get().files.get(path="weights/model.bin").artifact
    assert response["Content-Length"] == str(len(CONTENT))
    assert response["Accept-Ranges"] == "bytes"
    assert response["ETag"] == f'"{stored.cid}"'
    assert response["Content-Disposition"] == 'attachment; filename="model.bin"'
    assert response["Content-Type"] == "application/octet-stream"
    assert "no-store" in response["Cache-Control"]


def test_both_tier_and_token_auth_clients_get_urls(listing):
    user = factories.user()
    entitle(user.address, tier(listing, "Both"))
    client = APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    reply = client.get(f"/api/v1/listings/{listing.slug}/downloads")
    assert reply.status_code == 200
    assert len(reply.json()) == 2


@pytest.mark.parametrize(
    ("range_header", "start", "end"),
    [("bytes=10-19", 10, 19), ("bytes=10240-", 10240, 10243), ("bytes=-4", 10240, 10243),
     ("bytes=0-999999", 0, 10243), ("bytes = 5-5", 5, 5)],
)  # fmt: skip
def test_a_single_range_answers_206(holder, listing, range_header, start, end):
    response = Client().get(url_of(links_for(holder, listing)), HTTP_RANGE=range_header)
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == CONTENT[start : end + 1]
    assert response["Content-Range"] == f"bytes {start}-{end}/{len(CONTENT)}"
    assert response["Content-Length"] == str(end - start + 1)


@pytest.mark.parametrize("range_header", ["bytes=10244-", "bytes=20-10", "bytes=-0", "bytes=x-"])
def test_an_unsatisfiable_range_answers_416(holder, listing, range_header):
    response = Client().get(url_of(links_for(holder, listing)), HTTP_RANGE=range_header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(CONTENT)}"


@pytest.mark.parametrize("range_header", ["bytes=0-1,5-6", "items=0-1", ""])
def test_ranges_we_do_not_serve_get_the_whole_file(holder, listing, range_header):
    response = Client().get(url_of(links_for(holder, listing)), HTTP_RANGE=range_header)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CONTENT


def test_conditional_requests_use_the_cid_as_etag(holder, listing):
    url = url_of(links_for(holder, listing))
    etag = Client().head(url)["ETag"]
    assert Client().get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    stale = Client().get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"bafyother"')
    assert stale.status_code == 200
    fresh = Client().get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=etag)
    assert fresh.status_code == 206


def test_head_sends_headers_only(holder, listing):
    response = Client().head(url_of(links_for(holder, listing)), HTTP_RANGE="bytes=0-99")
    assert response.status_code == 206
    assert response["Content-Length"] == "100"
    assert response.content == b""


def test_the_url_expires(holder, listing, monkeypatch, settings):
    url = url_of(links_for(holder, listing))
    issued = time.time()
    monkeypatch.setattr(time, "time", lambda: issued + settings.DOWNLOAD_URL_TTL_SECONDS + 1)
    response = Client().get(url)
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "link_invalid",
        "message": "This download link has expired.",
        "fields": {},
    }


def flip_last(text: str) -> str:
    return "B" if text[-1] == "A" else "A"


@pytest.mark.parametrize("where", ["payload", "signature", "truncated"])
def test_a_tampered_token_is_refused(holder, listing, where):
    url = url_of(links_for(holder, listing))
    _, _, token, name = url.split("/", 3)
    payload, stamp, signature = token.rsplit(":", 2)
    flip = flip_last(payload)
    tampered = {
        "payload": f"{payload[:-1]}{flip}:{stamp}:{signature}",
        "signature": f"{payload}:{stamp}:{signature[:-1]}{flip_last(signature)}",
        "truncated": f"{payload}:{stamp}",
    }[where]
    response = Client().get(f"/dl/{tampered}/{name}")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "link_invalid"


@pytest.mark.parametrize("change", ["expired", "sold"])
def test_access_lost_after_the_url_was_issued_is_refused(holder, listing, change):
    url = url_of(links_for(holder, listing))
    entitlement = Entitlement.objects.get(holder=holder.address)
    if change == "expired":
        entitlement.expires_at = entitlement.updated_at - timedelta(seconds=1)
    else:
        entitlement.balance = 0  # transferred away
    entitlement.save()
    response = Client().get(url, HTTP_ACCEPT="text/html")
    assert response.status_code == 403
    assert HINT in html.unescape(response.content.decode())


def test_accel_redirect_mode_hands_the_file_to_nginx(holder, listing, settings):
    settings.DOWNLOADS_ACCEL_REDIRECT = True
    response = Client().get(url_of(links_for(holder, listing)), HTTP_RANGE="bytes=0-9")
    cid = listing.versions.get().files.get(path="weights/model.bin").artifact.cid
    assert response.status_code == 200  # nginx answers the Range itself
    assert response["X-Accel-Redirect"] == LocalStorage().accel_redirect_path(cid)
    assert response["X-Accel-Redirect"] == f"/_artifacts/{cid[-3:-1]}/{cid}"
    assert response.content == b""
    assert response["Content-Disposition"] == 'attachment; filename="model.bin"'
    assert response["ETag"] == f'"{cid}"'


def test_a_stranger_is_told_which_licence_gives_access(listing):
    reply = links_for(factories.user(), listing)
    assert reply.status_code == 403
    assert reply.json()["error"] == {"code": "licence_required", "message": HINT, "fields": {}}


def test_a_compute_licence_does_not_download(listing):
    user = factories.user()
    entitle(user.address, tier(listing, "Compute"))
    assert links_for(user, listing).status_code == 403


def test_the_hint_names_free_and_gated_tiers():
    listing = published_listing(
        tiers=[
            TierSpec(name="Research", price_wei=0, requires_approval=True),
            TierSpec(name="Community", price_wei=0),
            TierSpec(name="Pro", price_wei=10**18),
        ]
    )
    message = links_for(factories.user(), listing).json()["error"]["message"]
    assert message == (
        "Request access to the 'Research' tier, get the free 'Community' tier or "
        "buy the 'Pro' tier (1 ETH) to download this file."
    )


def test_the_creator_downloads_their_own_files_in_any_status(listing):
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.DRAFT)
    reply = links_for(listing.creator, listing)
    response = Client().get(url_of(reply, "README.md"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"# Tiny model\n"


def test_a_paused_listing_still_serves_holders_a_delisted_one_does_not(holder, listing):
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.PAUSED)
    url = url_of(links_for(holder, listing))
    assert Client().get(url).status_code == 200
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.DELISTED)
    assert Client().get(url).status_code == 403
    assert links_for(holder, listing).status_code == 404  # hidden from everyone but its creator
    assert links_for(listing.creator, listing).status_code == 200


def test_a_gated_tier_token_alone_gives_no_access():
    listing = published_listing(
        tiers=[TierSpec(name="Research", price_wei=0, requires_approval=True)]
    )
    user = factories.user()
    entitle(user.address, tier(listing, "Research"))  # minted for free on-chain, no approval
    assert links_for(user, listing).status_code == 403


def test_bad_input_is_a_4xx(holder, listing):
    assert links_for(holder, listing, version="v9").status_code == 404
    assert links_for(holder, listing, version="x" * 65).status_code == 400
    assert api_for(None).get(f"/api/v1/listings/{listing.slug}/downloads").status_code in (401, 403)
    assert api_for(holder).get("/api/v1/listings/nope/downloads").status_code == 404
    assert Client().get("/dl/garbage/file.bin").status_code == 403
    assert Client().post(url_of(links_for(holder, listing))).status_code == 405


def test_a_missing_stored_file_is_404_not_500(holder, listing):
    url = url_of(links_for(holder, listing))
    artifact = listing.versions.get().files.get(path="weights/model.bin").artifact
    path = LocalStorage().path(artifact.cid)
    path.chmod(0o644)
    path.unlink()
    assert Client().get(url).status_code == 404


# --- The listing page ------------------------------------------------------------------------


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_listing_page_shows_download_buttons_to_holders_only(holder, listing):
    page = page_client(holder).get(f"/listings/{listing.slug}/").content.decode()
    assert 'data-testid="download-weights/model.bin"' in page
    assert f'href="/listings/{listing.slug}/download/weights/model.bin?version=v1"' in page
    stranger = page_client(factories.user()).get(f"/listings/{listing.slug}/").content.decode()
    assert 'data-testid="download-' not in stranger
    anonymous = Client().get(f"/listings/{listing.slug}/").content.decode()
    assert 'data-testid="download-' not in anonymous


def test_the_page_download_redirects_to_a_fresh_signed_url(holder, listing):
    client = page_client(holder)
    response = client.get(f"/listings/{listing.slug}/download/weights/model.bin?version=v1")
    assert response.status_code == 302
    assert response["Location"].startswith("/dl/")
    download = Client().get(response["Location"])
    assert b"".join(download.streaming_content) == CONTENT


def test_the_page_download_refuses_strangers_with_a_page(listing):
    client = page_client(factories.user())
    response = client.get(f"/listings/{listing.slug}/download/weights/model.bin")
    assert response.status_code == 403
    assert HINT in html.unescape(response.content.decode())
    assert 'data-testid="download-refused"' in response.content.decode()


def test_the_page_download_needs_sign_in_and_a_real_file(holder, listing):
    anonymous = Client().get(f"/listings/{listing.slug}/download/weights/model.bin")
    assert anonymous.status_code == 302
    assert "/accounts/" in anonymous["Location"]
    client = page_client(holder)
    assert client.get(f"/listings/{listing.slug}/download/nope.bin").status_code == 404
    assert client.get(f"/listings/{listing.slug}/download/README.md?version=v7").status_code == 404
