"""Kept for the migrations only: they were written when the wei field lived here, and a
migration is history we do not rewrite. Code imports core.db."""

from core.db import WeiField, wei_sum  # noqa: F401
