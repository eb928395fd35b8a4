"""The auth API under /api/v1/auth/ (see accounts/README.md for the flow and error codes)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.middleware.csrf import get_token
from drf_spectacular.utils import (
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from accounts import selectors, services, siwe

SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


class SiweThrottle(AnonRateThrottle):
    """Per client IP: nonces are rows anyone can create, and parsing a message costs CPU."""

    def get_rate(self):
        return settings.SIWE_THROTTLE_RATE


class SiweNonceThrottle(SiweThrottle):
    scope = "siwe_nonce"


class SiweVerifyThrottle(SiweThrottle):
    scope = "siwe_verify"


class UserOutputSerializer(serializers.Serializer):
    address = serializers.CharField()
    display_name = serializers.CharField()
    email = serializers.CharField(help_text="An email address, or empty.")
    roles = serializers.SerializerMethodField()

    def get_roles(self, user) -> list[str]:
        return selectors.user_roles(user=user)


# Described for the OpenAPI schema (the views build these bodies by hand).
NONCE = inline_serializer(
    name="SiweNonce",
    fields={
        "nonce": serializers.CharField(),
        "message": serializers.CharField(),
        "expires_at": serializers.DateTimeField(),
    },
)
SIGNED_IN = inline_serializer(
    name="SignedInUser",
    fields={
        "address": serializers.CharField(),
        "display_name": serializers.CharField(),
        "email": serializers.CharField(),
        "roles": serializers.ListField(child=serializers.CharField()),
        "token": serializers.CharField(
            required=False, help_text='Only with "token": true: the API token (once).'
        ),
    },
)


class SiweNonceApi(APIView):
    """POST {"address"} → 201 {"nonce", "message", "expires_at"}: the message to sign."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [SiweNonceThrottle]

    class InputSerializer(serializers.Serializer):
        address = serializers.CharField(max_length=64)

    @extend_schema(request=InputSerializer, responses={201: NONCE})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = services.siwe_nonce_issue(
            address=data.validated_data["address"], scheme=request.scheme, host=request.get_host()
        )
        get_token(request)  # the browser gets its CSRF cookie here, before it posts to verify
        return Response(
            {"nonce": issued.nonce, "message": issued.message, "expires_at": issued.expires_at},
            status=status.HTTP_201_CREATED,
        )


class SiweVerifyApi(APIView):
    """POST {"message", "signature", "token"?} → 200 user. Without "token": true it starts a
    session (CSRF checked, since this is a login form for browsers); with it, it returns a DRF
    token for API clients instead and leaves the session alone."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [SiweVerifyThrottle]

    class InputSerializer(serializers.Serializer):
        # Exact text: the signature covers every byte, so no whitespace trimming.
        message = serializers.CharField(max_length=siwe.MESSAGE_MAX_LENGTH, trim_whitespace=False)
        signature = serializers.CharField(max_length=20_000)
        token = serializers.BooleanField(default=False)

    @extend_schema(request=InputSerializer, responses=SIGNED_IN)
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wants_token = data.validated_data["token"]
        if not wants_token:
            # Login CSRF: a hostile page must not sign a visitor in as the attacker.
            SessionAuthentication().enforce_csrf(request)
        user = services.siwe_sign_in(
            message=data.validated_data["message"],
            signature=data.validated_data["signature"],
            scheme=request.scheme,
            host=request.get_host(),
        )
        body = UserOutputSerializer(user).data
        if wants_token:
            body["token"] = services.api_token_issue(user=user).secret
        else:
            login(request._request, user, backend=SESSION_BACKEND)
            messages.success(request._request, f"Signed in as {user}.")
        return Response(body)


class SignOutApi(APIView):
    """POST → 204. A session is ended; a token (when the request used one) is revoked."""

    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        if request.auth is not None:
            services.api_token_revoke(user=request.user, auth=request.auth)
        else:
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    """GET → the signed-in user. PATCH {"display_name"?, "email"?} → the updated user."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        display_name = serializers.CharField(max_length=80, allow_blank=True, required=False)
        email = serializers.EmailField(allow_blank=True, required=False)

    @extend_schema(responses=UserOutputSerializer)
    def get(self, request):
        return Response(UserOutputSerializer(request.user).data)

    @extend_schema(request=InputSerializer, responses=UserOutputSerializer)
    def patch(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_update_profile(
            user=request.user,
            display_name=data.validated_data.get("display_name", request.user.display_name),
            email=data.validated_data.get("email", request.user.email),
        )
        return Response(UserOutputSerializer(user).data)
