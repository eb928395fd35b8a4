"""Fixtures for the MCP tests: a dataset listing sold by download and by compute, whose files
are really stored, and a compute host it allows (jobs run in the real sandbox)."""

import io

import pytest
from django.utils import timezone

from agents.tests.mcp_live import COMPUTE_WEI, DATASET, DOWNLOAD_WEI, USDC_COMPUTE, USDC_DOWNLOAD
from artifacts.services import artifact_create_from_stream
from chain import client
from compute.models import ComputeEnvironment, ComputePolicy
from compute.tests.helpers import compute_settings  # noqa: F401 (fixture)
from listings.models import LicenseTerms, Listing
from payments.tests.access_helpers import (
    artifact_store,  # noqa: F401 (autouse fixture)
    scan_files,
)
from payments.tests.buying import TierSpec, buyer_account, tokenized_listing


@pytest.fixture
def host(transactional_db, compute_settings):  # noqa: F811 (the fixture above)
    compute_settings.COMPUTE_ATTEST_RECEIPTS = True
    return ComputeEnvironment.objects.create(
        name="agent-cpu", ram_mb=512, status="online", last_seen_at=timezone.now()
    )


@pytest.fixture
def listing(contracts, host):
    return climate_listing(
        host,
        TierSpec(name="Download", price_wei=DOWNLOAD_WEI, kind="download"),
        TierSpec(name="Compute", price_wei=COMPUTE_WEI, kind="compute"),
    )


@pytest.fixture
def usdc(contracts):
    return client.get_contract("TestAuthToken")


@pytest.fixture
def usdc_listing(usdc, host):
    """The same listing priced in tUSDC (EIP-3009): payable with x402 and gasless."""
    return climate_listing(
        host,
        TierSpec(name="Download", price_wei=USDC_DOWNLOAD, currency=usdc.address, kind="download"),
        TierSpec(name="Compute", price_wei=USDC_COMPUTE, currency=usdc.address, kind="compute"),
        creator_key=buyer_account(3),
    )


def climate_listing(host, download: TierSpec, compute: TierSpec, **creator) -> Listing:
    LicenseTerms.objects.get_or_create(owner=None, name="Open")
    dataset = artifact_create_from_stream(stream=io.BytesIO(DATASET))
    scan_files([("climate.csv", dataset)])
    listing = tokenized_listing(
        title="City climate", tiers=[download, compute], files=[("climate.csv", dataset)], **creator
    )
    Listing.objects.filter(pk=listing.pk).update(kind=Listing.Kind.DATASET)
    policy = ComputePolicy.objects.create(listing=listing, allow_raw_algorithms=True)
    policy.environments.set([host])
    return listing
