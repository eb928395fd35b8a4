"""`Authorization: Bearer mkt_…` for the API (accounts.tokens). A module of its own, importing
the token services lazily: DRF imports authentication classes while `rest_framework.views` is
still loading, and the services import the API error class, which imports that module."""

from rest_framework import authentication, exceptions

SECRET_PREFIX = "mkt_"


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer mkt_…` (or `Token mkt_…`). Headers with other secrets are left to
    the next authentication class (DRF's TokenAuthentication keeps working for its keys)."""

    keywords = ("bearer", "token")

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower().decode(errors="replace") not in self.keywords:
            return None
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token header.") from None
        if not secret.startswith(SECRET_PREFIX):
            if parts[0].lower() == b"bearer":
                raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
            return None  # a DRF Token key: TokenAuthentication decides
        from accounts import tokens

        token = tokens.api_token_live(secret=secret)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        tokens.api_token_touch(token=token)
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
