"""Mounted at /api/v1/auth/."""

from django.urls import path

from accounts import apis, apis_tokens

app_name = "auth-api"

urlpatterns = [
    path("nonce", apis.SiweNonceApi.as_view(), name="nonce"),
    path("verify", apis.SiweVerifyApi.as_view(), name="verify"),
    path("sign-out", apis.SignOutApi.as_view(), name="sign-out"),
    path("me", apis.MeApi.as_view(), name="me"),
    path("tokens", apis_tokens.ApiTokensApi.as_view(), name="tokens"),
    path("tokens/<int:token_id>", apis_tokens.ApiTokenDetailApi.as_view(), name="token-detail"),
]
