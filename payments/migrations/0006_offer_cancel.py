from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("payments", "0005_splits_fees")]

    operations = [
        migrations.AddField(
            model_name="listingoffer",
            name="cancel_signature",
            field=models.CharField(
                blank=True,
                default="",
                help_text="The creator's signed OfferCancel of this offer, relayed on-chain.",
                max_length=1024,
            ),
        ),
        migrations.AddField(
            model_name="listingoffer",
            name="cancel_deadline",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="listingoffer",
            name="cancel_tx",
            field=models.CharField(blank=True, default="", max_length=66),
        ),
    ]
