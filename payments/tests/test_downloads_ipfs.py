"""Downloads stream from an IPFS node (Kubo RPC `cat` with offset/length) when the file is
pinned there rather than stored locally; X-Accel-Redirect then points at the gateway location."""

from urllib.parse import urlsplit

import pytest
from django.test import Client

from listings.tests import factories
from payments.tests.access_helpers import (
    CONTENT,
    api_for,
    artifact_store,  # noqa: F401 (autouse fixture)
    entitle,
    published_listing,
    tier,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ipfs_store(settings, ipfs_daemon):
    settings.ARTIFACT_STORAGE = "ipfs"
    settings.IPFS_API_URL = ipfs_daemon.url


def test_a_holder_downloads_ranges_from_ipfs(ipfs_store, settings):
    listing = published_listing()
    holder = factories.user()
    entitle(holder.address, tier(listing, "Download"))
    reply = api_for(holder).get(f"/api/v1/listings/{listing.slug}/downloads")
    link = next(link for link in reply.json() if link["path"] == "weights/model.bin")
    url = urlsplit(link["url"]).path
    whole = Client().get(url)
    assert b"".join(whole.streaming_content) == CONTENT
    part = Client().get(url, HTTP_RANGE="bytes=100-299")
    assert part.status_code == 206
    assert b"".join(part.streaming_content) == CONTENT[100:300]
    settings.DOWNLOADS_ACCEL_REDIRECT = True
    assert Client().get(url)["X-Accel-Redirect"] == f"/_ipfs/ipfs/{link['cid']}"
