"""One small marketplace for the access matrix and the fuzz test: a published listing whose
creator really signed the offer (on the test chain's contracts), a buyer holding a licence as the
indexer records it, a buyer whose licence expired, a stranger, another creator, a moderator and
an admin; plus an open upload and an API token of the creator's."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.models import Group
from django.utils import timezone
from eth_account import Account

from accounts import tokens
from accounts.models import MODERATORS_GROUP, User
from artifacts import services as artifact_services
from artifacts.models import Upload
from listings.models import LicenseTerms, Listing
from listings.tests import factories
from payments.tests.access_helpers import CONTENT, entitle, scan_files, stored_file, tier
from payments.tests.buying import tokenized_listing

ROLES = (
    "anonymous",
    "stranger",
    "buyer_without_licence",
    "buyer_with_licence",
    "creator",
    "other_creator",
    "moderator",
    "admin",
)


@dataclass
class World:
    listing: Listing
    users: dict[str, User | None]
    keys: dict[str, object]
    values: dict[str, object] = field(default_factory=dict)  # URL kwargs by name


def build_world() -> World:
    # Live-server tests flush the database, presets included: recreate one.
    LicenseTerms.objects.get_or_create(
        owner=None, name="Apache-2.0", defaults={"commercial_use": True}
    )
    keys = {role: Account.create() for role in ROLES if role != "anonymous"}
    users: dict[str, User | None] = {"anonymous": None}
    for role, key in keys.items():
        users[role] = User.objects.create_user(key.address)
    moderators, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    users["moderator"].groups.add(moderators)
    User.objects.filter(pk=users["admin"].pk).update(is_superuser=True, is_staff=True)
    users["admin"].refresh_from_db()

    listing = tokenized_listing(
        creator_key=keys["creator"],
        title="Matrix model",
        files=[("weights/model.bin", stored_file(CONTENT))],
    )
    factories.listing(creator=users["other_creator"], title="Other model")
    entitle(users["buyer_with_licence"].address, tier(listing, "Download"))
    entitle(
        users["buyer_without_licence"].address,
        tier(listing, "Download"),
        expires_in=timedelta(days=-1),
    )
    upload = artifact_services.upload_create(
        owner=users["creator"], filename="data.csv", size=10, content_type="text/csv"
    )
    token = tokens.api_token_create(user=users["creator"], name="matrix").token
    artifact = listing.versions.get().files.get().artifact
    # A published listing releases only files scanned clean (v1's file stays unscanned, for
    # the moderators' rescan).
    release = stored_file(CONTENT + b"v2")
    scan_files([("m.bin", release)])
    Upload.objects.create(
        owner=users["creator"],
        filename="m.bin",
        size=release.size,
        received=release.size,
        status=Upload.Status.COMPLETE,
        artifact=release,
        expires_at=timezone.now(),
    )
    world = World(listing=listing, users=users, keys=keys)
    world.values.update(
        slug=listing.slug,
        upload_id=upload.pk,
        cid=artifact.cid,
        release_cid=release.cid,
        token_id=token.pk,
        position=0,
        address=users["stranger"].address,
    )
    return world
