from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q

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


class Tier(models.Model):
    """A licence tier. Its position is the tier id on-chain (token id = listing × tier)."""

    class Kind(models.TextChoices):
        DOWNLOAD = "download", "Download"
        COMPUTE = "compute", "Compute only"
        BOTH = "both", "Download and compute"

    ETH = "0x0000000000000000000000000000000000000000"

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="tiers")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=80)
    price_wei = WeiField()
    # ERC-20 token address, or the zero address for ETH.
    currency = models.CharField(max_length=42, default=ETH)
    duration_seconds = models.PositiveBigIntegerField(default=0, help_text="0 = perpetual")
    transferable = models.BooleanField(default=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.DOWNLOAD)
    supply_cap = models.PositiveBigIntegerField(null=True, blank=True, help_text="empty = no cap")
    # A free tier gated by the creator: access comes only from an approved access request
    # (payments.AccessGrant), never from the free licence token alone (anyone can mint that).
    requires_approval = models.BooleanField(default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["listing_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "position"], name="tier_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.listing} / {self.name}"

    @property
    def is_eth(self) -> bool:
        return self.currency == self.ETH


class SplitRecipient(models.Model):
    """Who is paid what share of each sale (after the platform fee), in basis points. The
    creator's own row becomes the contract's "current owner" recipient in the signed offer, so
    their share follows the ownership token."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="splits")
    address = models.CharField(max_length=42)
    bps = models.PositiveIntegerField()
    label = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["listing_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "address"], name="split_unique_address"),
            models.CheckConstraint(condition=Q(bps__gt=0, bps__lte=10_000), name="split_bps_range"),
        ]


class Version(models.Model):
    """An immutable release: a tag, a changelog and a fixed set of files."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="versions")
    tag = models.CharField(max_length=64)
    changelog = models.TextField(blank=True)
    # The manifest: one "path<TAB>cid" line per file, sorted by path, stored as an artifact so
    # anyone can fetch it by CID. Its sha256 is the content digest offers and provenance sign.
    manifest = models.ForeignKey(
        "artifacts.Artifact", on_delete=models.PROTECT, related_name="+", null=True
    )
    content_digest = models.CharField(max_length=66)
    # The listing's owner who released it (the ownership token's holder at the time): the
    # recipient of its ModelRelease attestation.
    released_by = models.CharField(max_length=42, blank=True)
    # The ModelRelease attestation (EAS) of this version, once made.
    release_uid = models.CharField(max_length=66, blank=True)
    release_attested_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["listing_id", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "tag"], name="version_unique_tag"),
        ]

    def __str__(self) -> str:
        return f"{self.listing} {self.tag}"


class VersionFile(models.Model):
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="files")
    artifact = models.ForeignKey("artifacts.Artifact", on_delete=models.PROTECT, related_name="+")
    path = models.CharField(max_length=255)

    class Meta:
        ordering = ["version_id", "path"]
        constraints = [
            models.UniqueConstraint(fields=["version", "path"], name="version_file_unique_path"),
        ]


class Report(models.Model):
    """A signed-in user's report of a listing. Moderators resolve it, and the decision stays."""

    class Category(models.TextChoices):
        MALWARE = "malware", "Malicious or unsafe files"
        COPYRIGHT = "copyright", "Copyright or licence violation"
        PRIVACY = "privacy", "Personal data or privacy"
        MISLEADING = "misleading", "Misleading description"
        ILLEGAL = "illegal", "Illegal or harmful content"
        SPAM = "spam", "Spam or scam"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACTIONED = "actioned", "Resolved: action taken"
        DISMISSED = "dismissed", "Resolved: no action"

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.CharField(max_length=16, choices=Category.choices)
    text = models.TextField(max_length=4000)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    decision = models.TextField(blank=True, help_text="What the moderator decided, and why.")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "listing"], name="report_status_listing")]
        constraints = [
            # One open report per person and listing: reporting again adds nothing to the queue.
            models.UniqueConstraint(
                fields=["listing", "reporter"],
                condition=Q(status="open"),
                name="report_one_open_per_reporter",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.listing}"


class OwnershipTransfer(models.Model):
    """A `Transfer` of a listing's ListingOwnership token (the mint at registration included),
    one per log: the latest in chain order names the listing's owner, and the rows together are
    its ownership history. Deleted with the log when a reorg orphans it."""

    log = models.OneToOneField("chain.ChainLog", on_delete=models.CASCADE, related_name="+")
    listing = models.ForeignKey(
        Listing, null=True, on_delete=models.CASCADE, related_name="ownership_transfers"
    )
    onchain_listing_id = WeiField()
    from_address = models.CharField(max_length=42)
    to_address = models.CharField(max_length=42)
    tx_hash = models.CharField(max_length=66)
    block_number = models.PositiveBigIntegerField()
    log_index = models.PositiveIntegerField()
    block_time = models.DateTimeField()

    class Meta:
        ordering = ["listing_id", "block_number", "log_index"]
        indexes = [
            models.Index(fields=["listing", "block_number", "log_index"], name="ownership_order")
        ]

    def __str__(self) -> str:
        return f"{self.listing_id}: {self.from_address} -> {self.to_address}"

    @property
    def order(self) -> tuple[int, int]:
        return (self.block_number, self.log_index)


class ListingLike(models.Model):
    """A signed-in person likes a listing (once); Listing.like_count follows."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["listing", "user"], name="listing_like_once")
        ]
