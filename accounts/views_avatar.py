"""A wallet's default avatar as an image URL (/creators/<address>/avatar.svg), for API clients:
the pages inline the same picture as a data URI (accounts/avatars.py)."""

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_safe

from accounts.avatars import avatar_svg
from core.eth import is_address, to_checksum_address

# The picture is a pure function of the address: it never changes.
CACHE_CONTROL = "public, max-age=31536000, immutable"


@require_safe
def avatar(request, address: str):
    if not is_address(address):
        raise Http404("Not a wallet address.")
    response = HttpResponse(avatar_svg(to_checksum_address(address)), content_type="image/svg+xml")
    response["Cache-Control"] = CACHE_CONTROL
    return response
