"""The model tree (issue 17): a listing's card names its base models and datasets (`base_model`,
`datasets` in the front matter). Names that are another listing on this site (its slug or
title) become links; the other way round, listings whose cards name this one are its
descendants (fine-tunes, quantizations...) or, for a dataset, the models trained on it."""

from dataclasses import dataclass

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
    """Visible listings whose card lists this one under `key` (by slug or title)."""
    own = {listing.slug, listing.title.lower()}
    candidates = listings_visible().filter(card__icontains=listing.slug).exclude(pk=listing.pk)
    candidates = candidates | listings_visible().filter(card__icontains=listing.title).exclude(
        pk=listing.pk
    )
    found = [c for c in candidates.distinct()[:500] if own & {n.lower() for n in _names(c, key)}]
    return sorted(found, key=lambda c: c.title.lower())[:MAX_CHILDREN]


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
