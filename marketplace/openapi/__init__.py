"""The OpenAPI 3 schema (drf-spectacular): /api/schema/ and the docs page /api/docs/.

- `AutoSchema` adds the shared error response (`{"error": {code, message, fields}}`) to every
  operation, so clients and the fuzz test know what a 4xx/5xx looks like.
- `only_api_v1` keeps the schema to the versioned API (pages and token metadata are not API).
- Each API view carries its own description (`@extend_schema` on its methods, beside the code).
"""

import re

from drf_spectacular import openapi
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. not_found.")
    message = serializers.CharField(help_text="What went wrong, for a person.")
    fields = serializers.DictField(help_text="Per input field: a list of messages.")


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


ERROR_CODES = {
    "4XX": "A client error (bad input, not signed in, no access, not found, conflict, "
    "rate-limited: 429 with Retry-After).",
    "503": "A backing service (chain, file store) is unavailable; retry later.",
}


class AutoSchema(openapi.AutoSchema):
    def get_serializer_name(self, serializer, direction):
        # Views nest their own `InputSerializer`s: name components after the view too
        # ("OfferApi.InputSerializer" → "OfferApiInput"), or they would collide.
        return type(serializer).__qualname__.replace(".", "")

    def _tokenize_path(self):
        # Keep path variables in operation ids: /listings/ and /listings/{slug} must differ.
        path = re.sub(self.path_prefix, "", self.path, flags=re.IGNORECASE)
        path = re.sub(r"\{([\w\-]+)\}", r"by_\1", path)
        return [t for t in path.strip("/").split("/") if t]

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, text in ERROR_CODES.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=text), code, direction=direction
                )
        return responses


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="Bearer"
        )


class WeiFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "core.fields.WeiField"

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "string",
            "pattern": r"^[0-9]{1,78}$",
            "description": "An amount in wei, as a decimal string.",
        }


def only_api_v1(endpoints):
    return [e for e in endpoints if e[0].startswith("/api/v1/")]
