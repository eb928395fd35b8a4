"""PostgreSQL-only GIN index for full-text search (SQLite has no tsvector and searches by
substring instead), and the site's licence presets every creator can pick."""

from django.db import migrations

PRESETS = [
    {
        "name": "Open (commercial, derivatives, AI training)",
        "commercial_use": True,
        "derivatives_allowed": True,
        "attribution_required": True,
        "ai_training_allowed": True,
        "redistribution_allowed": True,
    },
    {
        "name": "Research only (non-commercial)",
        "commercial_use": False,
        "derivatives_allowed": True,
        "attribution_required": True,
        "ai_training_allowed": True,
        "redistribution_allowed": False,
    },
    {
        "name": "Commercial use, no redistribution",
        "commercial_use": True,
        "derivatives_allowed": True,
        "attribution_required": False,
        "ai_training_allowed": True,
        "redistribution_allowed": False,
    },
    {
        "name": "Inference only (no training, no derivatives)",
        "commercial_use": True,
        "derivatives_allowed": False,
        "attribution_required": False,
        "ai_training_allowed": False,
        "redistribution_allowed": False,
    },
]


def create_presets(apps, schema_editor):
    LicenseTerms = apps.get_model("listings", "LicenseTerms")
    for preset in PRESETS:
        LicenseTerms.objects.get_or_create(owner=None, name=preset["name"], defaults=preset)


def create_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS listing_search_gin "
            "ON listings_listing USING gin (search_document)"
        )


def drop_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS listing_search_gin")


class Migration(migrations.Migration):
    dependencies = [("listings", "0001_initial")]
    operations = [
        migrations.RunPython(create_search_index, drop_search_index),
        migrations.RunPython(create_presets, migrations.RunPython.noop),
    ]
