"""The creator dashboard: figures (reads of sales and payouts), ledger totals, credited balances
and withdrawals (payouts), CSV exports, the platform fee (platform), their JSON (serialize), API
(apis) and pages (views, urls: /dashboard/...)."""
