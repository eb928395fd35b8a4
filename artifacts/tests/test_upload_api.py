"""The resumable upload API, end to end through HTTP (Django's test client, CSRF enforced)."""

import base64
import hashlib

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from artifacts.cid import CHUNK_SIZE
from artifacts.models import Artifact, Upload
from artifacts.parts import PartFile
from artifacts.storage import get_storage
from artifacts.tests.conftest import api_client_for, user_create
from artifacts.tests.content import vector_content, vectors

pytestmark = pytest.mark.django_db
CREATE = "/api/v1/artifacts/uploads/"
VECTOR = vectors()[5]  # 1 MiB: four leaves
DATA = vector_content(VECTOR["size"])


def create(api, *, name="model.safetensors", size: int | None = None, **extra):
    size = len(DATA) if size is None else size
    return api.post(CREATE, {"filename": name, "size": size, **extra}, format="json")


def checksum(chunk: bytes) -> str:
    return "sha256 " + base64.b64encode(hashlib.sha256(chunk).digest()).decode()


def send(api, upload, chunk: bytes, *, offset: int, **headers):
    headers.setdefault("HTTP_UPLOAD_CHECKSUM", checksum(chunk))
    return api.patch(
        upload["urls"]["chunk"],
        data=chunk,
        content_type="application/offset+octet-stream",
        HTTP_UPLOAD_OFFSET=str(offset),
        **headers,
    )


def upload_all(api, data: bytes, *, step: int, name="model.safetensors", **extra):
    upload = create(api, name=name, size=len(data), **extra).json()
    for offset in range(0, len(data), step):
        response = send(api, upload, data[offset : offset + step], offset=offset)
        assert response.status_code == 200, response.json()
        assert response["Upload-Offset"] == str(min(offset + step, len(data)))
    return upload


def error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "fields"} <= set(body["error"])
    return body["error"]


def test_create_returns_where_to_send_chunks(api):
    response = create(api, content_type="application/octet-stream")
    assert response.status_code == 201
    body = response.json()
    assert body["offset"] == 0 and body["size"] == len(DATA) and body["status"] == "open"
    assert body["chunk_size"] == 8 * 1024 * 1024
    assert body["urls"]["chunk"] == reverse(
        "artifacts-api:upload-chunk", kwargs={"upload_id": body["id"]}
    )
    assert response["Upload-Offset"] == "0"


@pytest.mark.parametrize("step", [CHUNK_SIZE, 300_001, len(DATA)])
def test_chunks_then_finish_give_the_reference_cid(api, settings, step):
    upload = upload_all(api, DATA, step=step)
    response = api.post(upload["urls"]["finish"], {"sha256": VECTOR["sha256"]}, format="json")
    assert response.status_code == 200, response.json()
    artifact = response.json()["artifact"]
    assert artifact["cid"] == VECTOR["cidv1"] and artifact["sha256"] == VECTOR["sha256"]
    assert artifact["size"] == len(DATA)
    assert response.json()["status"] == "complete"
    with get_storage().open(artifact["cid"]) as stored:
        assert stored.read() == DATA
    assert list(settings.UPLOAD_DIR.iterdir()) == []  # part and leaves files are gone


def test_status_tells_a_client_where_to_resume(api):
    upload = create(api).json()
    send(api, upload, DATA[:400_000], offset=0)
    response = api.get(upload["urls"]["detail"])
    assert response.json()["offset"] == 400_000 and response["Upload-Offset"] == "400000"
    head = api.head(upload["urls"]["detail"])
    assert head.status_code == 200 and head["Upload-Offset"] == "400000"
    assert head["Upload-Length"] == str(len(DATA)) and head["Cache-Control"] == "no-store"


def test_a_wrong_offset_is_409_with_the_current_offset(api):
    upload = create(api).json()
    send(api, upload, DATA[:1000], offset=0)
    response = send(api, upload, DATA[2000:3000], offset=2000)
    assert response.status_code == 409 and response["Upload-Offset"] == "1000"
    body = error(response)
    assert body["code"] == "offset_mismatch" and body["offset"] == 1000
    assert "resume from 1000" in body["message"]
    # Sending the same chunk twice (a retry after a lost response) is the same conflict.
    assert send(api, upload, DATA[:1000], offset=0).status_code == 409


def test_a_corrupted_chunk_is_460_and_nothing_of_it_is_kept(api):
    upload = create(api).json()
    send(api, upload, DATA[:500_000], offset=0)
    chunk = DATA[500_000:]
    response = send(
        api, upload, chunk[:-1] + b"X", offset=500_000, HTTP_UPLOAD_CHECKSUM=checksum(chunk)
    )
    assert response.status_code == 460 and error(response)["code"] == "checksum_mismatch"
    assert api.get(upload["urls"]["detail"]).json()["offset"] == 500_000
    assert send(api, upload, chunk, offset=500_000).status_code == 200
    finished = api.post(upload["urls"]["finish"]).json()
    assert finished["artifact"]["cid"] == VECTOR["cidv1"]


@pytest.mark.parametrize(
    "header", ["md5 abc", "sha256 not-base64!", "sha256 " + base64.b64encode(b"short").decode()]
)
def test_malformed_checksum_headers_are_400(api, header):
    upload = create(api).json()
    response = send(api, upload, DATA[:10], offset=0, HTTP_UPLOAD_CHECKSUM=header)
    assert response.status_code == 400 and error(response)["code"].startswith("checksum")


def test_too_large_files_and_chunks_are_413(api, settings):
    settings.UPLOAD_MAX_BYTES = 10_000
    response = create(api, size=10_001)
    assert response.status_code == 413 and error(response)["code"] == "too_large"
    assert "largest file accepted" in error(response)["message"]
    upload = create(api, size=100).json()
    response = send(api, upload, DATA[:101], offset=0)
    assert response.status_code == 413 and error(response)["code"] == "too_large"


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("page.html", "text/html"), ("run.exe", ""), ("README", ""), ("x.bin", "text/html")],
)
def test_disallowed_types_are_415_before_anything_is_sent(api, name, content_type):
    response = create(api, name=name, content_type=content_type)
    assert response.status_code == 415 and error(response)["code"] == "unsupported_type"
    assert not Upload.objects.exists()


def test_allowed_types_are_configurable(api, settings):
    settings.UPLOAD_ALLOWED_EXTENSIONS = ["*"]
    assert create(api, name="README").status_code == 201
    settings.UPLOAD_ALLOWED_EXTENSIONS = [".csv"]
    assert create(api, name="data.CSV", content_type="text/csv").status_code == 201
    assert create(api, name="model.gguf").status_code == 415


def test_file_names_are_cleaned(api):
    body = create(api, name="C:\\Users\\me\\../weights\x01.safetensors").json()
    assert body["filename"] == "weights.safetensors"
    assert create(api, name="/").status_code == 400


@pytest.mark.parametrize(
    "payload",
    [{"size": -1}, {"size": "lots"}, {"sha256": "xyz"}, {"filename": ""}],
)
def test_invalid_create_input_is_400(api, payload):
    body = {"filename": "model.bin", "size": 10, **payload}
    response = api.post(CREATE, body, format="json")
    assert response.status_code == 400, response.json()
    error(response)


def test_unknown_and_other_peoples_uploads_are_404(api):
    upload = create(api).json()
    stranger = api_client_for(user_create())
    for client, url in [
        (stranger, upload["urls"]["detail"]),
        (api, upload["urls"]["detail"].replace(upload["id"][:8], "00000000")),
    ]:
        assert client.get(url).status_code == 404
        assert error(client.post(url + "finish"))["code"] == "not_found"
    response = send(stranger, upload, DATA[:10], offset=0)
    assert response.status_code == 404
    assert Upload.objects.get().received == 0


def test_anonymous_and_csrf_less_requests_are_refused(api, user):
    assert APIClient().post(CREATE, {"filename": "a.bin", "size": 1}).status_code == 403
    no_csrf = APIClient(enforce_csrf_checks=True)
    no_csrf.force_login(user)
    assert no_csrf.post(CREATE, {"filename": "a.bin", "size": 1}).status_code == 403


def test_chunk_requests_need_offset_type_and_length(api):
    upload = create(api).json()
    url = upload["urls"]["chunk"]
    no_offset = api.patch(url, DATA[:10], content_type="application/offset+octet-stream")
    assert no_offset.status_code == 400 and "Upload-Offset" in error(no_offset)["message"]
    as_json = api.patch(url, {"a": 1}, format="json", HTTP_UPLOAD_OFFSET="0")
    assert as_json.status_code == 415
    no_length = send(api, upload, DATA[:10], offset=0, CONTENT_LENGTH="")
    assert no_length.status_code == 411 and error(no_length)["code"] == "length_required"


def test_finish_before_everything_arrived_is_409(api):
    upload = create(api).json()
    send(api, upload, DATA[:1000], offset=0)
    response = api.post(upload["urls"]["finish"])
    assert response.status_code == 409 and response["Upload-Offset"] == "1000"
    assert error(response)["code"] == "offset_mismatch"


def test_a_wrong_declared_sha256_fails_the_upload(api, settings):
    upload = upload_all(api, DATA, step=len(DATA), sha256="0" * 64)
    response = api.post(upload["urls"]["finish"])
    assert response.status_code == 400 and error(response)["code"] == "sha256_mismatch"
    status = api.get(upload["urls"]["detail"]).json()
    assert status["status"] == "failed" and status["artifact"] is None
    assert error(send(api, upload, b"x", offset=len(DATA)))["code"] == "upload_closed"
    assert not Artifact.objects.exists() and list(settings.UPLOAD_DIR.iterdir()) == []
    change = Upload.objects.get().status_changes.get()
    assert (change.from_status, change.to_status) == ("open", "failed")
    assert "sha256 mismatch" in change.reason


def test_finish_is_idempotent_and_the_same_bytes_are_one_artifact(api):
    first = upload_all(api, DATA, step=len(DATA))
    done = api.post(first["urls"]["finish"]).json()
    assert api.post(first["urls"]["finish"]).json()["artifact"] == done["artifact"]
    second = upload_all(api, DATA, step=CHUNK_SIZE, name="copy.bin")
    again = api.post(second["urls"]["finish"]).json()
    assert again["artifact"] == done["artifact"] and again["filename"] == "copy.bin"
    assert Artifact.objects.count() == 1 and Artifact.objects.get().uploads.count() == 2


def test_an_empty_file_needs_no_chunk(api):
    upload = create(api, name="empty.txt", size=0).json()
    artifact = api.post(upload["urls"]["finish"]).json()["artifact"]
    assert artifact["cid"] == vectors()[0]["cidv1"] and artifact["size"] == 0


def test_cancel_frees_the_part_file(api, settings):
    upload = create(api).json()
    send(api, upload, DATA[:1000], offset=0)
    response = api.post(upload["urls"]["cancel"])
    assert response.status_code == 200 and response.json()["status"] == "failed"
    assert list(settings.UPLOAD_DIR.iterdir()) == []
    assert api.post(upload["urls"]["cancel"]).status_code == 409


def test_a_chunk_while_another_is_being_written_is_409(api):
    upload = create(api).json()
    with PartFile(upload["id"]).locked():
        response = send(api, upload, DATA[:10], offset=0)
    assert response.status_code == 409 and error(response)["code"] == "upload_busy"


def test_artifact_detail(api):
    upload = upload_all(api, DATA, step=len(DATA))
    api.post(upload["urls"]["finish"])
    body = api.get(f"/api/v1/artifacts/{VECTOR['cidv1']}/").json()
    assert body["sha256"] == VECTOR["sha256"] and body["size"] == len(DATA)
    assert api.get("/api/v1/artifacts/bafynope/").status_code == 404


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    offset=st.text(max_size=12),
    content_type=st.sampled_from(
        ["application/offset+octet-stream", "text/plain", "application/x-foo"]
    ),
    checksum_header=st.text(max_size=60),
    body=st.binary(max_size=64),
)
def test_no_header_garbage_makes_a_500(api, user, offset, content_type, checksum_header, body):
    upload = Upload.objects.first() or Upload.objects.create(
        owner=user,
        filename="f.bin",
        size=100,
        expires_at="2999-01-01T00:00:00Z",
    )
    url = reverse("artifacts-api:upload-chunk", kwargs={"upload_id": upload.pk})
    headers = {"HTTP_UPLOAD_OFFSET": offset, "HTTP_UPLOAD_CHECKSUM": checksum_header}
    headers = {k: v for k, v in headers.items() if "\n" not in v and "\r" not in v}
    response = api.patch(url, body, content_type=content_type, **headers)
    assert response.status_code < 500
