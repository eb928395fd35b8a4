"""Uploading through the browser: chunks with progress, a dropped connection, a page reload in
the middle, and the server's CID and sha256 at the end."""

import hashlib
import os

import pytest
from playwright.sync_api import expect

from artifacts.cid import hash_file
from artifacts.models import Artifact, Upload

CHUNK = 2 * 1024 * 1024
BIG = 21 * 1024 * 1024 + 12345  # > 20 MB, not a whole number of chunks or leaves


@pytest.fixture(autouse=True)
def _small_chunks(settings):
    settings.UPLOAD_CHUNK_BYTES = CHUNK  # more chunks per file: more to watch and interrupt


@pytest.fixture
def files(tmp_path):
    def make(name: str, size: int):
        path = tmp_path / name
        path.write_bytes(os.urandom(size))
        return path

    return make


def item(page, name):
    return page.locator(f'[data-upload-item][data-filename="{name}"]')


def progress(page, name) -> tuple[float, float]:
    bar = item(page, name).locator("[data-upload-progress]")
    return float(bar.evaluate("el => el.value")), float(bar.evaluate("el => el.max"))


def assert_stored(page, path):
    """The page shows the artifact, and the server's record matches the bytes on disk."""
    expected = hash_file(path)
    expect(item(page, path.name)).to_have_attribute("data-state", "done", timeout=60_000)
    expect(item(page, path.name).locator("[data-upload-cid]")).to_have_text(expected.cid)
    artifact = Artifact.objects.get(cid=expected.cid)
    assert artifact.sha256 == hashlib.sha256(path.read_bytes()).hexdigest() == expected.sha256
    assert artifact.size == path.stat().st_size
    stored = page.locator(f'[data-uploaded-artifacts] li[data-cid="{expected.cid}"]')
    expect(stored).to_have_attribute("data-sha256", expected.sha256)


def test_a_big_and_a_small_file_survive_a_dropped_connection(page, files):
    big, small = files("weights.safetensors", BIG), files("labels.csv", 1000)
    dropped = []

    def drop_the_fourth_chunk(route):
        if route.request.headers.get("upload-offset") == str(3 * CHUNK) and not dropped:
            dropped.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/chunk", drop_the_fourth_chunk)
    page.goto("/artifacts/upload")
    page.locator("[data-upload-zone] input[type=file]").set_input_files([str(big), str(small)])

    # The bar moves: some value strictly between empty and full is seen on the way.
    seen = set()
    for _ in range(600):
        value, maximum = progress(page, big.name)
        seen.add(value)
        if value >= maximum:
            break
        page.wait_for_timeout(20)
    assert any(0 < value < BIG for value in seen), seen
    assert dropped, "the chunk at 6 MiB was never interrupted"
    assert_stored(page, big)
    assert_stored(page, small)
    overall = page.locator("[data-upload-overall]")
    assert overall.evaluate("el => el.value") == overall.evaluate("el => el.max")
    assert Upload.objects.filter(status="complete").count() == 2
    assert not page.errors


def test_an_upload_resumes_after_a_page_reload(page, files):
    big = files("dataset.parquet", BIG)
    page.route(
        "**/chunk",
        lambda route: (
            route.abort("internetdisconnected")
            if int(route.request.headers["upload-offset"]) >= 4 * CHUNK
            else route.continue_()
        ),
    )
    page.goto("/artifacts/upload")
    page.locator("[data-upload-zone] input[type=file]").set_input_files(str(big))
    expect(item(page, big.name).locator("[data-upload-status]")).to_contain_text("retrying")
    value, maximum = progress(page, big.name)
    assert 0 < value < maximum
    upload = Upload.objects.get()
    assert upload.received == 4 * CHUNK and upload.status == "open"

    page.unroute("**/chunk")
    page.reload()
    expect(page.locator("[data-upload-notice]")).to_contain_text(big.name)
    offsets = []
    page.on(
        "request",
        lambda request: (
            offsets.append(int(request.headers["upload-offset"]))
            if request.url.endswith("/chunk")
            else None
        ),
    )
    page.locator("[data-upload-zone] input[type=file]").set_input_files(str(big))
    assert_stored(page, big)
    assert offsets[0] == 4 * CHUNK  # continued where it stopped, nothing sent twice
    assert Upload.objects.count() == 1 and Upload.objects.get().status == "complete"
    expect(page.locator("[data-upload-notice]")).to_be_empty()
    assert not page.errors


def test_files_that_cannot_be_uploaded_are_refused_before_sending(page, files, settings):
    page.goto("/artifacts/upload")
    events = []
    page.expose_function("recordError", lambda detail: events.append(detail))
    page.evaluate("document.addEventListener('upload:error', (e) => window.recordError(e.detail))")
    page.locator("[data-upload-zone] input[type=file]").set_input_files(str(files("setup.exe", 10)))
    row = item(page, "setup.exe")
    expect(row).to_have_attribute("data-state", "error")
    expect(row.locator("[data-upload-status]")).to_contain_text("not accepted")
    assert not Upload.objects.exists()
    page.wait_for_timeout(100)
    assert events and events[0]["code"] == "rejected"


def test_the_page_needs_a_signed_in_user(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url)
    page = context.new_page()
    page.goto("/artifacts/upload")
    assert "/accounts/sign-in" in page.url
    context.close()
