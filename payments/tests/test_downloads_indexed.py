"""End to end through the chain: a purchase on anvil, indexed into an Entitlement, lets the
buyer's key trade a signed DownloadRequest for the file."""

from urllib.parse import urlsplit

import pytest
from django.test import Client

from listings.models import VersionFile
from payments.tests.access_helpers import (
    CONTENT,
    artifact_store,  # noqa: F401 (autouse fixture)
    scan_files,
    stored_file,
)
from payments.tests.indexing import buy, index, tokenized_listing, wallets
from payments.tests.test_downloads_eip712 import redeem, request_for, sign

pytestmark = [pytest.mark.django_db, pytest.mark.chain]


def test_an_indexed_purchase_downloads(contracts, w3):
    listing = tokenized_listing()
    # The factory's artifact has no bytes in the store: put real ones in the version.
    artifact = stored_file()
    VersionFile.objects.filter(version__listing=listing).update(artifact=artifact)
    scan_files([("weights/model.bin", artifact)])  # only scanned files are served
    buyer, stranger = wallets(2)
    message = request_for(buyer.address, artifact.cid)
    assert redeem(message, sign(message, buyer)).status_code == 403  # nothing bought yet

    buy(listing, buyer)
    index()
    message = request_for(buyer.address, artifact.cid)
    reply = redeem(message, sign(message, buyer))
    assert reply.status_code == 200, reply.json()
    response = Client().get(urlsplit(reply.json()["url"]).path)
    assert b"".join(response.streaming_content) == CONTENT
    message = request_for(stranger.address, artifact.cid)
    assert redeem(message, sign(message, stranger)).status_code == 403
