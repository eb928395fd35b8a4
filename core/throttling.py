"""API rate limits (DRF throttles) whose rates come from settings.API_THROTTLE_RATES on every
request, so tests and operators change them without re-importing anything (DRF's own classes
copy the rates once at import). Counters live in the default cache (CACHE_URL).

- `user`: per signed-in user, every API request.
- `anon`: per client IP (behind proxies: REST_FRAMEWORK["NUM_PROXIES"]), anonymous requests.
- scopes: a view sets `throttle_scope = "uploads"` (or purchase, tokens ...) for a stricter
  limit on top, counted per user (or per IP when anonymous).
Sign-in has its own per-IP limit (accounts.apis.SiweThrottle, SIWE_THROTTLE_RATE).
A refused request gets 429 with the API error format (code "throttled") and Retry-After."""

from django.conf import settings
from rest_framework import throttling


class _SettingsRate:
    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)


class UserThrottle(_SettingsRate, throttling.UserRateThrottle):
    def allow_request(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return True  # AnonThrottle's business
        return super().allow_request(request, view)


class AnonThrottle(_SettingsRate, throttling.AnonRateThrottle):
    pass


class ScopeThrottle(throttling.ScopedRateThrottle):
    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)
