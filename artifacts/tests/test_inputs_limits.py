"""Issue 15, inputs: quotas on open uploads and stored bytes (413 with the figures, shown on
the profile), the offered chunk size enforced, and artifact metadata only for those who may
see the file."""

import io

import pytest
from django.test import Client

from artifacts import services
from listings.models import Listing
from listings.tests import factories
from payments.tests.access_helpers import api_for, published_listing

pytestmark = pytest.mark.django_db


def start(user, size, name="data.csv"):
    return api_for(user).post(
        "/api/v1/artifacts/uploads/",
        {"filename": name, "size": size, "content_type": "text/csv"},
        format="json",
    )


def test_open_upload_bytes_are_capped_per_person(settings):
    settings.UPLOAD_QUOTA_OPEN_BYTES = 1000
    user, other = factories.user(), factories.user()
    assert start(user, 600).status_code == 201
    refused = start(user, 600)
    assert refused.status_code == 413
    error = refused.json()["error"]
    assert error["code"] == "open_upload_quota" and "1.2 KiB" in error["message"]
    assert start(other, 600).status_code == 201  # per person


def test_stored_bytes_are_capped_per_person(settings):
    settings.UPLOAD_QUOTA_STORED_BYTES = 100
    user = factories.user()
    upload = services.upload_create(owner=user, filename="a.csv", size=80)
    services.upload_append_chunk(upload=upload, offset=0, stream=io.BytesIO(b"x" * 80), length=80)
    services.upload_finish(upload=upload)
    refused = start(user, 30)
    assert refused.status_code == 413 and refused.json()["error"]["code"] == "storage_quota"
    assert start(user, 20).status_code == 201


def test_the_profile_shows_the_quota_figures(settings):
    settings.UPLOAD_QUOTA_OPEN_BYTES = 2048
    user = factories.user()
    start(user, 1024)
    client = Client()
    client.force_login(user)
    page = client.get("/accounts/profile").content.decode()
    assert "1.0\xa0KB of 2.0\xa0KB" in page and 'data-testid="quota-jobs">0 of 5' in page


def test_a_chunk_larger_than_offered_is_refused(settings):
    settings.UPLOAD_CHUNK_BYTES = 1024
    user = factories.user()
    upload = start(user, 4096).json()
    assert upload["chunk_size"] == 1024
    reply = api_for(user).patch(
        upload["urls"]["chunk"],
        b"x" * 2048,
        content_type="application/offset+octet-stream",
        HTTP_UPLOAD_OFFSET="0",
    )
    assert reply.status_code == 413 and reply.json()["error"]["code"] == "chunk_too_large"


def test_artifact_metadata_only_for_its_uploader_or_a_visible_listing():
    owner, stranger = factories.user(), factories.user()
    upload = services.upload_create(owner=owner, filename="secret.csv", size=6)
    services.upload_append_chunk(upload=upload, offset=0, stream=io.BytesIO(b"secret"), length=6)
    cid = services.upload_finish(upload=upload).artifact.cid
    url = f"/api/v1/artifacts/{cid}/"
    assert api_for(owner).get(url).status_code == 200
    unknown = api_for(stranger).get("/api/v1/artifacts/bafkreiaaaa/")
    hidden = api_for(stranger).get(url)
    assert hidden.status_code == 404 and hidden.json() == unknown.json()  # nothing confirmed
    draft = published_listing(status=Listing.Status.DRAFT)
    draft_cid = draft.versions.get().files.first().artifact.cid
    assert api_for(stranger).get(f"/api/v1/artifacts/{draft_cid}/").status_code == 404
    assert api_for(draft.creator).get(f"/api/v1/artifacts/{draft_cid}/").status_code == 200
    Listing.objects.filter(pk=draft.pk).update(status=Listing.Status.PUBLISHED)
    assert api_for(stranger).get(f"/api/v1/artifacts/{draft_cid}/").status_code == 200
