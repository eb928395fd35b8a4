"""Handing a listing's ownership token to someone else from the site (services, apis)."""
