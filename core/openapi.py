"""Helpers for the OpenAPI descriptions the API views carry (`@extend_schema` beside each view)."""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers


def paginated(name: str, item) -> serializers.Serializer:
    """The no-COUNT page (core.pagination) around `item`."""
    return inline_serializer(
        name=f"Paginated{name}",
        fields={
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )
