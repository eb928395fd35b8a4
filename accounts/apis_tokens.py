"""Personal API tokens under /api/v1/auth/tokens (the settings page does the same in HTML).

GET    tokens        → [token]           (the signed-in user's, newest first; no secrets)
POST   tokens        {name, expires_in_days?} → 201 token + "secret" (shown this once)
DELETE tokens/<id>   → 204 (revokes; idempotent; someone else's id is a 404)
"""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import tokens
from accounts.models import ApiToken


class TokenOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The secret's first characters, to recognise it.")
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class TokenCreatedSerializer(TokenOutputSerializer):
    secret = serializers.CharField(help_text="Use as `Authorization: Bearer <secret>`.")


class TokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    expires_in_days = serializers.IntegerField(
        min_value=1, max_value=3650, required=False, allow_null=True, default=None
    )


class ApiTokensApi(APIView):
    permission_classes = [IsAuthenticated]
    throttle_scope = "tokens"

    def get_throttles(self):
        # Listing is cheap; only creating tokens counts against the stricter "tokens" scope.
        throttles = super().get_throttles()
        if self.request.method != "POST":
            throttles = [t for t in throttles if not hasattr(t, "scope_attr")]
        return throttles

    @extend_schema(responses=TokenOutputSerializer(many=True))
    def get(self, request):
        rows = tokens.api_token_list_for_user(user=request.user)[:200]
        return Response(TokenOutputSerializer(rows, many=True).data)

    @extend_schema(request=TokenCreateSerializer, responses={201: TokenCreatedSerializer})
    def post(self, request):
        data = TokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        days = data.validated_data["expires_in_days"]
        expires_at = timezone.now() + timedelta(days=days) if days else None
        parent = request.auth if isinstance(request.auth, ApiToken) else None
        if parent is not None and parent.expires_at is not None:
            # A token never mints one that outlives it: a leaked 30-day token must not
            # become a permanent one.
            expires_at = min(expires_at or parent.expires_at, parent.expires_at)
        issued = tokens.api_token_create(
            user=request.user, name=data.validated_data["name"], expires_at=expires_at
        )
        body = {**TokenOutputSerializer(issued.token).data, "secret": issued.secret}
        return Response(body, status=status.HTTP_201_CREATED)


class ApiTokenDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={204: None})
    def delete(self, request, token_id: int):
        tokens.api_token_revoke(user=request.user, token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
