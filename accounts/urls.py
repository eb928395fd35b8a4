"""Pages, mounted at /accounts/."""

from django.urls import path

from accounts import views, views_tokens

app_name = "accounts"

urlpatterns = [
    path("sign-in", views.sign_in_page, name="sign-in"),
    path("sign-out", views.sign_out, name="sign-out"),
    path("profile", views.profile, name="profile"),
    path("tokens", views_tokens.api_tokens, name="api-tokens"),
    path("tokens/<int:token_id>/revoke", views_tokens.api_token_revoke, name="api-token-revoke"),
]
