"""A sale's payouts become a PayoutSchedule its Purchase points at, shared by the sales paid
alike; refused payments and withdrawals move to PayoutEntry; `payments_payout` becomes a view of
both, which every report reads as before (issue 20: the per-sale payout rows were half of what
indexing a sale wrote). The rows indexed so far move with their ids' order kept."""

import hashlib
from collections import defaultdict

import django.db.models.deletion
from django.db import migrations, models

import core.db

# Ids: a sale's line is the purchase's id * 16 + the payee's position (a sale has at most 12
# payees); an entry is its own id - 2**62 (negative, and ascending as the entries were
# written): unique, and each kind in its order of writing.
VIEW = """
CREATE VIEW payments_payout AS
SELECT p.id * 16 + s.position AS id, p.log_id AS log_id, s.position AS position, s.kind AS kind,
       s.account AS account, p.currency AS currency, s.amount AS amount,
       p.listing_id AS listing_id, p.onchain_listing_id AS onchain_listing_id,
       '' AS to_address, p.tx_hash AS tx_hash, p.block_time AS block_time
  FROM payments_purchase p JOIN payments_payoutshare s ON s.schedule_id = p.payouts_id
UNION ALL
SELECT e.id - 4611686018427387904, e.log_id, e.position, e.kind, e.account, e.currency,
       e.amount, e.listing_id, e.onchain_listing_id, e.to_address, e.tx_hash, e.block_time
  FROM payments_payoutentry e
"""
ENTRY = (
    "id", "log_id", "position", "kind", "account", "currency", "amount", "listing_id",
    "onchain_listing_id", "to_address", "tx_hash", "block_time",
)  # fmt: skip


def schedule_key(lines) -> str:
    # As payments.onchain.payouts.schedule_key (copied: a migration keeps its own code).
    text = ";".join(f"{kind}:{account}:{amount}" for kind, account, amount in lines)
    return hashlib.sha256(text.encode()).hexdigest()


def forward(apps, schema_editor):
    Payout = apps.get_model("payments", "Payout")
    PayoutEntry = apps.get_model("payments", "PayoutEntry")
    PayoutSchedule = apps.get_model("payments", "PayoutSchedule")
    PayoutShare = apps.get_model("payments", "PayoutShare")
    Purchase = apps.get_model("payments", "Purchase")
    sale_logs = set(Purchase.objects.values_list("log_id", flat=True))
    lines, entries = defaultdict(list), []
    for row in Payout.objects.order_by("id").values(*ENTRY).iterator(chunk_size=2000):
        if row["log_id"] in sale_logs:
            lines[row["log_id"]].append(
                (row["position"], row["kind"], row["account"], int(row["amount"]))
            )
        else:  # new ids, in the old ones' order (explicit ids would leave PostgreSQL's
            # sequence behind them: the next entry indexed would collide and be skipped)
            entries.append(PayoutEntry(**{k: v for k, v in row.items() if k != "id"}))
    PayoutEntry.objects.bulk_create(entries, batch_size=500)
    by_schedule, made = defaultdict(list), {}  # made: key -> schedule id (a query per schedule)
    for log_id, found in lines.items():
        payouts = tuple((kind, account, amount) for _, kind, account, amount in sorted(found))
        key = schedule_key(payouts)
        if key not in made:
            schedule = PayoutSchedule.objects.create(key=key)
            PayoutShare.objects.bulk_create(
                PayoutShare(
                    schedule=schedule, position=position, kind=kind, account=account, amount=amount
                )
                for position, (kind, account, amount) in enumerate(payouts)
            )
            made[key] = schedule.pk
        by_schedule[made[key]].append(log_id)
    for schedule_id, log_ids in by_schedule.items():
        for start in range(0, len(log_ids), 500):
            Purchase.objects.filter(log_id__in=log_ids[start : start + 500]).update(
                payouts_id=schedule_id
            )


def backward(apps, schema_editor):
    Payout = apps.get_model("payments", "Payout")
    PayoutEntry = apps.get_model("payments", "PayoutEntry")
    PayoutShare = apps.get_model("payments", "PayoutShare")
    Purchase = apps.get_model("payments", "Purchase")
    # New ids (see forward): the entries first, in their order, then the sales' lines.
    fields = [name for name in ENTRY if name != "id"]
    rows = [Payout(**row) for row in PayoutEntry.objects.order_by("id").values(*fields)]
    shares = defaultdict(list)
    for share in PayoutShare.objects.order_by("position"):
        shares[share.schedule_id].append(share)
    sales = Purchase.objects.filter(payouts__isnull=False).order_by("id")
    for p in sales.iterator(chunk_size=2000):
        rows += [
            Payout(
                log_id=p.log_id,
                position=s.position,
                kind=s.kind,
                account=s.account,
                currency=p.currency,
                amount=s.amount,
                listing_id=p.listing_id,
                onchain_listing_id=p.onchain_listing_id,
                to_address="",
                tx_hash=p.tx_hash,
                block_time=p.block_time,
            )
            for s in shares[p.payouts_id]
        ]
    Payout.objects.bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("chain", "0003_release_attestation"),
        ("listings", "0013_platform_fee"),
        ("payments", "0013_platform_fee_row"),
    ]

    operations = [
        migrations.CreateModel(
            name="PayoutSchedule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=64, unique=True)),
            ],
        ),
        migrations.AddField(
            model_name="purchase",
            name="payouts",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="payments.payoutschedule",
            ),
        ),
        migrations.AddIndex(
            model_name="purchase",
            index=models.Index(fields=["payouts", "currency"], name="purchase_payouts"),
        ),
        migrations.CreateModel(
            name="PayoutEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(default=0)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("paid", "Paid"),
                            ("credited", "Credited"),
                            ("withdrawn", "Withdrawn"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "account",
                    models.CharField(help_text="Recipient, or who withdrew.", max_length=42),
                ),
                ("currency", models.CharField(max_length=42)),
                ("amount", core.db.WeiField()),
                (
                    "onchain_listing_id",
                    core.db.WeiField(blank=True, help_text="None for withdrawals.", null=True),
                ),
                (
                    "to_address",
                    models.CharField(
                        blank=True, help_text="Where a withdrawal went.", max_length=42
                    ),
                ),
                ("tx_hash", models.CharField(max_length=66)),
                ("block_time", models.DateTimeField()),
                (
                    "listing",
                    models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="listings.listing",
                    ),
                ),
                (
                    "log",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="chain.chainlog",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["account", "currency", "kind"], name="payout_entry_account"
                    ),
                    models.Index(fields=["listing", "kind"], name="payout_entry_listing"),
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("log", "position"), name="payout_entry_unique")
                ],
            },
        ),
        migrations.CreateModel(
            name="PayoutShare",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "position",
                    models.PositiveSmallIntegerField(help_text="Payee's index in a sale."),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("paid", "Paid"),
                            ("credited", "Credited"),
                            ("withdrawn", "Withdrawn"),
                        ],
                        max_length=16,
                    ),
                ),
                ("account", models.CharField(max_length=42)),
                ("amount", core.db.WeiField()),
                (
                    "schedule",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="shares",
                        to="payments.payoutschedule",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["account", "kind"], name="payout_share_account")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("schedule", "position"), name="payout_share_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(forward, backward),
        migrations.DeleteModel(name="Payout"),
        migrations.CreateModel(
            name="Payout",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "position",
                    models.PositiveSmallIntegerField(
                        default=0, help_text="Payee's index in a sale."
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("paid", "Paid"),
                            ("credited", "Credited"),
                            ("withdrawn", "Withdrawn"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "account",
                    models.CharField(help_text="Recipient, or who withdrew.", max_length=42),
                ),
                ("currency", models.CharField(max_length=42)),
                ("amount", core.db.WeiField()),
                (
                    "onchain_listing_id",
                    core.db.WeiField(blank=True, help_text="None for withdrawals.", null=True),
                ),
                (
                    "to_address",
                    models.CharField(
                        blank=True, help_text="Where a withdrawal went.", max_length=42
                    ),
                ),
                ("tx_hash", models.CharField(max_length=66)),
                ("block_time", models.DateTimeField()),
                (
                    "listing",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="payouts",
                        to="listings.listing",
                    ),
                ),
                (
                    "log",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="chain.chainlog",
                    ),
                ),
            ],
            options={
                "db_table": "payments_payout",
                "ordering": ["-block_time", "-id"],
                "managed": False,
            },
        ),
        migrations.RunSQL(VIEW, "DROP VIEW payments_payout"),
    ]
