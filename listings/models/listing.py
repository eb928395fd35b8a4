"""A listing, its licence terms, tags, status history and likes."""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models

from chain import typed_data
from core.db import WeiField


class LicenseTerms(models.Model):
    """A reusable set of licence terms. Presets have no owner; creators may define their own."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    name = models.CharField(max_length=80)
    commercial_use = models.BooleanField(default=False)
    derivatives_allowed = models.BooleanField(default=False)
    attribution_required = models.BooleanField(default=True)
    ai_training_allowed = models.BooleanField(default=False)
    redistribution_allowed = models.BooleanField(default=False)
    custom_text = models.TextField(blank=True)

    class Meta:
        ordering = ["owner_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="license_terms_unique_name"),
        ]

    @property
    def guide_flags(self) -> list[bool]:
        """In the order of the edit page's comparison table (templates/listings/_terms_guide)."""
        return [
            self.commercial_use,
            self.derivatives_allowed,
            self.ai_training_allowed,
            self.redistribution_allowed,
            self.attribution_required,
        ]

    def __str__(self) -> str:
        return self.name


class Listing(models.Model):
    class Kind(models.TextChoices):
        MODEL = "model", "Model"
        DATASET = "dataset", "Dataset"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PENDING_REVIEW = "pending_review", "Pending review"
        PUBLISHED = "published", "Published"
        PAUSED = "paused", "Paused"
        DELISTED = "delisted", "Delisted"

    # Who made the listing. Its on-chain id carries this address for good; who controls the
    # listing now is `owner_address`.
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="listings"
    )
    # Who controls the listing: the holder of its ListingOwnership token once it is registered
    # (kept by the indexer, listings.ownership), its creator before. Every management check
    # reads it through listings.selectors.listing_controlled_by (docs/ownership.md).
    owner_address = models.CharField(max_length=42, db_index=True, default="")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=140)
    slug = models.SlugField(max_length=160, unique=True)
    summary = models.CharField(max_length=300, blank=True)
    card = models.TextField(blank=True, help_text="Markdown with optional YAML front matter.")
    # Normalised front matter (license, tags, pipeline_tag, library_name, ...), for filters.
    card_metadata = models.JSONField(default=dict, blank=True)
    license_terms = models.ForeignKey(
        LicenseTerms, null=True, blank=True, on_delete=models.PROTECT, related_name="listings"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    # ERC-2981 royalty on resales of this listing's licence tokens (the contract caps it).
    royalty_bps = models.PositiveSmallIntegerField(default=0)
    # Denormalised from card_metadata so browse filters are plain indexed lookups.
    task = models.CharField(max_length=64, blank=True, db_index=True)
    license_id = models.CharField(max_length=64, blank=True, db_index=True)
    # Cheapest active tier price in wei (None when there is no tier), for price filters/sorting.
    # (listings/prices.py: tiers that need the creator's approval do not count; see below.)
    min_price_wei = WeiField(null=True, blank=True)
    min_price_currency = models.CharField(max_length=42, blank=True)
    is_free = models.BooleanField(default=False)
    free_on_request = models.BooleanField(
        default=False, help_text="A tier is free once the creator approves an access request."
    )
    has_compute = models.BooleanField(default=False, help_text="Some tier sells compute access.")
    sales_count = models.PositiveIntegerField(default=0)
    # Download links given to people other than the creator (payments.access.downloads), and likes.
    download_count = models.PositiveIntegerField(default=0)
    like_count = models.PositiveIntegerField(default=0)
    # How many first rows of each tabular file anyone may preview (listings/preview.py); 0 = none.
    preview_rows = models.PositiveSmallIntegerField(default=0)
    # A moderator paused sales on-chain (Marketplace.pauseListing); kept by the chain indexer.
    onchain_paused = models.BooleanField(default=False)
    # Weighted tsvector kept by listings.search on PostgreSQL (GIN-indexed there); unused on
    # SQLite, where search falls back to substring matching.
    search_document = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # One index per browse sort, ending in id (the tie-breaker), so a page of any sort is
        # an index range scan (forward or backward) instead of a sort of every match.
        indexes = [
            models.Index(fields=["status", "published_at", "id"], name="listing_status_newest"),
            models.Index(fields=["status", "sales_count", "id"], name="listing_status_sold"),
            models.Index(fields=["status", "min_price_wei", "id"], name="listing_status_price_id"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def onchain_id(self) -> int:
        """The id the Marketplace contract knows it by: the creator's address in the high bits
        and our primary key in the low 88, so no one can register an id for someone else."""
        return typed_data.listing_id(self.creator.address, self.pk)


class ListingTag(models.Model):
    """One row per (listing, tag): tag filters are an indexed lookup on every database."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="tag_rows")
    tag = models.CharField(max_length=100, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["listing", "tag"], name="listing_tag_unique"),
        ]


class ListingNameRef(models.Model):
    """A name the listing's card lists as a base model or a dataset, lowercased: finding the
    listings whose cards name another (its fine-tunes, the models trained on it) is an indexed
    lookup, not a scan of every card (listings/lineage.py)."""

    class Key(models.TextChoices):
        BASE_MODEL = "base_model", "Base model"
        DATASETS = "datasets", "Dataset"

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="name_refs")
    key = models.CharField(max_length=16, choices=Key.choices)
    name = models.CharField(max_length=200)

    class Meta:
        indexes = [models.Index(fields=["key", "name"], name="listing_name_ref_lookup")]
        constraints = [
            models.UniqueConstraint(
                fields=["listing", "key", "name"], name="listing_name_ref_unique"
            ),
        ]


class ListingStatusChange(models.Model):
    """Every status change, who made it and why (the moderation history)."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=16, choices=Listing.Status.choices)
    to_status = models.CharField(max_length=16, choices=Listing.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class ListingLike(models.Model):
    """A signed-in person likes a listing (once); Listing.like_count follows."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["listing", "user"], name="listing_like_once")
        ]
