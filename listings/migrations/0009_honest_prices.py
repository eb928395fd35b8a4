"""Honest card prices (issue 17): tiers that need the creator's approval no longer make a listing
"Free"; the cheapest open tier's currency is kept; existing listings are recomputed."""

from decimal import Decimal

from django.db import migrations, models

ETH = "0x0000000000000000000000000000000000000000"


def recompute(apps, schema_editor):
    # The rule of listings/prices.py, restated here: migrations must not import app code.
    Listing = apps.get_model("listings", "Listing")
    for listing in Listing.objects.all().iterator():
        tiers = list(listing.tiers.filter(active=True))
        if not tiers:
            continue
        open_tiers = [t for t in tiers if not t.requires_approval]
        candidates = [t for t in open_tiers if t.currency == ETH] or open_tiers
        cheapest = min(candidates, key=lambda t: int(t.price_wei), default=None)
        listing.min_price_wei = None if cheapest is None else Decimal(int(cheapest.price_wei))
        listing.min_price_currency = "" if cheapest is None else cheapest.currency
        listing.is_free = cheapest is not None and int(cheapest.price_wei) == 0
        listing.free_on_request = any(t.requires_approval for t in tiers)
        listing.save(
            update_fields=["min_price_wei", "min_price_currency", "is_free", "free_on_request"]
        )


class Migration(migrations.Migration):
    dependencies = [("listings", "0008_ownership_backfill")]

    operations = [
        migrations.AddField(
            model_name="listing",
            name="min_price_currency",
            field=models.CharField(blank=True, max_length=42),
        ),
        migrations.AddField(
            model_name="listing",
            name="free_on_request",
            field=models.BooleanField(
                default=False,
                help_text="A tier is free once the creator approves an access request.",
            ),
        ),
        migrations.RunPython(recompute, migrations.RunPython.noop),
    ]
