"""The model tree (issue 17): a listing's card names its base models and datasets (`base_model`,
`datasets` in the front matter). Names that are another listing on this site (its slug or
title) become links; the other way round, listings whose cards name this one are its
descendants (fine-tunes, quantizations...) or, for a dataset, the models trained on it."""

from dataclasses import dataclass

from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.http import urlencode

from listings.models import Listing
from listings.selectors import listings_visible

MAX_CHILDREN = 50


@dataclass(frozen=True)
class Ref:
    name: str
    listing: Listing | None  # on this site, or None (an outside name: a search link)

    @property
    def url(self) -> str:
        if self.listing is not None:
            return reverse("listings:detail", args=[self.listing.slug])
        return reverse("listings:browse") + "?" + urlencode({"q": self.name})


@dataclass(frozen=True)
class Lineage:
    parents: list[Ref]
    datasets: list[Ref]
    children: list[Listing]  # listings naming this one as their base model
    trained: list[Listing]  # listings naming this one as a dataset

    def __bool__(self) -> bool:
        return bool(self.parents or self.datasets or self.children or self.trained)


def _names(listing: Listing, key: str) -> list[str]:
    value = (listing.card_metadata or {}).get(key) or []
    return [
        str(v).strip() for v in (value if isinstance(value, list) else [value]) if str(v).strip()
    ]


def _resolve(names: list[str]) -> list[Ref]:
    lowered = {n.lower() for n in names}
    found = {}
    for match in listings_visible().filter(slug__in=lowered):
        found[match.slug] = match
    for match in listings_visible().filter(title__in=names):
        found.setdefault(match.title.lower(), match)
    return [Ref(name=n, listing=found.get(n.lower())) for n in names]


def _naming(listing: Listing, key: str) -> list[Listing]:
    """Visible listings whose card lists this one under `key` (by slug or title): an indexed
    lookup of the names cards list (ListingNameRef, kept by listings.services)."""
    own = {listing.slug, listing.title.lower()}
    found = (
        listings_visible()
        .filter(name_refs__key=key, name_refs__name__in=own)
        .exclude(pk=listing.pk)
        .distinct()
        .order_by(Lower("title"), "pk")
    )
    return list(found[:MAX_CHILDREN])


def card_name_refs(listing: Listing) -> list[tuple[str, str]]:
    """(key, lowercased name) of every base model and dataset the card lists."""
    return sorted(
        {(key, name.lower()) for key in ("base_model", "datasets") for name in _names(listing, key)
         if len(name) <= 200}
    )  # fmt: skip


def listing_lineage(*, listing: Listing) -> Lineage:
    return Lineage(
        parents=_resolve(_names(listing, "base_model")),
        datasets=_resolve(_names(listing, "datasets")),
        children=_naming(listing, "base_model"),
        trained=_naming(listing, "datasets"),
    )


# For the attested tree (listings/model_tree.py).
card_names = _names
resolve_names = _resolve
