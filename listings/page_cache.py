"""Whole-response cache for what anonymous visitors read most: the browse page, listing pages,
and the listings API (list, search, detail). Each cached reply carries a strong ETag, so a
client that already has it gets a 304 without a body.

Invalidation is by generation, never by guessing keys: a key holds the generations its reply
depends on, read *before* the database, and a change sets a fresh generation after it commits.

- `site`: anything every page shows (the deny-list, licence terms, the platform fee);
- `list`: any change to any public listing (browse and search pages list many of them);
- `listing:<slug>`: one listing (its pages; slugs never change).

So a price change, a new tier, a sale or a status change is visible to the very next visitor,
while the pages of the other listings stay cached. A reply rendered from data older than a
change was stored under the generation the change replaced, which nobody reads again. Facts
that other apps keep (compute hosts on the listing page) follow within PAGE_CACHE_SECONDS.

The cache is the `pages` one (PAGE_CACHE_URL, by default CACHE_URL): Redis in production, so
every web process and the Celery workers (the indexer changes prices, sales and pauses) share
generations. Local memory (the `make run` default) is per process: there a change made by the
worker reaches the web server's cached pages only when they expire (PAGE_CACHE_SECONDS)."""

import hashlib
import secrets
import time
from collections.abc import Callable, Iterable
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags

# A generation only has to outlive the replies stored under it (PAGE_CACHE_SECONDS); a lost one
# is replaced by a fresh random value, so expiring them is safe and bounds their number.
GEN_SECONDS = 24 * 3600
SITE = "pages:gen:site"
LIST = "pages:gen:list"
PREFIX = "pages:v1"
# What a reply needs besides its body; the middleware adds the rest (security headers, CSP).
KEPT_HEADERS = ("content-type", "allow", "vary")
# A missed reply is rendered by one request while the others asking for it wait for it (a
# stampede after a change would otherwise render it once per visitor): at most this long, then
# they render it themselves (a renderer that died or is slow must not hold them up for good).
RENDER_WAIT_SECONDS = 2.0
RENDER_POLL_SECONDS = 0.02


def listing_key(slug: str) -> str:
    return f"pages:gen:listing:{slug}"


def _cache():
    return caches["pages"]  # the page cache's own (settings.CACHES)


def generations(keys: list[str]) -> list[str]:
    """The current generation of each key. A missing one (never set, or evicted) gets a fresh
    random value: never a fixed default, or replies stored before an eviction would return."""
    cache = _cache()
    found = cache.get_many(keys)
    missing = {key: secrets.token_hex(8) for key in keys if key not in found}
    for key, value in missing.items():
        cache.add(key, value, GEN_SECONDS)
    if missing:
        found.update(cache.get_many(list(missing)))
    return [found.get(key) or missing[key] for key in keys]


def forget(*, slugs: Iterable[str] = (), site: bool = False) -> None:
    """New generations for the listings' pages, every browse and search page, and with `site`
    every cached page. Now, so that what runs later in this transaction (and tests, which roll
    back instead of committing) sees the change; and again after commit, because a reader
    that took the first new generation before the commit rendered the data before it."""
    keys = [LIST, *(listing_key(slug) for slug in slugs)] + ([SITE] if site else [])

    def bump() -> None:
        _cache().set_many({key: secrets.token_hex(8) for key in keys}, GEN_SECONDS)

    bump()
    transaction.on_commit(bump)


def forget_listings(*, listing_ids: Iterable[int]) -> None:
    """`forget` by primary key, for writes that go around save() (QuerySet.update)."""
    from listings.models import Listing

    forget(slugs=Listing.objects.filter(pk__in=list(listing_ids)).values_list("slug", flat=True))


def _is_anonymous(request) -> bool:
    """No session, no credentials, no pending messages: the reply is the same for everyone."""
    cookies = request.COOKIES
    return not (
        settings.SESSION_COOKIE_NAME in cookies
        or "messages" in cookies
        or "HTTP_AUTHORIZATION" in request.META
    )


def _etag(content: bytes) -> str:
    return '"' + hashlib.blake2b(content, digest_size=12).hexdigest() + '"'


def _not_modified(request, etag: str) -> bool:
    wanted = request.META.get("HTTP_IF_NONE_MATCH")
    return bool(wanted) and (etag in parse_etags(wanted) or wanted.strip() == "*")


def _store(key: str, response) -> tuple | None:
    if hasattr(response, "render") and not response.is_rendered:
        response.render()
    if response.status_code != 200 or response.cookies or response.streaming:
        return None
    etag = _etag(response.content)
    headers = {k: v for k, v in response.items() if k.lower() in KEPT_HEADERS}
    entry = (response.content, headers, etag)
    _cache().set(key, entry, settings.PAGE_CACHE_SECONDS)
    return entry


def _replay(request, entry) -> HttpResponse:
    content, headers, etag = entry
    if _not_modified(request, etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(content)
        for name, value in headers.items():
            response[name] = value
    response["ETag"] = etag
    return response


def cached_page(depends_on: Callable[..., list[str]]):
    """Cache a GET view's 200 replies to anonymous visitors. `depends_on(**view_kwargs)` names
    the generation keys the reply depends on."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD") or settings.PAGE_CACHE_SECONDS <= 0:
                return view(request, *args, **kwargs)
            if not _is_anonymous(request):
                return _vary(view(request, *args, **kwargs))
            gens = generations(depends_on(**kwargs))
            scheme = "https" if request.is_secure() else "http"
            # Accept: the API answers its browsable HTML or JSON from one URL.
            url = f"{scheme}://{request.get_host()}{request.get_full_path()}"
            url += "\n" + request.META.get("HTTP_ACCEPT", "")
            key = f"{PREFIX}:{':'.join(gens)}:" + hashlib.blake2b(url.encode()).hexdigest()
            entry = _cache().get(key)
            if entry is not None and not _throttles_allow(view, request, args, kwargs):
                return _vary(view(request, *args, **kwargs))  # 429, in the API's error format
            if entry is None:
                entry, response = _render_once(key, view, request, args, kwargs)
                if entry is None:
                    return _vary(response)
                if response is None and not _throttles_allow(view, request, args, kwargs):
                    return _vary(view(request, *args, **kwargs))  # waited, but limited: 429
            return _vary(_replay(request, entry))

        return wrapper

    return decorate


def _render_once(key: str, view, request, args, kwargs):
    """(entry, response): render and store the reply, unless another request is rendering it
    now; then wait for its entry instead (up to RENDER_WAIT_SECONDS, or until that request is
    done without storing one, as for a 404: then render here too)."""
    mark = f"{key}:rendering"
    cache = _cache()
    if not cache.add(mark, 1, int(RENDER_WAIT_SECONDS) + 1):
        deadline = time.monotonic() + RENDER_WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(RENDER_POLL_SECONDS)
            entry = cache.get(key)
            if entry is not None:
                return entry, None
            if cache.get(mark) is None:
                break
        response = view(request, *args, **kwargs)
        return _store(key, response), response
    try:
        response = view(request, *args, **kwargs)
        return _store(key, response), response
    finally:
        cache.delete(mark)


def _throttles_allow(view, request, args, kwargs) -> bool:
    """An API view's rate limits hold for cached replies too (anonymous clients are limited
    per address): run its throttles as the view would, counting this request once."""
    view_class = getattr(view, "cls", None)  # DRF's as_view() keeps the class here
    if view_class is None:
        return True
    instance = view_class(**getattr(view, "initkwargs", {}))
    instance.args, instance.kwargs, instance.format_kwarg = args, kwargs, None
    drf_request = instance.initialize_request(request, *args, **kwargs)
    instance.request = drf_request
    return all(
        throttle.allow_request(drf_request, instance) for throttle in instance.get_throttles()
    )


def _vary(response):
    # Anonymous and signed-in visitors get different replies from one URL: shared caches
    # (a CDN, a browser's) must key on the credentials too.
    patch_vary_headers(response, ("Accept", "Cookie", "Authorization"))
    return response


def depends_on_list(**_kwargs) -> list[str]:
    return [SITE, LIST]


def depends_on_listing(*, slug: str, **_kwargs) -> list[str]:
    return [SITE, listing_key(slug)]


def _on_listing(sender, instance, **_kwargs) -> None:
    forget(slugs=[instance.slug])


def _on_listing_part(sender, instance, **_kwargs) -> None:
    listing = instance._state.fields_cache.get("listing")
    if listing is not None:
        forget(slugs=[listing.slug])
    else:
        forget_listings(listing_ids=[instance.listing_id])


def _on_site_fact(sender, **_kwargs) -> None:
    forget(site=True)


def connect_invalidation() -> None:
    """Forget cached pages on every save and delete of what they show, from any code path
    (services, the indexer, the admin). Signals rather than calls in each service: a cache must
    follow every write, including ones written later. Writes that skip save() (QuerySet.update,
    bulk_create of rows no saved row accompanies) call `forget` or `forget_listings` themselves."""
    from django.db.models.signals import post_delete, post_save

    from accounts.models import DeniedAddress
    from listings.models import (
        LicenseTerms,
        Listing,
        OwnershipTransfer,
        SplitRecipient,
        Tier,
        Version,
    )

    for signal in (post_save, post_delete):
        signal.connect(_on_listing, sender=Listing, dispatch_uid=f"pages-listing-{signal}")
        for model in (Tier, SplitRecipient, Version, OwnershipTransfer):
            signal.connect(_on_listing_part, sender=model, dispatch_uid=f"pages-{model}-{signal}")
        for model in (LicenseTerms, DeniedAddress):
            signal.connect(_on_site_fact, sender=model, dispatch_uid=f"pages-{model}-{signal}")
