"""Read every attested release missing from the model tree back from the chain (after an outage
outlasted the read-back task's retries, or for releases attested before the tree existed)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from chain.models import ReleaseAttestation
from chain.releases import release_record
from listings.models import Version


class Command(BaseCommand):
    help = "Record the ModelRelease attestations of released versions for the model tree."

    def handle(self, *args, **options):
        known = set(
            ReleaseAttestation.objects.filter(chain_id=settings.CHAIN_ID).values_list(
                "uid", flat=True
            )
        )
        uids = {
            u.lower()
            for u in Version.objects.exclude(release_uid="").values_list("release_uid", flat=True)
        }
        missing = sorted(uids - known)
        for uid in missing:
            release_record(uid=uid)
        self.stdout.write(f"recorded {len(missing)} release attestation(s)")
