"""The `payments_payout` view (payments.models.Payout: a sale's schedule lines and the refusal
and withdrawal entries, as one table to the reports) for migrations.

A migration that alters payments_purchase, payments_payoutshare or payments_payoutentry other
than by an index wraps its operations: `operations = around_payout_view([...])`. The view is
dropped first and made again last: SQLite rebuilds an altered table under a new name and
refuses while a view names the old one; PostgreSQL refuses to alter a column a view reads.
payments/tests/test_payout_schedules.py checks every migration after 0014 does."""

from django.db import migrations

# As migration 0014 made it (that migration keeps its own copy: history does not change). A
# migration that changes the view changes this and says so in its own RunSQL.
CREATE = """
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
DROP = "DROP VIEW payments_payout"
TABLES_UNDER = {"purchase", "payoutshare", "payoutentry"}  # their model names


def around_payout_view(operations: list) -> list:
    return [migrations.RunSQL(DROP, CREATE), *operations, migrations.RunSQL(CREATE, DROP)]
