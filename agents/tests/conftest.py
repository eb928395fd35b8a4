"""Fixtures for the MCP tests: a dataset listing sold by download and by compute, whose files
are really stored, and a compute host it allows (jobs run in the real sandbox)."""

import io

import pytest
from django.utils import timezone

from agents.tests.mcp_live import COMPUTE_WEI, DATASET, DOWNLOAD_WEI
from artifacts.services import artifact_create_from_stream
from compute.models import ComputeEnvironment, ComputePolicy
from compute.tests.helpers import compute_settings  # noqa: F401 (fixture)
from listings.models import LicenseTerms, Listing
from payments.tests.access_helpers import (
    artifact_store,  # noqa: F401 (autouse fixture)
    scan_files,
)
from payments.tests.buying import TierSpec, tokenized_listing


@pytest.fixture
def host(transactional_db, compute_settings):  # noqa: F811 (the fixture above)
    compute_settings.COMPUTE_ATTEST_RECEIPTS = True
    return ComputeEnvironment.objects.create(
        name="agent-cpu", ram_mb=512, status="online", last_seen_at=timezone.now()
    )


@pytest.fixture
def listing(contracts, host):
    LicenseTerms.objects.get_or_create(owner=None, name="Open")
    dataset = artifact_create_from_stream(stream=io.BytesIO(DATASET))
    scan_files([("climate.csv", dataset)])
    listing = tokenized_listing(
        title="City climate",
        tiers=[
            TierSpec(name="Download", price_wei=DOWNLOAD_WEI, kind="download"),
            TierSpec(name="Compute", price_wei=COMPUTE_WEI, kind="compute"),
        ],
        files=[("climate.csv", dataset)],
    )
    Listing.objects.filter(pk=listing.pk).update(kind=Listing.Kind.DATASET)
    policy = ComputePolicy.objects.create(listing=listing, allow_raw_algorithms=True)
    policy.environments.set([host])
    return listing
