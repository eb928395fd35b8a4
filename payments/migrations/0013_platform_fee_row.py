"""The platform fee pages show now lives in a row listings owns (listings.PlatformFee), written
by the indexer; fill it from the fee changes already indexed."""

from django.db import migrations


def fill(apps, schema_editor):
    PlatformFeeChange = apps.get_model("payments", "PlatformFeeChange")
    PlatformFee = apps.get_model("listings", "PlatformFee")
    latest = PlatformFeeChange.objects.order_by("-block_number", "-log__log_index").first()
    if latest is not None:
        PlatformFee.objects.update_or_create(pk=1, defaults={"bps": latest.bps})


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0012_ledger_redundant_indexes"),
        ("listings", "0013_platform_fee"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
