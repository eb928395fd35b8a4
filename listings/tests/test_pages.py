"""The listing pages through Django's test client: what they show, what they refuse, and that
bad input comes back as form errors with a 4xx, never a 500."""

from decimal import Decimal

import pytest
from django.test import Client

from artifacts.scanning import loads_as_pickle
from artifacts.services import artifact_scan_run
from listings import selectors, services
from listings.models import LicenseTerms, Listing, SplitRecipient, Tier
from listings.tests import factories

pytestmark = pytest.mark.django_db
S = Listing.Status
CARD = (
    "---\nlicense: apache-2.0\ntags: [nlp, bert]\npipeline_tag: fill-mask\n"
    "library_name: transformers\nbase_model: bert-base\ndatasets: [wiki]\nlanguage: en\n"
    "parameter_count: 110000000\n---\n# Tiny BERT\n\nA **small** model.\n"
)
PARTNER = "0x" + "ab" * 20


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def published(
    *, price_wei: int = 10**16, card: str = CARD, tier_kind: str = "download", **kwargs
) -> Listing:
    listing = factories.listing(card=card, **kwargs)
    creator = listing.creator
    files = [("model.bin", factories.artifact())]
    services.version_create(listing=listing, actor=creator, tag="v1", files=files)
    tiers = [services.TierSpec(name="Download", price_wei=price_wei, kind=tier_kind)]
    services.listing_set_tiers(listing=listing, actor=creator, tiers=tiers)
    services.listing_submit(listing=listing, actor=creator)
    return services.listing_set_status(listing=listing, to_status=S.PUBLISHED, actor=None)


def text(reply) -> str:
    return reply.content.decode()


# --- browse ----------------------------------------------------------------------------------


def test_browse_shows_published_listings_only_with_their_price():
    paid = published(title="Paid model", price_wei=10**16)
    free = published(title="Free data", price_wei=0, kind="dataset")
    factories.complete_listing(title="Secret draft")
    reply = client_for().get("/listings/")
    assert reply.status_code == 200
    page = text(reply)
    assert "Paid model" in page and "Free data" in page and "Secret draft" not in page
    assert "from 0.01 ETH" in page and ">Free<" in page
    assert f'data-listing="{paid.slug}"' in page and f'data-listing="{free.slug}"' in page
    assert "fill-mask" in page and "apache-2.0" in page  # task and licence on the card


def test_browse_filter_options_are_cached_until_a_listing_changes(
    django_assert_num_queries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        published(title="Bert")
    assert client_for().get("/listings/?task=fill-mask").status_code == 200
    with django_assert_num_queries(0):  # the options come from the cache now
        selectors.listing_filter_options()
    card = CARD.replace("fill-mask", "translation")
    with django_capture_on_commit_callbacks(execute=True):
        published(title="Translator", card=card)
    reply = client_for().get("/listings/")  # the new task is a filter choice at once
    assert '<option value="translation">' in text(reply)


@pytest.mark.parametrize(
    "query, expected",
    [
        ("kind=dataset", {"Data set"}),
        ("task=fill-mask", {"Bert"}),
        ("license=mit", {"Data set"}),
        ("tags=nlp", {"Bert"}),
        ("tags=nlp,missing", set()),
        ("min_price=0.02", {"Pricey"}),
        ("max_price=0.01", {"Bert", "Data set"}),
        ("min_price=0.01&max_price=0.01", {"Bert"}),
        ("free=on", {"Data set"}),
        ("compute=on", {"Pricey"}),
        ("q=pricey", {"Pricey"}),
    ],
)
def test_browse_filters(query, expected):
    published(title="Bert", price_wei=10**16)
    published(title="Data set", price_wei=0, kind="dataset", card="---\nlicense: mit\n---\nrows")
    published(title="Pricey", price_wei=5 * 10**16, card="", tier_kind="compute")
    reply = client_for().get(f"/listings/?{query}")
    assert reply.status_code == 200
    shown = {listing.title for listing in reply.context["page"]}
    assert shown == expected


def test_browse_sorts_by_price_and_pages_without_counting():
    for cents in (3, 1, 2):
        published(title=f"Model {cents}", price_wei=cents * 10**16)
    reply = client_for().get("/listings/?sort=price_low")
    assert [listing.title for listing in reply.context["page"]] == ["Model 1", "Model 2", "Model 3"]
    from listings import views

    views.PAGE_SIZE, previous = 2, views.PAGE_SIZE
    try:
        first = client_for().get("/listings/?sort=price_high")
        second = client_for().get("/listings/?sort=price_high&page=2")
    finally:
        views.PAGE_SIZE = previous
    assert 'rel="next" href="?sort=price_high&amp;page=2"' in text(first)
    assert 'rel="prev"' not in text(first)
    assert [listing.title for listing in second.context["page"]] == ["Model 1"]
    assert 'rel="prev" href="?sort=price_high"' in text(second)
    assert 'rel="next"' not in text(second)


@pytest.mark.parametrize(
    "query, message",
    [
        ("min_price=abc", "Enter an amount of ETH"),
        ("min_price=-1", "cannot be negative"),
        ("max_price=0.0000000000000000001", "18 decimal places"),
        ("min_price=2&max_price=1", "below the minimum"),
        ("kind=spaceship", "Select a valid choice"),
        ("sort=random", "Select a valid choice"),
    ],
)
def test_browse_bad_filters_show_errors(query, message):
    reply = client_for().get(f"/listings/?{query}")
    assert reply.status_code == 400
    assert message in text(reply)


@pytest.mark.parametrize("page", ["abc", "0", "99999"])
def test_browse_bad_page_is_404(page):
    assert client_for().get(f"/listings/?page={page}").status_code == 404


def test_home_shows_the_latest_listings():
    published(title="Newest model")
    reply = client_for().get("/")
    assert "Latest listings" in text(reply) and "Newest model" in text(reply)


# --- detail ----------------------------------------------------------------------------------


def test_detail_shows_card_facts_terms_files_tiers_split_and_provenance(settings):
    settings.CHAIN_PLATFORM_FEE_BPS = 250
    listing = published()
    Listing.objects.filter(pk=listing.pk).update(sales_count=7)
    reply = client_for().get(f"/listings/{listing.slug}/")
    assert reply.status_code == 200
    page = text(reply)
    assert "<h1>Tiny BERT</h1>" in page and "<strong>small</strong>" in page
    for fact in ("apache-2.0", "fill-mask", "transformers", "bert-base", "wiki", "110M"):
        assert fact in page
    assert listing.license_terms.name in page and 'class="checklist terms"' in page
    file = listing.versions.get().files.get()
    assert file.artifact.cid in page and file.artifact.sha256 in page and "model.bin" in page
    assert "0.01 ETH" in page and "perpetual" in page and "transferable" in page
    assert "100%" in page and "2.5%" in page and "97.5%" in page  # creator share and fee
    assert listing.versions.get().content_digest in page and "data-provenance" in page
    assert "data-buy" in page and "Purchases open when" not in page
    assert "7 sold" in page


def test_detail_tier_facts():
    listing = factories.listing()
    services.listing_set_tiers(
        listing=listing,
        actor=listing.creator,
        tiers=[
            services.TierSpec(
                name="Monthly",
                price_wei=1,
                duration_seconds=30 * 86_400,
                transferable=False,
                kind="compute",
                supply_cap=100,
            )
        ],
    )
    page = text(client_for(listing.creator).get(f"/listings/{listing.slug}/"))
    assert "0.000000000000000001 ETH" in page
    assert "30 days" in page and "soulbound" in page and "Compute only" in page
    assert "100 seats (renewals need none)" in page  # a time-limited cap counts holders


def test_drafts_are_visible_to_their_creator_and_moderators_only():
    listing = factories.complete_listing()
    url = f"/listings/{listing.slug}/"
    assert client_for().get(url).status_code == 404
    assert client_for(factories.user()).get(url).status_code == 404
    assert client_for(factories.user(moderator=True)).get(url).status_code == 200
    reply = client_for(listing.creator).get(url)
    assert reply.status_code == 200
    assert 'data-testid="status-badge">Draft<' in text(reply)
    assert "Purchases open when the listing is published" in text(reply)


def scanned(artifact, name):
    """A published listing releases only files scanned clean under their name (issue 15)."""
    artifact_scan_run(artifact_id=artifact.pk, as_pickle=loads_as_pickle(name))
    return artifact


def test_version_picker_shows_the_chosen_version():
    listing = published()
    services.version_create(
        listing=listing,
        actor=listing.creator,
        tag="v2",
        changelog="Bigger vocabulary",
        files=[("model-v2.bin", scanned(factories.stored_artifact(), "model-v2.bin"))],
    )
    url = f"/listings/{listing.slug}/"
    latest = text(client_for().get(url))
    assert "model-v2.bin" in latest and "Bigger vocabulary" in latest
    older = text(client_for().get(url + "?version=v1"))
    assert "model.bin" in older and "model-v2.bin" not in older
    assert client_for().get(url + "?version=v9").status_code == 404


def test_card_html_is_sanitised_on_the_page():
    card = (
        "# Hi\n\n<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "[click](javascript:alert(1))\n\n![i](https://example.com/a.png)\n"
    )
    listing = published(card=card)
    page = text(client_for().get(f"/listings/{listing.slug}/"))
    body = page.split('data-testid="card-html">')[1].split("</article>")[0]
    assert "<script" not in body and "onerror=" not in body.replace("onerror=alert(1)&gt;", "")
    assert "javascript:" not in body.replace("[click](javascript", "")
    assert "&lt;script&gt;" in body  # shown as text, not run
    assert '<img src="https://example.com/a.png"' in body


def test_reserved_words_never_become_slugs():
    listing = factories.listing(title="New")
    assert listing.slug != "new"
    assert client_for(listing.creator).get(f"/listings/{listing.slug}/").status_code == 200


# --- creator pages ---------------------------------------------------------------------------


def test_creator_pages_need_a_signed_in_user():
    listing = factories.listing()
    for url in ("/listings/mine/", "/listings/new/", f"/listings/{listing.slug}/edit/"):
        reply = client_for().get(url)
        assert reply.status_code == 302 and "/accounts/sign-in" in reply["Location"]


def test_my_listings_shows_my_own_with_their_status():
    mine = factories.listing(title="Mine to edit")
    factories.listing(title="Someone else's")
    reply = client_for(mine.creator).get("/listings/mine/")
    page = text(reply)
    assert "Mine to edit" in page and "Someone else" not in page
    assert ">Draft<" in page and f"/listings/{mine.slug}/edit/" in page


def test_create_makes_a_draft_and_goes_to_its_edit_page():
    creator = factories.user()
    assert client_for(creator).get("/listings/new/").status_code == 200
    reply = client_for(creator).post(
        "/listings/new/", {"kind": "dataset", "title": "Bird songs", "summary": "Chirps"}
    )
    listing = Listing.objects.get(creator=creator)
    assert (listing.kind, listing.status, listing.title) == ("dataset", S.DRAFT, "Bird songs")
    assert reply.status_code == 302 and reply["Location"] == f"/listings/{listing.slug}/edit/"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"kind": "model", "title": ""}, "This field is required"),
        ({"kind": "robot", "title": "x"}, "Select a valid choice"),
        ({"kind": "model", "title": "x" * 141}, "at most 140 characters"),
    ],
)
def test_create_with_bad_input_shows_errors(data, message):
    reply = client_for(factories.user()).post("/listings/new/", data)
    assert reply.status_code == 400 and message in text(reply)
    assert not Listing.objects.exists()


def test_someone_elses_listing_cannot_be_edited():
    listing = factories.listing()
    stranger = client_for(factories.user())
    assert stranger.get(f"/listings/{listing.slug}/edit/").status_code == 404
    for section in ("details", "tiers", "splits", "status"):
        reply = stranger.post(f"/listings/{listing.slug}/edit/{section}", {"title": "taken"})
        assert reply.status_code == 404
    listing.refresh_from_db()
    assert listing.title == "Tiny model"


def test_edit_page_sections_and_the_tokenize_button():
    listing = factories.listing()
    page = text(client_for(listing.creator).get(f"/listings/{listing.slug}/edit/"))
    for section in ('id="details"', 'id="files"', 'id="tiers"', 'id="splits"', 'id="status"'):
        assert section in page
    assert "data-upload-zone" in page and "data-tokenize" in page
    assert 'data-testid="tokenize" disabled' in page
    assert "needs a version with files, a licence tier" in page

    complete = factories.complete_listing()
    page = text(client_for(complete.creator).get(f"/listings/{complete.slug}/edit/"))
    assert 'data-testid="tokenize">' in page and 'data-complete="true"' in page


def test_edit_details_saves_card_and_terms():
    listing = factories.listing()
    # The creator's own terms, granting what the card's licence grants (a contradiction is
    # refused: test_one_licence.py).
    terms = LicenseTerms.objects.create(
        owner=listing.creator,
        name="Mine",
        commercial_use=True,
        derivatives_allowed=True,
        redistribution_allowed=True,
    )
    reply = client_for(listing.creator).post(
        f"/listings/{listing.slug}/edit/details",
        {"title": "Tiny BERT", "summary": "Small", "license_terms": terms.pk, "card": CARD},
    )
    assert reply.status_code == 302 and reply["Location"].endswith("/edit/#details")
    listing.refresh_from_db()
    assert (listing.title, listing.license_terms, listing.task) == ("Tiny BERT", terms, "fill-mask")


def test_edit_details_shows_card_and_terms_errors():
    listing = factories.listing()
    others = LicenseTerms.objects.create(owner=factories.user(), name="Private terms")
    url = f"/listings/{listing.slug}/edit/details"
    reply = client_for(listing.creator).post(url, {"title": "T", "card": "---\nlicense: [\n---\n"})
    assert reply.status_code == 400 and "front matter is not valid" in text(reply)
    reply = client_for(listing.creator).post(url, {"title": "T", "license_terms": others.pk})
    assert reply.status_code == 400 and "Select a valid choice" in text(reply)
    listing.refresh_from_db()
    assert listing.title == "Tiny model"


def tier_post(rows: list[dict], initial: int = 0) -> dict:
    data = {"tiers-TOTAL_FORMS": len(rows), "tiers-INITIAL_FORMS": initial}
    for index, row in enumerate(rows):
        defaults = {"duration_days": "0", "kind": "download", "currency": Tier.ETH}
        for name, value in {**defaults, **row}.items():
            data[f"tiers-{index}-{name}"] = value
    return data


def test_edit_tiers_converts_eth_and_days_exactly():
    listing = factories.listing()
    rows = [
        {"name": "Download", "price": "0.01", "duration_days": "0", "transferable": "on"},
        {"name": "Monthly", "price": "1.000000000000000001", "duration_days": "30"},
        {"name": "", "price": "", "transferable": "on"},  # an untouched added row: skipped
        {"name": "Gone", "price": "1", "DELETE": "on"},
    ]
    reply = client_for(listing.creator).post(
        f"/listings/{listing.slug}/edit/tiers", tier_post(rows)
    )
    assert reply.status_code == 302, text(reply)
    tiers = list(listing.tiers.all())
    assert [(t.name, t.price_wei, t.duration_seconds, t.transferable) for t in tiers] == [
        ("Download", Decimal(10**16), 0, True),
        ("Monthly", Decimal(10**18 + 1), 30 * 86_400, False),
    ]
    page = text(client_for(listing.creator).get(f"/listings/{listing.slug}/edit/"))
    assert 'value="1.000000000000000001"' in page and 'value="30"' in page


@pytest.mark.parametrize(
    "rows, message",
    [
        ([{"name": "A", "price": "-1"}], "cannot be negative"),
        ([{"name": "A", "price": "cheap"}], "Enter an amount of ETH"),
        ([{"name": "A", "price": "1", "duration_days": "-2"}], "greater than or equal to 0"),
        ([{"name": "A", "price": "1", "supply_cap": "0"}], "greater than or equal to 1"),
        ([{"name": "A", "price": "1", "kind": "rent"}], "Select a valid choice"),
        ([{"name": "A", "price": "1", "DELETE": "on"}], "Add at least one tier"),
        ([{"name": "A", "price": "400000000000000000000"}], "between 0 and 2^128"),
    ],
)
def test_edit_tiers_errors_show_next_to_the_fields(rows, message):
    listing = factories.listing()
    reply = client_for(listing.creator).post(
        f"/listings/{listing.slug}/edit/tiers", tier_post(rows)
    )
    assert reply.status_code == 400 and message in text(reply)
    assert not listing.tiers.exists()


def test_edit_tiers_without_management_form_is_a_400():
    listing = factories.listing()
    reply = client_for(listing.creator).post(f"/listings/{listing.slug}/edit/tiers", {})
    assert reply.status_code == 400


def test_tiers_and_split_are_read_only_once_submitted():
    listing = factories.complete_listing()
    services.listing_submit(listing=listing, actor=listing.creator)
    client = client_for(listing.creator)
    page = text(client.get(f"/listings/{listing.slug}/edit/"))
    assert "Tiers change only while the listing is a draft" in page
    assert 'data-testid="tiers-form"' not in page and 'data-testid="tokenize"' not in page
    reply = client.post(
        f"/listings/{listing.slug}/edit/tiers", tier_post([{"name": "B", "price": "2"}])
    )
    assert reply.status_code == 409 and "only while the listing is a draft" in text(reply)


def split_post(rows: list[dict]) -> dict:
    data = {"splits-TOTAL_FORMS": len(rows), "splits-INITIAL_FORMS": 0}
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"splits-{index}-{name}"] = value
    return data


def test_edit_splits_saves_percentages_as_basis_points():
    listing = factories.listing()
    me = listing.creator.address
    rows = [
        {"address": me, "percent": "87.5"},
        {"address": PARTNER, "percent": "12.5", "label": "Data labelling"},
    ]
    reply = client_for(listing.creator).post(
        f"/listings/{listing.slug}/edit/splits", split_post(rows)
    )
    assert reply.status_code == 302, text(reply)
    saved = {(s.address.lower(), s.bps, s.label) for s in SplitRecipient.objects.all()}
    assert saved == {(me.lower(), 8750, ""), (PARTNER, 1250, "Data labelling")}
    page = text(client_for(listing.creator).get(f"/listings/{listing.slug}/edit/"))
    assert page.index(me) < page.index("Data labelling")  # the creator's own row first


@pytest.mark.parametrize(
    "rows, message",
    [
        ([{"address": PARTNER, "percent": "50"}], "add up to 50%, not 100%"),
        ([{"address": "0x123", "percent": "100"}], "Not a valid Ethereum address"),
        (
            [{"address": PARTNER, "percent": "50"}, {"address": PARTNER, "percent": "50"}],
            "only once",
        ),
        ([{"address": PARTNER, "percent": "0"}], "greater than or equal to 0.01"),
        ([{"address": PARTNER, "percent": "99.999"}], "more than 2 decimal places"),
    ],
)
def test_edit_splits_errors(rows, message):
    listing = factories.listing()
    reply = client_for(listing.creator).post(
        f"/listings/{listing.slug}/edit/splits", split_post(rows)
    )
    assert reply.status_code == 400 and message in text(reply)
    assert listing.splits.get().bps == 10_000


def test_status_panel_delists_a_draft_and_shows_the_history():
    listing = factories.listing()
    client = client_for(listing.creator)
    url = f"/listings/{listing.slug}/edit/status"
    assert client.post(url, {"to_status": "published"}).status_code == 400  # not the creator's
    assert client.post(url, {"to_status": "delisted"}).status_code == 302
    listing.refresh_from_db()
    assert listing.status == S.DELISTED
    page = text(client.get(f"/listings/{listing.slug}/edit/"))
    assert 'data-testid="status-history"' in page and "Delisted" in page
    reply = client.post(url, {"to_status": "delisted"})
    assert reply.status_code == 409 and "cannot go from delisted" in text(reply)


# --- card preview API --------------------------------------------------------------------------


def test_card_preview_renders_and_reports_yaml_errors():
    client = client_for(factories.user())
    url = "/api/v1/listings/preview-card"
    reply = client.post(url, {"card": CARD}, content_type="application/json")
    assert reply.status_code == 200
    body = reply.json()
    assert "<h1>Tiny BERT</h1>" in body["html"]
    assert body["metadata"]["license"] == "apache-2.0" and body["metadata"]["tags"] == [
        "nlp",
        "bert",
    ]
    reply = client.post(url, {"card": "---\na: [\n---\n"}, content_type="application/json")
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "invalid_card"
    assert "line" in reply.json()["error"]["message"]
    anonymous = client_for().post(url, {"card": "x"}, content_type="application/json")
    assert anonymous.status_code in (401, 403)


def test_status_panel_withdraws_from_review():
    listing = factories.complete_listing()
    services.listing_submit(listing=listing, actor=listing.creator)
    client = client_for(listing.creator)
    page = text(client.get(f"/listings/{listing.slug}/edit/"))
    assert "Withdraw from review" in page and "Waiting for a moderator" in page
    reply = client.post(f"/listings/{listing.slug}/edit/status", {"to_status": "draft"})
    assert reply.status_code == 302
    listing.refresh_from_db()
    assert listing.status == S.DRAFT
