"""Finding, pricing, buying and downloading: the MCP tools over listings and payments. Each
calls the selector or service the matching REST endpoint calls and answers what it answers."""

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from pydantic import Field

from agents.calls import SiteRequest, jsonable, refused, tool_call
from compute.apis_buyer import listing_compute_offer
from core.eth import is_address, to_checksum_address
from listings import selectors as listing_selectors
from listings.serializers import ListingDetailSerializer, listing_summaries
from payments import purchase
from payments.access import downloads
from payments.access.apis import DownloadLinkSerializer
from payments.purchase.apis import listing_access

Slug = Annotated[str, Field(max_length=160, description="The listing's slug (from search).")]
Tier = Annotated[int, Field(ge=0, le=255, description="The tier's position (0 = first).")]
Quantity = Annotated[int, Field(ge=1, le=1000, description="How many licences.")]
Wei = Annotated[str, Field(pattern=r"^[0-9]{1,78}$", description="wei, a decimal string")]
Sort = Literal["", "relevance", *listing_selectors.SORTS]
PAGE_SIZE_MAX = 50


def whoami(ctx: Context) -> dict[str, Any]:
    """Who the API token belongs to: the wallet address that buys, holds licences and owns
    jobs. Without a token: signed_in is false."""
    with tool_call(ctx) as caller:
        user = caller.user
        if not user.is_authenticated:
            return {"signed_in": False, "address": None}
        return {"signed_in": True, "address": user.address}


def search_listings(
    ctx: Context,
    query: Annotated[str, Field(max_length=200)] = "",
    kind: Literal["", "model", "dataset"] = "",
    free: bool | None = None,
    compute: Annotated[bool | None, Field(description="Only listings that sell compute.")] = None,
    license: Annotated[str, Field(max_length=64, description="A licence id, e.g. mit.")] = "",
    task: Annotated[str, Field(max_length=64, description="e.g. text-classification.")] = "",
    tags: Annotated[list[Annotated[str, Field(max_length=100)]], Field(max_length=20)] = [],  # noqa: B006
    min_price_wei: Wei | None = None,
    max_price_wei: Wei | None = None,
    sort: Sort = "",
    page: Annotated[int, Field(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Field(ge=1, le=PAGE_SIZE_MAX)] = 20,
) -> dict[str, Any]:
    """Search published models and datasets (full text over titles, summaries and cards) with
    filters. Each result: slug, kind, title, summary, creator, min_price_wei (a decimal string),
    is_free, has_compute, sales_count. get_listing(slug) gives its tiers and terms."""
    with tool_call(ctx):
        filters = listing_selectors.ListingFilters(
            text=query,
            kind=kind,
            license=license,
            task=task,
            tags=tuple(tags),
            min_price_wei=None if min_price_wei is None else int(min_price_wei),
            max_price_wei=None if max_price_wei is None else int(max_price_wei),
            free=free,
            compute=compute,
            sort=sort,
        )
        start = (page - 1) * page_size
        rows = list(
            listing_selectors.listing_search(filters=filters)[start : start + page_size + 1]
        )
        return {
            "page": page,
            "has_next": len(rows) > page_size,
            "results": jsonable(listing_summaries(rows[:page_size])),
        }


def get_listing(ctx: Context, slug: Slug) -> dict[str, Any]:
    """One listing with its licence terms, tiers (position, name, price_wei, currency, kind:
    download / compute / both, duration, supply cap), versions and files, and its compute
    offer: the hosts a compute job may run on and the trusted algorithms."""
    with tool_call(ctx) as caller:
        listing = listing_selectors.listing_get_for_viewer(slug=slug, viewer=caller.user)
        data = jsonable(ListingDetailSerializer(listing).data)
        data["compute"] = jsonable(listing_compute_offer(listing))
        return data


def quote(ctx: Context, slug: Slug, tier: Tier, quantity: Quantity = 1) -> dict[str, Any]:
    """The exact price of `quantity` licences of a tier, read from the contract now, and how
    the sale splits between creator, contributors and the platform (wei as decimal strings)."""
    with tool_call(ctx) as caller:
        listing = listing_selectors.listing_get_for_viewer(slug=slug, viewer=caller.user)
        return jsonable(purchase.purchase_quote(listing=listing, tier=tier, quantity=quantity))


def check_access(
    ctx: Context,
    slug: Slug,
    address: Annotated[str, Field(max_length=64, description="Default: the token's.")] = "",
) -> dict[str, Any]:
    """What an address may do with a listing now (has_download, has_compute, its licences and
    their expiry), from the purchases the indexer has confirmed."""
    with tool_call(ctx) as caller:
        listing = listing_selectors.listing_get_for_viewer(slug=slug, viewer=caller.user)
        if not address and caller.user.is_authenticated:
            address = caller.user.address
        if not address or not is_address(address):
            raise refused("bad_address", "Send an API token, or give address (a 0x address).")
        return jsonable(listing_access(listing=listing, address=to_checksum_address(address)))


def get_download_links(
    ctx: Context,
    slug: Slug,
    version: Annotated[
        str, Field(max_length=64, description="A version tag; default: latest.")
    ] = "",
) -> dict[str, Any]:
    """Short-lived signed URLs for the files of a version, for a licence holder (or the
    creator): path, cid, size, sha256, url, expires_at. GET each url (no header needed; Range
    requests work) and check the sha256."""
    with tool_call(ctx) as caller:
        user = caller.signed_in()
        listing = listing_selectors.listing_get_for_viewer(slug=slug, viewer=user)
        links = downloads.download_links(listing=listing, address=user.address, tag=version)
        context = {"request": SiteRequest()}
        return {"files": jsonable(DownloadLinkSerializer(links, many=True, context=context).data)}


TOOLS = (whoami, search_listings, get_listing, quote, check_access, get_download_links)
READ_ONLY = {"whoami", "search_listings", "get_listing", "quote", "check_access"}
