"""ENS names in templates (accounts/ens.py):

- `{{ user|person_label }}`: the display name, else the verified ENS name, else the short
  address; resolves on a cache miss (headers and profiles: a few per page).
- `{{ user|person_label_cached }}`: the same from the cache only (cards: many per page).
- `{{ address|address_label }}`: the ENS name, else the short address (resolves on a miss).
- `{{ address|ens_name }}`: the verified ENS name or "" (resolves on a miss);
  `{{ address|ens_name_cached }}` from the cache only."""

from django import template

from accounts import ens

register = template.Library()


def _short(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}" if address else ""


def _cached(address: str) -> str:
    return next(iter(ens.ens_names_cached([address]).values()), "")


@register.filter
def ens_name(address: str) -> str:
    return ens.ens_name(address or "")


@register.filter
def address_label(address: str) -> str:
    return ens.ens_name(address or "") or _short(address or "")


@register.filter
def person_label(user) -> str:
    if user is None:
        return ""
    return user.display_name or ens.ens_name(user.address) or user.short_address


@register.filter
def person_label_cached(user) -> str:
    if user is None:
        return ""
    if user.display_name:
        return user.display_name
    return _cached(user.address) or user.short_address


@register.filter
def ens_name_cached(address: str) -> str:
    """`ens_name` from the cache only (lists of holders)."""
    return _cached(address or "")
