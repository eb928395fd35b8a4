"""Moderation: the review queue, reports, automatic checks before publication, and pausing a
listing on-chain. Pages under /moderation/, API under /api/v1/moderation/ (routes.py lists
every route in one place, so the permission test covers each new one)."""
