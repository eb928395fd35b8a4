"""`{{ address|avatar_uri }}`: the wallet's default avatar (accounts/avatars.py)."""

from django import template

from accounts.avatars import avatar_uri as _avatar_uri

register = template.Library()


@register.filter
def avatar_uri(address: str) -> str:
    return _avatar_uri(address or "")
