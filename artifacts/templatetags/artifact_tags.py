"""The profile page's quota figures: {% load artifact_tags %}{% upload_usage user as usage %}."""

from django import template

from artifacts.selectors import UploadUsage, upload_usage_for

register = template.Library()


@register.simple_tag
def upload_usage(user) -> UploadUsage | None:
    return upload_usage_for(owner=user) if user.is_authenticated else None
