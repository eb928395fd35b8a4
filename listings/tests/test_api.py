import pytest
from rest_framework.test import APIClient

from listings import services
from listings.models import Listing
from listings.tests import factories

pytestmark = pytest.mark.django_db
CARD = "---\nlicense: mit\ntags: [nlp]\npipeline_tag: text-classification\n---\n# Hello\n"


def api(user=None) -> APIClient:
    client = APIClient()
    if user:
        client.force_authenticate(user)
    return client


def test_create_edit_and_read_a_listing():
    creator = factories.user()
    reply = api(creator).post(
        "/api/v1/listings/",
        {"kind": "model", "title": "Tiny BERT", "summary": "small", "card": CARD},
        format="json",
    )
    assert reply.status_code == 201, reply.json()
    body = reply.json()
    assert (body["slug"], body["status"], body["task"]) == (
        "tiny-bert",
        "draft",
        "text-classification",
    )
    assert "<h1>Hello</h1>" in body["card_html"]
    reply = api(creator).patch("/api/v1/listings/tiny-bert", {"summary": "smaller"}, format="json")
    assert reply.json()["summary"] == "smaller"
    assert api().get("/api/v1/listings/tiny-bert").status_code == 404  # drafts are private


def test_tiers_splits_and_versions_through_the_api():
    creator = factories.user()
    listing = factories.listing(creator=creator)
    url = f"/api/v1/listings/{listing.slug}"
    tiers = [{"name": "Download", "price_wei": str(2**128 - 1), "duration_seconds": 86400}]
    reply = api(creator).put(f"{url}/tiers", tiers, format="json")
    assert reply.status_code == 200, reply.json()
    assert reply.json()["tiers"][0]["price_wei"] == str(2**128 - 1)
    splits = [
        {"address": creator.address, "bps": 9000},
        {"address": "0x" + "ab" * 20, "bps": 1000, "label": "partner"},
    ]
    assert api(creator).put(f"{url}/splits", splits, format="json").status_code == 200
    artifact = factories.uploaded_artifact(creator, b"weights")
    reply = api(creator).post(
        f"{url}/versions",
        {"tag": "1.0.0", "files": [{"path": "model.safetensors", "cid": artifact.cid}]},
        format="json",
    )
    assert reply.status_code == 201, reply.json()
    version = reply.json()["versions"][0]
    assert version["files"] == [
        {"path": "model.safetensors", "cid": artifact.cid, "sha256": artifact.sha256, "size": 7}
    ]


@pytest.mark.parametrize(
    "method, suffix, payload, status, code",
    [
        ("patch", "", {"card": "---\nlicense: [\n---\n"}, 400, "invalid_card"),
        ("put", "/splits", [{"address": "0x" + "ab" * 20, "bps": 5000}], 400, "invalid_split"),
        ("put", "/tiers", [{"name": "x", "price_wei": "1.5"}], 400, "invalid"),
        ("put", "/tiers", [{"name": "x", "price_wei": 1e18}], 400, "invalid"),
        ("put", "/tiers", [{"name": "x", "price_wei": str(2**128)}], 400, "invalid_price"),
        ("put", "/tiers", [], 400, "invalid_tiers"),
        (
            "post",
            "/versions",
            {"tag": "v1", "files": [{"path": "a", "cid": "bafynope"}]},
            400,
            "unknown_cid",
        ),
        ("post", "/status", {"status": "published"}, 409, "invalid_transition"),
        ("post", "/status", {"status": "delisted"}, 200, ""),
        ("post", "/status", {"status": "bogus"}, 400, "invalid"),
        ("post", "/status", {"status": "pending_review"}, 400, "invalid"),
    ],
)
def test_bad_input_gets_a_clear_4xx(method, suffix, payload, status, code):
    listing = factories.listing()
    reply = getattr(api(listing.creator), method)(
        f"/api/v1/listings/{listing.slug}{suffix}", payload, format="json"
    )
    assert reply.status_code == status, reply.json()
    if status >= 400:
        error = reply.json()["error"]
        assert error["message"]
        assert error["code"] == code or code in str(error["fields"])


def test_a_release_takes_only_files_the_creator_uploaded_or_released():
    victim = factories.complete_listing()  # its CIDs are public on its page
    stolen = victim.versions.get().files.get().artifact
    thief = factories.listing()
    url = f"/api/v1/listings/{thief.slug}/versions"
    reply = api(thief.creator).post(
        url, {"tag": "v1", "files": [{"path": "x.bin", "cid": stolen.cid}]}, format="json"
    )
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "unknown_cid"
    # The victim may reuse their own released file in another listing of theirs.
    sequel = factories.listing(creator=victim.creator)
    reply = api(victim.creator).post(
        f"/api/v1/listings/{sequel.slug}/versions",
        {"tag": "v1", "files": [{"path": "x.bin", "cid": stolen.cid}]},
        format="json",
    )
    assert reply.status_code == 201, reply.json()


def test_someone_elses_or_unknown_listing_is_404():
    listing = factories.listing()
    stranger = factories.user()
    reply = api(stranger).patch(f"/api/v1/listings/{listing.slug}", {"title": "x"}, format="json")
    assert reply.status_code == 404
    assert api(stranger).put("/api/v1/listings/nope/tiers", [], format="json").status_code == 404


def test_anonymous_cannot_write():
    reply = api().post("/api/v1/listings/", {"kind": "model", "title": "x"}, format="json")
    assert reply.status_code in (401, 403)


def _published(title, card="", price=10**16, kind="model"):
    listing = factories.complete_listing(title=title, card=card, price_wei=price, kind=kind)
    services.listing_submit(listing=listing, actor=listing.creator)
    return services.listing_set_status(
        listing=listing, to_status=Listing.Status.PUBLISHED, actor=None
    )


def test_search_filters_and_sorts():
    _published("Sentiment classifier", card=CARD, price=5)
    _published("Image segmenter", card="---\nlicense: apache-2.0\ntags: [vision]\n---\n", price=50)
    _published("Speech corpus", kind="dataset", price=0)
    factories.listing(title="Secret sentiment draft")

    def titles(query=""):
        reply = api().get(f"/api/v1/listings/?{query}")
        assert reply.status_code == 200, reply.json()
        return [row["title"] for row in reply.json()["results"]]

    assert titles("q=sentiment") == ["Sentiment classifier"]
    assert titles("kind=dataset") == ["Speech corpus"]
    assert titles("license=apache-2.0") == ["Image segmenter"]
    assert titles("tag=NLP") == ["Sentiment classifier"]
    assert titles("free=true") == ["Speech corpus"]
    assert titles("sort=price_low") == ["Speech corpus", "Sentiment classifier", "Image segmenter"]
    assert titles("min_price_wei=1&max_price_wei=10") == ["Sentiment classifier"]
    assert titles("task=text-classification") == ["Sentiment classifier"]


def test_search_paginates_without_counting():
    for i in range(3):
        _published(f"Model {i}")
    page = api().get("/api/v1/listings/?page_size=2").json()
    assert len(page["results"]) == 2 and page["next"] and page["previous"] is None
    last = api().get(page["next"]).json()
    assert len(last["results"]) == 1 and last["next"] is None
    assert api().get("/api/v1/listings/?page=zero").status_code == 404


@pytest.mark.parametrize("query", ["sort=bogus", "kind=robot", "min_price_wei=-1", "free=maybe"])
def test_bad_search_parameters_are_400(query):
    reply = api().get(f"/api/v1/listings/?{query}")
    assert reply.status_code == 400
    assert reply.json()["error"]["fields"]
