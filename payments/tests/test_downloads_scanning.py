"""Issue 15: files are a gate. The malicious corpus is refused at release (a published listing's
new version reaches buyers unreviewed) and at download (old versions, and bytes released under a
pickle name before their pickle scan finished); the benign corpus is released and served."""

from urllib.parse import urlsplit

import pytest
from django.test import Client

from artifacts.models import ArtifactScan
from artifacts.tests import corpus
from core.errors import ApiError
from listings import services as listing_services
from listings.models import Listing
from listings.tests import factories
from payments.tests.access_helpers import (
    api_for,
    artifact_store,  # noqa: F401 (autouse fixture)
    entitle,
    published_listing,
    scan_files,
    stored_file,
    tier,
)

pytestmark = pytest.mark.django_db
MALICIOUS = corpus.malicious()
BENIGN = corpus.benign()


def release(listing, tag, files):
    return listing_services.version_create(
        listing=listing, actor=listing.creator, tag=tag, files=files
    )


def download(user, listing, path):
    reply = api_for(user).get(f"/api/v1/listings/{listing.slug}/downloads")
    assert reply.status_code == 200, reply.content
    link = next(link for link in reply.json() if link["path"] == path)
    return Client().get(urlsplit(link["url"]).path)


def holder_of(listing):
    user = factories.user()
    entitle(user.address, tier(listing, "Download"))
    return user


@pytest.mark.parametrize("case", sorted(MALICIOUS))
def test_a_malicious_file_is_refused_at_release_of_a_published_listing(case):
    name, content = MALICIOUS[case]
    listing = published_listing()
    upload = [(name, stored_file(content))]
    scan_files(upload)  # the upload's scan has finished
    with pytest.raises(ApiError) as refused:
        release(listing, "v2", upload)
    assert (refused.value.status_code, refused.value.get_codes()) == (422, "file_flagged")
    assert not listing.versions.filter(tag="v2").exists()


@pytest.mark.parametrize("case", sorted(MALICIOUS))
def test_a_malicious_file_is_refused_at_download(case):
    # In a version released while the listing was a draft (or scanned by an older scanner):
    # the download itself checks.
    name, content = MALICIOUS[case]
    listing = published_listing(status=Listing.Status.DRAFT)
    release(listing, "v2", [(name, stored_file(content))])
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.PUBLISHED)
    buyer = holder_of(listing)
    first = download(buyer, listing, name)  # not scanned yet: 409, and the scan is queued
    assert first.status_code == 409 and first.json()["error"]["code"] == "scanning"
    second = download(buyer, listing, name)  # (Celery runs inline in tests: scanned by now)
    assert second.status_code == 403 and second.json()["error"]["code"] == "file_flagged"


@pytest.mark.parametrize("case", sorted(BENIGN))
def test_benign_model_files_are_released_and_downloaded(case):
    name, content = BENIGN[case]
    listing = published_listing()
    upload = [(name, stored_file(content))]
    scan_files(upload)
    release(listing, "v2", upload)
    response = download(holder_of(listing), listing, name)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content


def test_bytes_uploaded_under_a_harmless_name_are_not_served_as_a_pickle_until_parsed_as_one():
    listing = published_listing()
    artifact = stored_file(corpus.spawn_pickle(0))  # protocol 0: text to a content sniffer
    scan_files([("notes.txt", artifact)])
    assert artifact.scans.get().verdict == ArtifactScan.Verdict.CLEAN  # as a text file
    with pytest.raises(ApiError) as pending:
        release(listing, "v2", [("model.pkl", artifact)])
    assert (pending.value.status_code, pending.value.get_codes()) == (409, "scanning")
    with pytest.raises(ApiError) as flagged:  # the pickle scan was queued at once, and ran
        release(listing, "v2", [("model.pkl", artifact)])
    assert flagged.value.status_code == 422


def test_a_file_whose_scan_errored_is_neither_released_nor_served():
    # A pickle cut short after a few harmless opcodes: nobody can vouch for the rest.
    truncated = b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a\x94K"
    listing = published_listing(status=Listing.Status.DRAFT)
    artifact = stored_file(truncated)
    release(listing, "v2", [("model.pkl", artifact)])
    scan_files([("model.pkl", artifact)])
    assert artifact.scans.get().verdict == ArtifactScan.Verdict.ERROR
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.PUBLISHED)
    response = download(holder_of(listing), listing, "model.pkl")
    assert response.status_code == 409 and response.json()["error"]["code"] == "scan_error"
    with pytest.raises(ApiError) as refused:
        release(listing, "v3", [("model.pkl", artifact)])
    assert (refused.value.status_code, refused.value.get_codes()) == (409, "scan_error")
