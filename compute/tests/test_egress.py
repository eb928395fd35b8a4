"""Issue 15: a compute licence is not a download licence. A buyer pays for the compute tier on
the chain, then runs raw scripts (the creator opted in) that try to carry the dataset out
through /out: a whole copy, a shifted copy, a partial copy, an oversized re-encoding. Each job
ends failed with `egress_blocked`, is metered, and releases nothing; an aggregate is released."""

import hashlib
import textwrap

import pytest

from accounts.models import User
from artifacts.models import Artifact
from compute import policies, services
from compute.egress import Chunking, chunks, egress_check
from compute.models import ComputePolicy, ComputeUsage, Job
from compute.tests.helpers import environment, log_of, script
from listings.models import LicenseTerms, Listing
from payments.models import Entitlement
from payments.tests.access_helpers import scan_files, stored_file
from payments.tests.indexing import TierSpec, buy, index, tokenized_listing, wallets

S = Job.Status


def readings(rows: int = 4000) -> bytes:
    """About 80 KB of CSV whose rows all differ (a linear congruential sequence)."""
    value, lines = 12345, ["id,temperature,vibration"]
    for i in range(rows):
        value = (value * 1103515245 + 12345) % 2**31
        lines.append(f"{i},{value % 9000 / 100:.2f},{value % 777 / 10:.1f}")
    return ("\n".join(lines) + "\n").encode()


DATA = readings()


@pytest.fixture
def bought(compute_settings, contracts, w3):
    """A dataset sold as a 0.01 ETH download and a 0.002 ETH compute licence, and a buyer who
    bought the compute tier on anvil (the indexer granted it)."""
    compute_settings.COMPUTE_OUTPUT_MAX_BYTES = 1024**2
    # Transactional tests before this one flush the presets a migration made.
    LicenseTerms.objects.get_or_create(owner=None, name="Research only")
    host = environment(max_duration_seconds=20)
    data = stored_file(DATA)
    scan_files([("readings.csv", data)])
    listing = tokenized_listing(
        files=[("readings.csv", data)],
        tiers=[
            TierSpec(name="Download", price_wei=10**16),
            TierSpec(name="Compute", price_wei=2 * 10**15, kind="compute"),
        ],
    )
    Listing.objects.filter(pk=listing.pk).update(kind=Listing.Kind.DATASET)
    ComputePolicy.objects.create(listing=listing)
    policies.policy_update(
        listing=listing, environments=[host.name], allow_raw_algorithms=True,
        minutes_per_licence=60, max_output_percent=200,
    )  # fmt: skip
    (buyer,) = wallets(1)
    buy(listing, buyer, tier=1)
    index()
    owner = User.objects.create_user(buyer.address)
    assert Entitlement.objects.get(holder=buyer.address).kind == "compute"
    return listing, owner, host


def run(bought, source: str) -> Job:
    listing, owner, host = bought
    job = services.job_submit(
        owner=owner,
        listing=listing,
        request=services.JobRequest(
            environment=host.name, algorithm_file=script(textwrap.dedent(source))
        ),
    )
    job.refresh_from_db()
    return job


ATTACKS = {
    "copy": "open('/out/r.csv', 'wb').write(open('/data/readings.csv', 'rb').read())",
    "shifted": "open('/out/r.bin', 'wb').write(b'x' * 7 + open('/data/readings.csv', 'rb').read())",
    "partial": "d = open('/data/readings.csv', 'rb').read()\n"
    "open('/out/part.csv', 'wb').write(d[len(d) // 3 : len(d) // 3 + 12000])",
    "split_in_files": "d = open('/data/readings.csv', 'rb').read()\n"
    "for i in range(0, len(d), 20000): open(f'/out/p{i}', 'wb').write(b'#' + d[i:i + 20000])",
}


@pytest.mark.chain
@pytest.mark.django_db(transaction=True)
def test_the_data_cannot_leave_through_a_compute_licence(bought):
    copies_before = Artifact.objects.count()
    for name, source in ATTACKS.items():
        job = run(bought, source)
        assert (job.status, job.reason_code) == (S.FAILED, "egress_blocked"), (name, job.reason)
        assert "contain" in job.reason and "Nothing was released" in job.reason
        assert not job.outputs.exists() and job.output_manifest is None, name
        assert ComputeUsage.objects.filter(job=job).exists(), name  # metered all the same
    # Only the uploaded algorithms were stored: no copy of the data, shifted or not.
    stored = Artifact.objects.order_by("-id")[: Artifact.objects.count() - copies_before]
    assert all(a.size < 1000 for a in stored)
    assert Artifact.objects.filter(sha256=hashlib.sha256(DATA).hexdigest()).count() == 1

    # Outputs larger than the creator's share of the data are refused whatever they hold.
    listing, _owner, _host = bought
    ComputePolicy.objects.filter(listing=listing).update(max_output_percent=1)
    big = run(bought, "import os\nopen('/out/noise.bin', 'wb').write(os.urandom(70000))")
    assert (big.status, big.reason_code) == (S.FAILED, "egress_blocked")
    assert "larger than this listing allows" in big.reason

    aggregate = run(
        bought,
        """
        import csv
        rows = list(csv.DictReader(open('/data/readings.csv')))
        mean = sum(float(r['temperature']) for r in rows) / len(rows)
        open('/out/summary.txt', 'w').write(f'rows={len(rows)} mean_temperature={mean:.3f}\\n')
        """,
    )
    assert aggregate.status == S.SUCCEEDED, (aggregate.reason, log_of(aggregate))
    assert [o.path for o in aggregate.outputs.all()] == ["summary.txt"]


def test_chunk_cut_points_follow_the_content_not_the_offset(tmp_path, settings):
    settings.COMPUTE_EGRESS_MIN_OUTPUT_BYTES = 10**9
    (tmp_path / "data").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "data" / "d.csv").write_bytes(DATA)
    chunking = Chunking.for_size(len(DATA))
    plain = [fp for fp, _ in chunks(tmp_path / "data" / "d.csv", chunking)]
    (tmp_path / "out" / "s").write_bytes(b"shifted by 5" + DATA)
    shifted = [fp for fp, _ in chunks(tmp_path / "out" / "s", chunking)]
    assert len(set(plain) & set(shifted)) >= len(plain) - 3
    verdict = egress_check(
        data_dir=tmp_path / "data", out_dir=tmp_path / "out", max_output_percent=100
    )
    assert verdict.matched_bytes > len(DATA) * 0.9 and verdict.reason


@pytest.mark.django_db(transaction=True)
def test_a_creator_can_hold_outputs_for_review(compute_settings):
    from django.test import Client

    from compute.tests.helpers import buyer_with_licence, dataset_listing, submit
    from payments.tests.access_helpers import api_for

    def page(user):
        client = Client()
        client.force_login(user)
        return client

    host = environment()
    listing = dataset_listing(hosts=[host])
    ComputePolicy.objects.filter(listing=listing).update(review_outputs=True)
    buyer = buyer_with_licence(listing)
    job = submit(listing, buyer, host, "open('/out/n.txt', 'w').write('3')\n")
    job.refresh_from_db()
    assert (job.status, job.outputs_review) == (S.SUCCEEDED, "pending")
    url = f"/api/v1/compute/jobs/{job.uuid}"
    assert api_for(buyer).get(url).json()["outputs"] == []
    output = f"/compute/jobs/{job.uuid}/outputs/n.txt"
    assert page(buyer).get(output).status_code == 404  # held
    held = api_for(listing.creator).get(f"{url}/outputs-review").json()
    assert [o["path"] for o in held["outputs"]] == ["n.txt"]
    assert page(listing.creator).get(output).status_code == 200  # the creator looks first
    review = api_for(buyer).post(f"{url}/outputs-review", {"approve": True}, format="json")
    assert review.status_code == 404  # only the creator reviews
    review = api_for(listing.creator).post(
        f"{url}/outputs-review", {"approve": True}, format="json"
    )
    assert review.status_code == 200 and review.json()["outputs_review"] == "approved"
    assert [o["path"] for o in api_for(buyer).get(url).json()["outputs"]] == ["n.txt"]
    assert page(buyer).get(output).status_code == 200


def test_data_fingerprints_are_cached_per_content_id(tmp_path, settings):
    settings.COMPUTE_EGRESS_MIN_OUTPUT_BYTES = 10**9
    data, out, cache = tmp_path / "data", tmp_path / "out", tmp_path / "fp"
    data.mkdir()
    out.mkdir()
    (data / "d.csv").write_bytes(DATA)
    (out / "copy").write_bytes(DATA)
    names = {data / "d.csv": "bafy-test"}
    first = egress_check(
        data_dir=data, out_dir=out, max_output_percent=100, cache_names=names, cache_dir=cache
    )
    assert first.reason and len(list(cache.glob("bafy-test-*.fp"))) == 1
    # The cache is what counts from now on: the file's bytes are not chunked again.
    (data / "d.csv").write_bytes(b"z" * len(DATA))
    again = egress_check(
        data_dir=data, out_dir=out, max_output_percent=100, cache_names=names, cache_dir=cache
    )
    assert again.reason and again.matched_bytes == first.matched_bytes
