from decimal import Decimal

import pytest

from core.errors import ApiError
from listings import services, tasks
from listings.models import Listing, ListingStatusChange
from listings.tests import factories
from listings.tests.moderation_helpers import scan_files

pytestmark = pytest.mark.django_db
S = Listing.Status


def test_create_gives_a_unique_slug_and_the_creator_the_whole_split():
    first = factories.listing(title="Tiny BERT")
    second = factories.listing(title="Tiny BERT")
    assert (first.slug, second.slug) == ("tiny-bert", "tiny-bert-2")
    assert [(s.address, s.bps) for s in first.splits.all()] == [(first.creator.address, 10_000)]


def test_card_metadata_feeds_filters_and_tags():
    listing = factories.listing(
        card="---\nlicense: mit\ntags: [NLP, bert]\npipeline_tag: fill-mask\n---\n"
    )
    assert (listing.license_id, listing.task) == ("mit", "fill-mask")
    assert sorted(listing.tag_rows.values_list("tag", flat=True)) == ["bert", "nlp"]
    services.listing_update(listing=listing, actor=listing.creator, card="---\ntags: [bert]\n---\n")
    assert list(listing.tag_rows.values_list("tag", flat=True)) == ["bert"]


def test_invalid_card_is_refused_and_nothing_is_saved():
    with pytest.raises(ApiError, match="front matter is not valid"):
        factories.listing(card="---\nlicense: [\n---\n")
    assert not Listing.objects.exists()


def test_only_the_creator_edits():
    listing = factories.listing()
    with pytest.raises(ApiError) as error:
        services.listing_update(listing=listing, actor=factories.user(), title="mine now")
    assert error.value.status_code == 403


def test_tiers_set_price_summary_and_keep_wei_exact():
    listing = factories.listing()
    huge = 2**128 - 1  # the contract's uint128 price
    services.listing_set_tiers(
        listing=listing,
        actor=listing.creator,
        tiers=[
            services.TierSpec(name="Compute", price_wei=huge, kind="compute"),
            services.TierSpec(name="Free", price_wei=0),
        ],
    )
    listing.refresh_from_db()
    assert listing.min_price_wei == Decimal(0)
    assert (listing.is_free, listing.has_compute) == (True, True)
    assert listing.tiers.get(position=0).price_wei == Decimal(huge)


@pytest.mark.parametrize(
    "splits, message",
    [
        ([("0x" + "11" * 20, 5000, "")], "add up to 100%"),
        ([("0x" + "11" * 20, 5000, ""), ("0x" + "11" * 20, 5000, "")], "only once"),
        ([("not-an-address", 10_000, "")], "valid address"),
        ([("0x" + "11" * 20, 10_001, ""), ("0x" + "22" * 20, -1, "")], "positive"),
        ([], "between 1 and"),
    ],
)
def test_bad_splits_are_refused(splits, message):
    listing = factories.listing()
    with pytest.raises(ApiError, match=message):
        services.listing_set_splits(listing=listing, actor=listing.creator, splits=splits)
    assert listing.splits.count() == 1  # the old split is untouched


def test_splits_replace_the_old_ones():
    listing = factories.listing()
    partner = "0x" + "ab" * 20
    services.listing_set_splits(
        listing=listing,
        actor=listing.creator,
        splits=[(listing.creator.address, 7000, "me"), (partner, 3000, "data partner")],
    )
    assert sorted(listing.splits.values_list("bps", flat=True)) == [3000, 7000]


def test_versions_are_immutable_and_digest_their_files():
    listing = factories.listing()
    a, b = factories.artifact(b"a"), factories.artifact(b"b")
    version = services.version_create(
        listing=listing, actor=listing.creator, tag="1.0.0", files=[("b.txt", b), ("a.txt", a)]
    )
    assert version.content_digest == services.content_digest([("a.txt", a.cid), ("b.txt", b.cid)])
    with pytest.raises(ApiError, match="exists already"):
        services.version_create(
            listing=listing, actor=listing.creator, tag="1.0.0", files=[("a", a)]
        )


@pytest.mark.parametrize("path", ["../etc/passwd", "/abs", "a//b", "", "a/./b", "x\x00y"])
def test_version_file_paths_must_be_safe(path):
    listing = factories.listing()
    with pytest.raises(ApiError):
        services.version_create(
            listing=listing, actor=listing.creator, tag="v1", files=[(path, factories.artifact())]
        )


def test_submit_requires_a_complete_listing():
    listing = factories.listing()
    with pytest.raises(ApiError, match="a version with files, a licence tier"):
        services.listing_submit(listing=listing, actor=listing.creator)


def test_submit_goes_to_review_then_a_moderator_publishes(settings):
    settings.LISTINGS_REQUIRE_REVIEW = True
    listing = factories.complete_listing()
    listing = services.listing_submit(listing=listing, actor=listing.creator)
    assert listing.status == S.PENDING_REVIEW
    moderator = factories.user(moderator=True)
    listing = services.listing_set_status(listing=listing, to_status=S.PUBLISHED, actor=moderator)
    assert listing.status == S.PUBLISHED and listing.published_at is not None
    history = list(ListingStatusChange.objects.filter(listing=listing).order_by("id"))
    assert [(h.from_status, h.to_status) for h in history] == [
        (S.DRAFT, S.PENDING_REVIEW),
        (S.PENDING_REVIEW, S.PUBLISHED),
    ]
    assert history[1].actor == moderator


def test_submit_publishes_at_once_when_review_is_off(settings):
    settings.LISTINGS_REQUIRE_REVIEW = False
    listing = factories.complete_listing(stored=True)
    scan_files(listing)
    assert services.listing_submit(listing=listing, actor=listing.creator).status == S.PUBLISHED


def test_without_review_a_listing_waits_for_its_scans(settings, django_capture_on_commit_callbacks):
    settings.LISTINGS_REQUIRE_REVIEW = False
    listing = factories.complete_listing(stored=True)
    with django_capture_on_commit_callbacks() as scheduled:
        listing = services.listing_submit(listing=listing, actor=listing.creator)
    assert listing.status == S.PENDING_REVIEW  # the scan has not run yet
    assert scheduled  # the scan, and another look at the listing 30 s later
    scan_files(listing)
    tasks.listing_autopublish_task(listing.pk, 1)  # what the task scheduled 30 s later does
    listing.refresh_from_db()
    assert listing.status == S.PUBLISHED


def test_without_review_missing_metadata_is_refused_before_review(settings):
    settings.LISTINGS_REQUIRE_REVIEW = False
    listing = factories.complete_listing(card="", summary="")
    with pytest.raises(ApiError) as error:
        services.listing_submit(listing=listing, actor=listing.creator)
    assert error.value.get_codes() == "metadata_incomplete"
    assert Listing.objects.get(pk=listing.pk).status == S.DRAFT


def test_creator_cannot_approve_their_own_listing():
    listing = factories.complete_listing()
    services.listing_submit(listing=listing, actor=listing.creator)
    with pytest.raises(ApiError) as error:
        services.listing_set_status(listing=listing, to_status=S.PUBLISHED, actor=listing.creator)
    assert error.value.status_code == 403


def test_transitions_outside_the_table_are_refused():
    listing = factories.listing()
    with pytest.raises(ApiError, match="cannot go from draft to paused") as error:
        services.listing_set_status(
            listing=listing, to_status=S.PAUSED, actor=factories.user(moderator=True)
        )
    assert error.value.status_code == 409


def test_moderator_rejection_needs_a_reason():
    listing = factories.complete_listing()
    services.listing_submit(listing=listing, actor=listing.creator)
    moderator = factories.user(moderator=True)
    with pytest.raises(ApiError, match="Give a reason"):
        services.listing_set_status(listing=listing, to_status=S.DRAFT, actor=moderator)
    listing = services.listing_set_status(
        listing=listing, to_status=S.DRAFT, actor=moderator, reason="Card lacks a licence"
    )
    assert listing.status_changes.first().reason == "Card lacks a licence"


def test_tiers_freeze_once_submitted():
    listing = factories.complete_listing()
    services.listing_submit(listing=listing, actor=listing.creator)
    with pytest.raises(ApiError, match="only while the listing is a draft"):
        services.listing_set_tiers(
            listing=listing, actor=listing.creator, tiers=[services.TierSpec("x", 1)]
        )
