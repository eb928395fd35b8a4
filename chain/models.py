"""What the event indexer keeps: one cursor per chain, every log of our contracts exactly once,
and the hashes of recently indexed blocks (to notice a reorganisation).

Apps record the effects of a log as rows with a foreign key to its ChainLog (on_delete=CASCADE),
so deleting orphaned logs after a reorg deletes their effects with them (see chain.registry)."""

from django.db import models


class IndexerCursor(models.Model):
    """How far the indexer has got on one chain: every log up to and including `block_number`
    (whose hash was `block_hash`) is stored and handled. Also the row the indexer locks, so one
    batch at a time is indexed per chain whatever the number of workers."""

    chain_id = models.PositiveBigIntegerField(unique=True)
    block_number = models.BigIntegerField(help_text="Last block fully indexed.")
    block_hash = models.CharField(max_length=66, blank=True)
    head = models.BigIntegerField(null=True, blank=True, help_text="Chain head at the last run.")
    # Which deployment the cursor belongs to: a redeploy makes the indexer start over there.
    deployment = models.CharField(max_length=16, blank=True)
    # Why indexing stopped and an operator must act (a reorg deeper than the kept hashes);
    # empty while it runs. /healthz answers 503 while it is set, so alerts fire.
    stopped = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "indexer cursor"

    def __str__(self) -> str:
        return f"chain {self.chain_id} at block {self.block_number}"

    @property
    def lag(self) -> int | None:
        """Blocks between the head seen at the last run and the cursor."""
        return None if self.head is None else max(0, self.head - self.block_number)


class ChainLog(models.Model):
    """One log emitted by one of our contracts, decoded. `args` holds the event's arguments
    as JSON: integers exact (uint256 included), addresses checksummed, bytes as 0x-hex."""

    chain_id = models.PositiveBigIntegerField()
    block_number = models.PositiveBigIntegerField()
    block_hash = models.CharField(max_length=66)
    block_time = models.DateTimeField()
    tx_hash = models.CharField(max_length=66)
    log_index = models.PositiveIntegerField()
    address = models.CharField(max_length=42)
    contract = models.CharField(max_length=64)
    event = models.CharField(max_length=64)
    args = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["chain_id", "block_number", "log_index"]
        constraints = [
            models.UniqueConstraint(
                fields=["chain_id", "tx_hash", "log_index"], name="chain_log_unique"
            ),
        ]
        # Only what the indexer needs (every index slows the insert of every log): the block
        # order, for rollbacks and for finding a batch's rows.
        indexes = [models.Index(fields=["chain_id", "block_number"], name="chain_log_block")]

    def __str__(self) -> str:
        return f"{self.contract}.{self.event} @{self.block_number}#{self.log_index}"

    @property
    def order(self) -> tuple[int, int]:
        """Position in the chain: later logs win when they set the same thing."""
        return (self.block_number, self.log_index)


class BlockHash(models.Model):
    """The hash of a block the indexer read logs up to (or found logs in). The newest few are
    kept; when one no longer matches the chain, the blocks after the last one that still does
    were reorganised away."""

    chain_id = models.PositiveBigIntegerField()
    number = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=66)

    class Meta:
        ordering = ["chain_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["chain_id", "number"], name="block_hash_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.hash}"


class ReleaseAttestation(models.Model):
    """A ModelRelease attestation (chain/provenance.py) as EAS holds it, read back from the chain
    once the site made or relayed it (chain/releases.py). The model tree's attested edges
    (listings/model_tree.py): `parent_uid` is the release this one derives from, the listing's
    previous version or a base model's release on this site."""

    chain_id = models.PositiveBigIntegerField()
    uid = models.CharField(max_length=66)
    listing_id = models.CharField(max_length=78, help_text="The attested uint256 listing id.")
    version = models.CharField(max_length=200)
    content_digest = models.CharField(max_length=66)
    cid = models.CharField(max_length=200, blank=True)
    parent_uid = models.CharField(max_length=66, blank=True, db_index=True)
    base_model = models.CharField(max_length=200, blank=True)
    attester = models.CharField(max_length=42)
    recipient = models.CharField(max_length=42)
    attested_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["chain_id", "attested_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["chain_id", "uid"], name="release_attestation_unique"),
        ]

    def __str__(self) -> str:
        return f"ModelRelease {self.uid[:10]}… ({self.version})"
