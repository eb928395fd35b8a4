"""Demo data for `make run`'s first start: two creators (anvil dev accounts, so their wallets can
sign in a browser wallet that imports the dev keys) list a small dataset and a small model
trained on it, with real files, cards, tiers, a split, and offers signed with their keys.

The files are generated, deterministically: a CSV of synthetic sensor readings, and a logistic
regression fitted to it (pure Python), saved as safetensors with its config."""

import csv
import io
import json
import math
import random
import struct

from django.db import transaction
from django.utils import timezone
from eth_account import Account
from eth_account.messages import encode_typed_data

from accounts.models import User
from artifacts.models import Upload
from artifacts.services import artifact_create_from_stream
from chain.anvil import dev_accounts
from compute import policies as compute_policies
from compute.models import ComputeEnvironment
from listings import services as listing_services
from listings.models import LicenseTerms, Listing
from payments.offers import services as payment_services

ROWS = 500
# The dataset's trusted algorithm: per-column statistics, a few hundred bytes out.
SUMMARY_SCRIPT = """import csv, json
rows = list(csv.DictReader(open("/data/readings.csv")))
summary = {"rows": len(rows)}
for column in ("temperature", "vibration"):
    values = [float(row[column]) for row in rows]
    summary[column] = {"min": min(values), "max": max(values), "mean": sum(values) / len(values)}
summary["failure_rate"] = sum(row["failed"] == "1" for row in rows) / len(rows)
json.dump(summary, open("/out/summary.json", "w"), indent=2)
print(json.dumps(summary))
"""
LOCAL_COMPUTE_HOST = "local"
DATASET_CARD = """---
license: other
license_name: commercial-use-no-redistribution
task_categories: [tabular-classification]
size_categories: n<1K
tags: [sensors, synthetic, demo]
language: en
---
# Synthetic sensor readings

{rows} readings of two sensors (temperature in °C, vibration in mm/s) with a label saying
whether the machine failed within the hour. Generated for the marketplace demo.

| column | meaning |
| --- | --- |
| temperature | °C |
| vibration | mm/s |
| failed | 1 if the machine failed within the hour |
"""
MODEL_CARD = """---
license: apache-2.0
pipeline_tag: tabular-classification
library_name: safetensors
datasets: [synthetic-sensor-readings]
parameter_count: 3
tags: [logistic-regression, predictive-maintenance, demo]
---
# Failure predictor

A logistic regression that predicts machine failure from temperature and vibration, fitted on
*Synthetic sensor readings*. Weights in `model.safetensors` (F32), inputs standardised with the
means and deviations in `config.json`.
"""


def dataset_csv(seed: int = 7) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["temperature", "vibration", "failed"])
    for _ in range(ROWS):
        temperature, vibration = rng.gauss(60, 12), rng.gauss(4, 1.5)
        risk = 0.09 * (temperature - 60) + 0.8 * (vibration - 4) - 1.2
        failed = int(rng.random() < 1 / (1 + math.exp(-risk)))
        writer.writerow([f"{temperature:.2f}", f"{vibration:.3f}", failed])
    return out.getvalue().encode()


def fit_logistic(data: bytes, steps: int = 300, rate: float = 0.5) -> dict:
    """Gradient descent on standardised features: enough for a demo, exact to reproduce."""
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    xs = [(float(r["temperature"]), float(r["vibration"])) for r in rows]
    ys = [int(r["failed"]) for r in rows]
    means = [sum(x[i] for x in xs) / len(xs) for i in range(2)]
    stds = [math.sqrt(sum((x[i] - means[i]) ** 2 for x in xs) / len(xs)) for i in range(2)]
    zs = [[(x[i] - means[i]) / stds[i] for i in range(2)] for x in xs]
    weights, bias = [0.0, 0.0], 0.0
    for _ in range(steps):
        grads, grad_bias = [0.0, 0.0], 0.0
        for z, y in zip(zs, ys, strict=True):
            error = 1 / (1 + math.exp(-(weights[0] * z[0] + weights[1] * z[1] + bias))) - y
            grads = [grads[i] + error * z[i] for i in range(2)]
            grad_bias += error
        weights = [weights[i] - rate * grads[i] / len(zs) for i in range(2)]
        bias -= rate * grad_bias / len(zs)
    return {"weights": weights, "bias": bias, "means": means, "stds": stds}


def safetensors(tensors: dict[str, list[float]]) -> bytes:
    """The safetensors format: a little-endian u64 header length, a JSON header, raw F32s."""
    header, blobs, offset = {}, [], 0
    for name, values in tensors.items():
        blob = struct.pack(f"<{len(values)}f", *values)
        header[name] = {
            "dtype": "F32",
            "shape": [len(values)],
            "data_offsets": [offset, offset + len(blob)],
        }
        blobs.append(blob)
        offset += len(blob)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)  # the format aligns data to 8 bytes
    return struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs)


def _store(content: bytes):
    return artifact_create_from_stream(stream=io.BytesIO(content))


def _publish(listing: Listing, key) -> None:
    """Sign the offer as the creator's wallet would, submit it, and publish (demo: no review)."""
    document = payment_services.offer_prepare(listing=listing, actor=listing.creator)
    signature = key.sign_message(encode_typed_data(full_message=document)).signature.to_0x_hex()
    payment_services.offer_submit(
        listing=listing, actor=listing.creator, message=document["message"], signature=signature
    )
    listing.refresh_from_db()
    if listing.status != Listing.Status.PUBLISHED:
        listing_services.listing_set_status(
            listing=listing, to_status=Listing.Status.PUBLISHED, actor=None, reason="Demo data."
        )


def _terms(name_start: str) -> LicenseTerms:
    return LicenseTerms.objects.filter(owner=None, name__startswith=name_start).first()


def _dataset(creator: User, data: bytes) -> Listing:
    listing = listing_services.listing_create(
        creator=creator,
        kind=Listing.Kind.DATASET,
        title="Synthetic sensor readings",
        summary="Temperature and vibration readings labelled with machine failures.",
        card=DATASET_CARD.format(rows=ROWS),
        license_terms=_terms("Commercial use"),
    )
    listing_services.version_create(
        listing=listing, actor=creator, tag="1.0.0", changelog="First release.",
        files=[("readings.csv", _store(data))],
    )  # fmt: skip
    listing_services.listing_set_tiers(
        listing=listing,
        actor=creator,
        tiers=[
            listing_services.TierSpec(name="Download", price_wei=10**16),
            *_stablecoin_tiers(),
            listing_services.TierSpec(
                name="Compute, 30 days", price_wei=2 * 10**15, duration_seconds=30 * 86400,
                kind="compute", transferable=False,
            ),
        ],
    )  # fmt: skip
    # Buyers of the compute tier run the creator's trusted summary on `make run`'s local host.
    # Raw scripts stay off (the safe default): a buyer's own script could carry the data out
    # in forms the egress guard cannot recognise (docs/security.md).
    compute_policies.policy_update(
        listing=listing,
        environments=[_local_host().name],
        allow_raw_algorithms=False,
        minutes_per_licence=60,
    )
    summary = _store(SUMMARY_SCRIPT.encode())
    Upload.objects.create(
        owner=creator, filename="summary.py", size=summary.size, received=summary.size,
        content_type="text/x-python", status=Upload.Status.COMPLETE, artifact=summary,
        expires_at=timezone.now(),
    )  # fmt: skip
    compute_policies.trusted_algorithm_add(
        listing=listing, name="Column summary", cid=summary.cid, entry_point="summary.py"
    )
    return listing


def _test_usdc() -> str | None:
    """The local chain's test stablecoin (tUSDC: EIP-3009 + permit), if deployed."""
    from chain import client

    try:
        return client.get_contract("TestAuthToken").address
    except client.DeploymentMissing:
        return None


def _stablecoin_tiers() -> list:
    """A download tier in tUSDC: bought with one signature and no ETH (gasless), or by x402."""
    usdc = _test_usdc()
    if usdc is None:
        return []
    return [listing_services.TierSpec(name="Download (tUSDC)", price_wei=5 * 10**6, currency=usdc)]


def _fund_people_with_usdc() -> None:
    """1,000 tUSDC to dev accounts 1-4 (the ones left for people), so the demo shows the
    one-signature purchase. Minting is open on the test token."""
    from django.conf import settings

    from chain import client

    usdc = _test_usdc()
    if usdc is None:
        return
    token = client.get_contract("TestAuthToken")
    deployer = Account.from_key(settings.CHAIN_DEPLOYER_KEY)
    for account in dev_accounts(5)[1:5]:
        client.transact(token.functions.mint(account.address, 1000 * 10**6), account=deployer)


def _local_host() -> ComputeEnvironment:
    """The CPU host `make run`'s worker serves (it consumes the queue compute.local)."""
    host, _ = ComputeEnvironment.objects.get_or_create(
        name=LOCAL_COMPUTE_HOST,
        defaults={"cpu_count": 1, "ram_mb": 2048, "max_duration_seconds": 600},
    )
    return host


def _model(creator: User, contributor: User, data: bytes) -> Listing:
    fitted = fit_logistic(data)
    weights = safetensors({"weight": fitted["weights"], "bias": [fitted["bias"]]})
    config = json.dumps({"features": ["temperature", "vibration"], **fitted}, indent=2).encode()
    listing = listing_services.listing_create(
        creator=creator,
        kind=Listing.Kind.MODEL,
        title="Failure predictor",
        summary="Predicts machine failure from temperature and vibration.",
        card=MODEL_CARD,
        license_terms=_terms("Open"),
    )
    listing_services.version_create(
        listing=listing, actor=creator, tag="1.0.0", changelog="Fitted on readings 1.0.0.",
        files=[("model.safetensors", _store(weights)), ("config.json", _store(config))],
    )  # fmt: skip
    listing_services.listing_set_tiers(
        listing=listing,
        actor=creator,
        tiers=[
            listing_services.TierSpec(name="Research (free)", price_wei=0, transferable=False),
            listing_services.TierSpec(name="Commercial", price_wei=5 * 10**16),
        ],
    )
    # The dataset's creator earns a tenth of every sale of the model trained on it.
    listing_services.listing_set_splits(
        listing=listing,
        actor=creator,
        splits=[(creator.address, 9000, "creator"), (contributor.address, 1000, "dataset")],
    )
    return listing


def demo_data_load() -> list[Listing]:
    """Create the demo listings unless they exist; returns what was created."""
    keys = dev_accounts(7)[5:7]  # dev accounts 5 and 6; 0 deploys, 1-4 are left for people
    if Listing.objects.filter(creator__address__in=[k.address for k in keys]).exists():
        return []
    with transaction.atomic():
        data_creator, model_creator = (
            User.objects.get_or_create(address=k.address)[0] for k in keys
        )
        data_creator.display_name, model_creator.display_name = "Sensor Lab", "Maintenance AI"
        for user in (data_creator, model_creator):
            user.save(update_fields=["display_name"])
        data = dataset_csv()
        dataset = _dataset(data_creator, data)
        model = _model(model_creator, data_creator, data)
        for listing, key in ((dataset, keys[0]), (model, keys[1])):
            _publish(listing, Account.from_key(key.key))
    _fund_people_with_usdc()
    return [dataset, model]
