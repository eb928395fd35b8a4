"""The listing fields the chain decides have their one writer here (the indexer's handlers in
payments compute the facts and call these services).

A registered listing's terms follow the chain: once a listing is registered, its split and
tier prices change only by transactions its owner sends (setSplits, setTierPrice, or their
signed variants), and the indexer calls these services so the site shows what the contract
will charge and pay. Labels and tier names are ours alone and are kept.

Also the platform fee as the site shows it: the row the indexer writes when a
`PlatformFeeUpdated` event arrives (payments.onchain.changes), cached, with the deploy setting
until the indexer has seen the deployment. Never read from the contract on a page: that chain
call loaded web3 (~30 MiB) into the web process (issue 20)."""

from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from core.eth import to_checksum_address
from listings import page_cache
from listings.models import Listing, PlatformFee, SplitRecipient, Tier
from listings.prices import price_summary

ZERO = "0x0000000000000000000000000000000000000000"
FEE_CACHE_KEY = "listings:platform_fee_bps"
FEE_CACHE_SECONDS = 60  # a primary-key read when it runs out; other processes follow within it
FEE_UNINDEXED_CACHE_SECONDS = 30  # the setting, until the indexer has seen the deployment


@transaction.atomic
def listing_apply_onchain_split(*, listing: Listing, splits: list[tuple[str, int]]) -> bool:
    """Make the listing's split the one stored on-chain: (recipient, bps) in contract order,
    recipient 0 meaning the listing's owner now (the ownership token's holder). Labels of
    addresses that stay are kept. Returns whether anything changed."""
    listing = Listing.objects.select_for_update().select_related("creator").get(pk=listing.pk)
    wanted: dict[str, int] = {}
    for recipient, bps in splits:
        address = listing.owner_address if int(recipient, 16) == 0 else recipient
        address = to_checksum_address(address)
        wanted[address] = wanted.get(address, 0) + int(bps)
    current = {row.address: row for row in listing.splits.all()}
    if {a: r.bps for a, r in current.items()} == wanted:
        return False
    labels = {address: row.label for address, row in current.items()}
    listing.splits.all().delete()
    SplitRecipient.objects.bulk_create(
        SplitRecipient(listing=listing, address=address, bps=bps, label=labels.get(address, ""))
        for address, bps in wanted.items()
        if bps > 0
    )
    return True


@transaction.atomic
def tier_apply_onchain_price(*, listing: Listing, position: int, price: int, currency: str) -> bool:
    """Make a tier's price and currency the ones stored on-chain; the listing's cheapest price
    (browse sorting, "free") follows. Returns whether anything changed."""
    tier = Tier.objects.select_for_update().filter(listing=listing, position=position).first()
    if tier is None:
        return False
    currency = to_checksum_address(currency)
    if int(tier.price_wei) == int(price) and tier.currency == currency:
        return False
    tier.price_wei, tier.currency = Decimal(int(price)), currency
    tier.save(update_fields=["price_wei", "currency"])
    tiers = list(listing.tiers.filter(active=True))
    if tiers:
        Listing.objects.filter(pk=listing.pk).update(**price_summary(tiers).fields())
    return True


def platform_fee_bps() -> int:
    """The platform fee in basis points as the contract charges it, as the indexer last saw it
    (cached); the deploy setting until the indexer has seen the deployment."""
    cached = cache.get(FEE_CACHE_KEY)
    if cached is not None:
        return int(cached)
    bps = PlatformFee.objects.filter(pk=PlatformFee.ROW).values_list("bps", flat=True).first()
    if bps is None:
        cache.set(FEE_CACHE_KEY, settings.CHAIN_PLATFORM_FEE_BPS, FEE_UNINDEXED_CACHE_SECONDS)
        return settings.CHAIN_PLATFORM_FEE_BPS
    cache.set(FEE_CACHE_KEY, bps, FEE_CACHE_SECONDS)
    return bps


def platform_fee_set(*, bps: int | None) -> None:
    """What the indexer saw set on-chain (None: no fee event left, after a reorg), in the
    indexer's transaction; once it commits, pages show it without waiting for the cache."""
    if bps is None:
        PlatformFee.objects.filter(pk=PlatformFee.ROW).delete()
    else:
        PlatformFee.objects.update_or_create(pk=PlatformFee.ROW, defaults={"bps": int(bps)})

    def show() -> None:
        cache.delete(FEE_CACHE_KEY)
        page_cache.forget(site=True)  # every listing page shows the fee

    transaction.on_commit(show)


def listing_chain_facts_set(*, facts: dict[int, dict]) -> list[int]:
    """Store what the chain says of each listing ({listing id: {"sales_count", "onchain_paused"}}),
    with `update()` rather than save(): a sale is not an edit of the listing. Only a real
    change rewrites a row and drops the listing's cached pages. Returns the changed ids."""
    changed = []
    for pk, values in facts.items():
        if Listing.objects.filter(pk=pk).exclude(**values).update(**values):
            changed.append(pk)
    if changed:
        page_cache.forget_listings(listing_ids=changed)
    return changed
