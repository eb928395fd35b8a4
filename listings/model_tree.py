"""The model tree (issue 17) from both sources of lineage:

- the cards (listings/lineage.py): `base_model`, `datasets`, and `base_model_relation`
  (finetune, quantized, adapter, merge: the model hubs' words) for what kind of child it is;
- the ModelRelease attestations on the chain (chain/provenance.py, recorded by
  chain/releases.py): each release's `parentUID` is its listing's previous release or, for a
  listing's first release, the latest release of the base model its card names when that is a
  listing here (listings/provenance.py); `baseModel` names an outside base (a hub id).

An edge both sources agree on is shown once, with an "attested" badge and the attestation uid;
an edge only the chain knows is shown too (a card edited after release still has its attested
parent). Reads: none beyond the card tree for a listing without attested releases, two queries
(the attestation rows, then their versions' listings) for one with them; never a chain call."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from chain.models import ReleaseAttestation
from listings import lineage
from listings.models import Listing, Version
from listings.selectors import listings_visible

RELATIONS = {
    "finetune": "fine-tune",
    "fine-tune": "fine-tune",
    "quantized": "quantization",
    "quantization": "quantization",
    "adapter": "adapter",
    "merge": "merge",
}


@dataclass(frozen=True)
class Node:
    name: str
    listing: Listing | None  # a listing here, or None (an outside name: a search link)
    relation: str = ""  # "fine-tune", "quantization", "adapter", "merge" or "" (unknown)
    attested_uid: str = ""  # the ModelRelease attesting this edge; "" when only a card says it

    @property
    def url(self) -> str:
        if self.listing is not None:
            return reverse("listings:detail", args=[self.listing.slug])
        return lineage.Ref(name=self.name, listing=None).url


@dataclass(frozen=True)
class ModelTree:
    parents: list[Node]
    datasets: list[lineage.Ref]
    children: list[Node]
    trained: list[Listing]
    releases: list[str]  # this listing's attested releases (uids), newest first

    def __bool__(self) -> bool:
        return bool(self.parents or self.datasets or self.children or self.trained)


def relation_of(listing: Listing) -> str:
    value = (listing.card_metadata or {}).get("base_model_relation") or ""
    return RELATIONS.get(str(value).strip().lower(), "") if isinstance(value, str) else ""


def listing_model_tree(*, listing: Listing) -> ModelTree:
    card = lineage.listing_lineage(listing=listing)
    own = [v.release_uid.lower() for v in listing.versions.all() if v.release_uid]
    attested = _Attested.read(listing, set(own))
    own_relation = relation_of(listing)
    parents = [
        Node(ref.name, ref.listing, own_relation, attested.parent_uid(ref)) for ref in card.parents
    ]
    shown = {p.listing.pk for p in parents if p.listing} | {p.name.lower() for p in parents}
    for pk, (parent, uid) in attested.parents.items():
        if pk not in shown:
            parents.append(Node(parent.title, parent, own_relation, uid))
            shown |= {pk, parent.title.lower(), parent.slug}
    for name, uid in attested.base_names.items():
        if name.lower() not in shown:
            ref = lineage.resolve_names([name])[0]
            if ref.listing is None or ref.listing.pk not in shown:
                parents.append(Node(name, ref.listing, own_relation, uid))
    children = [
        Node(c.title, c, relation_of(c), attested.children.pop(c.pk, (None, ""))[1])
        for c in card.children
    ]
    children += [Node(c.title, c, relation_of(c), uid) for c, uid in attested.children.values()]
    children.sort(key=lambda node: node.name.lower())
    return ModelTree(parents, card.datasets, children, card.trained, releases=own)


@dataclass
class _Attested:
    parents: dict[int, tuple[Listing, str]]  # listing pk -> (listing, uid of our release)
    children: dict[int, tuple[Listing, str]]  # listing pk -> (listing, uid of its release)
    base_names: dict[str, str]  # outside base model named by a release -> that release's uid

    def parent_uid(self, ref: lineage.Ref) -> str:
        if ref.listing is not None and ref.listing.pk in self.parents:
            return self.parents[ref.listing.pk][1]
        return self.base_names.get(ref.name, "")

    @classmethod
    def read(cls, listing: Listing, own: set[str]) -> _Attested:
        if not own:
            return cls({}, {}, {})
        rows = list(
            ReleaseAttestation.objects.filter(chain_id=settings.CHAIN_ID, revoked_at=None).filter(
                Q(uid__in=own) | Q(parent_uid__in=own)
            )
        )
        mine = sorted((r for r in rows if r.uid in own), key=lambda r: r.attested_at)
        theirs = {r.uid: r for r in rows if r.uid not in own}
        # A release of another listing that one of ours derives from: a parent.
        up = {r.parent_uid: r.uid for r in mine if r.parent_uid and r.parent_uid not in own}
        found = (
            {
                v.release_uid.lower(): v.listing
                for v in Version.objects.filter(release_uid__in=[*up, *theirs])
                .filter(listing__in=listings_visible())
                .exclude(listing=listing)
                .select_related("listing")
            }
            if up or theirs
            else {}
        )
        parents = {found[p].pk: (found[p], ours) for p, ours in up.items() if p in found}
        children = {found[u].pk: (found[u], u) for u in theirs if u in found}
        base_names = {r.base_model: r.uid for r in mine if r.base_model}
        return cls(parents, children, base_names)


def base_model_release(listing: Listing) -> Version | None:
    """The latest attested release of the listing this one's card names first as its base
    model, when that is a visible listing here: what its first release derives from."""
    names = lineage.card_names(listing, "base_model")
    if not names:
        return None
    base = lineage.resolve_names(names[:1])[0].listing
    if base is None or base.pk == listing.pk:
        return None
    return (
        Version.objects.filter(listing=base)
        .exclude(release_uid="")
        .order_by("-created_at", "-id")
        .first()
    )


def release_attested(uid: str) -> None:
    """A release of ours was attested: read it back into the tree once the transaction commits
    (a Celery task, retried while the node is unreachable)."""
    from chain.tasks import release_record_task

    release_record_task.delay_on_commit(uid)
