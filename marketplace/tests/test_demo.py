import json
import struct

import pytest

from chain import client
from chain.anvil import dev_accounts
from listings.models import Listing
from marketplace import demo
from payments.models import ListingOffer

pytestmark = [pytest.mark.django_db, pytest.mark.chain]


def test_demo_data_is_a_living_market_and_loads_once(
    contracts, w3, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = demo.demo_data_load()
    assert [listing.kind for listing in created] == ["dataset", "model"]
    assert set(Listing.objects.values_list("status", flat=True)) == {"published"}
    assert ListingOffer.objects.filter(status="active").count() == 2
    model = Listing.objects.get(kind="model")
    assert model.splits.count() == 2 and model.is_free
    version = model.versions.get()
    assert version.release_uid  # attested on-chain
    assert {f.path for f in version.files.all()} == {"model.safetensors", "config.json"}
    # make run's worker serves the local compute host the dataset's compute tier runs on.
    policy = Listing.objects.get(kind="dataset").compute_policy
    # Raw scripts are an opt-in the demo does not take (issue 15): its trusted summary runs.
    assert not policy.allow_raw_algorithms
    assert [a.entry_point for a in policy.algorithms.all()] == ["summary.py"]
    assert [env.queue for env in policy.environments.all()] == ["compute.local"]
    # A tier in the local test stablecoin: the one-signature (gasless) and x402 purchase.
    usdc = client.get_contract("TestAuthToken")
    dataset = Listing.objects.get(kind="dataset")
    assert dataset.tiers.get(name="Download (tUSDC)").currency == usdc.address
    assert usdc.functions.balanceOf(dev_accounts(2)[1].address).call() == 1000 * 10**6
    assert demo.demo_data_load() == []


def test_the_model_file_is_valid_safetensors_and_fits_the_data():
    fitted = demo.fit_logistic(demo.dataset_csv())
    assert fitted["weights"][0] > 0 and fitted["weights"][1] > 0  # both raise failure risk
    blob = demo.safetensors({"weight": fitted["weights"], "bias": [fitted["bias"]]})
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + length])
    start, end = header["weight"]["data_offsets"]
    weights = struct.unpack("<2f", blob[8 + length + start : 8 + length + end])
    assert weights == pytest.approx(fitted["weights"], rel=1e-6)
