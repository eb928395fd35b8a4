"""Small factories for listings tests (plain functions: explicit and easy to follow)."""

import hashlib
import io
import itertools
import pickle
from datetime import timedelta

from django.utils import timezone
from eth_account import Account

from accounts.models import User
from artifacts.models import Artifact, Upload
from listings import services
from listings.models import LicenseTerms

_counter = itertools.count(1)


def user(*, moderator: bool = False) -> User:
    account = Account.create()
    created = User.objects.create_user(account.address)
    if moderator:
        from django.contrib.auth.models import Group

        created.groups.add(Group.objects.get_or_create(name="moderators")[0])
    return created


def artifact(content: bytes | None = None) -> Artifact:
    content = content if content is not None else f"file {next(_counter)}".encode()
    digest = hashlib.sha256(content).hexdigest()
    return Artifact.objects.create(
        cid=f"bafkrei{digest[:52]}", sha256=digest, size=len(content), storage="local"
    )


def uploaded_artifact(owner, content: bytes | None = None) -> Artifact:
    """An artifact `owner` uploaded (a completed Upload points at it)."""
    return upload_of(owner, artifact(content))


def upload_of(owner, stored: Artifact) -> Artifact:
    """Record that `owner` uploaded `stored` (a completed Upload points at it)."""
    Upload.objects.create(
        owner=owner,
        filename="file.bin",
        size=stored.size,
        received=stored.size,
        status=Upload.Status.COMPLETE,
        artifact=stored,
        expires_at=timezone.now() + timedelta(days=1),
    )
    return stored


# Passes the metadata lint (a task; the licence comes from the terms, the description from the
# summary), so complete listings can be approved.
DEFAULT_CARD = "---\npipeline_tag: text-classification\n---\nA tiny test model.\n"


def default_terms() -> LicenseTerms | None:
    """The open preset: it agrees with the permissive licences test cards declare (mit,
    apache-2.0), and the editor refuses a card that contradicts the terms (issue 15)."""
    presets = LicenseTerms.objects.filter(owner=None)
    return presets.filter(name__startswith="Open").first() or presets.first()


def listing(*, creator=None, title: str = "Tiny model", card: str | None = None, **kwargs):
    return services.listing_create(
        creator=creator or user(),
        kind=kwargs.pop("kind", "model"),
        title=title,
        summary=kwargs.pop("summary", "A small model"),
        card=DEFAULT_CARD if card is None else card,
        license_terms=kwargs.pop("license_terms", default_terms()),
    )


def stored_artifact() -> Artifact:
    """An artifact whose bytes are in the store: a small, safe pickle (so a scan of model.bin
    finds it clean; a row without bytes scans as an error, which blocks approval)."""
    from artifacts.services import artifact_create_from_stream

    content = pickle.dumps({"weights": next(_counter)}, protocol=4)
    return artifact_create_from_stream(stream=io.BytesIO(content))


def complete_listing(*, creator=None, price_wei: int = 10**16, stored: bool = False, **kwargs):
    """A draft with a version, a tier, a split and terms: ready to submit. `stored`: its file's
    bytes are in the store, so the automatic checks can pass (needed to approve it)."""
    created = listing(creator=creator, **kwargs)
    file = stored_artifact() if stored else artifact()
    services.version_create(
        listing=created, actor=created.creator, tag="v1", files=[("model.bin", file)]
    )
    services.listing_set_tiers(
        listing=created,
        actor=created.creator,
        tiers=[services.TierSpec(name="Download", price_wei=price_wei)],
    )
    return created
