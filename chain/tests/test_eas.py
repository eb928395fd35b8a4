"""Provenance: EAS deployed from the npm package with our schemas, and attestations of a model
release (with its parent) and of a compute job's receipt."""

import pytest
from web3 import Web3

from chain.provenance import JOB_RECEIPT, MODEL_RELEASE, SCHEMAS, attest, read_attestation


def test_schemas_are_registered_with_the_uids_we_compute(suite):
    for name, schema in SCHEMAS.items():
        record = suite.registry.functions.getSchema(schema.uid).call()
        assert record[0] == schema.uid
        assert (record[1], record[2], record[3]) == (
            schema.resolver,
            schema.revocable,
            schema.definition,
        )
        assert suite.deployment["schemas"][name]["uid"] == "0x" + schema.uid.hex()
    assert suite.eas.functions.getSchemaRegistry().call() == suite.registry.address


def test_model_release_attestation_links_to_its_parent(suite):
    platform, creator = suite.admin, suite.accounts[1].address
    digest = Web3.keccak(text="weights v1")
    values = {
        "listingId": 42,
        "version": "1.0.0",
        "contentDigest": digest,
        "cid": "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
        "parentUID": b"\x00" * 32,
        "baseModel": "hf:meta-llama/Llama-3.1-8B",
    }
    first = attest(suite.eas, MODEL_RELEASE, account=platform, recipient=creator, **values)
    second = attest(
        suite.eas,
        MODEL_RELEASE,
        account=platform,
        recipient=creator,
        ref_uid=first,
        **{**values, "version": "1.1.0", "parentUID": first},
    )
    read = read_attestation(suite.eas, second, MODEL_RELEASE)
    assert read["attester"] == platform.address and read["recipient"] == creator
    assert read["refUID"] == first and read["revocationTime"] == 0
    assert read["data"]["version"] == "1.1.0" and read["data"]["parentUID"] == first
    assert read["data"]["contentDigest"] == digest
    with pytest.raises(ValueError, match="not a JobReceipt"):
        read_attestation(suite.eas, first, JOB_RECEIPT)


def test_job_receipt_attestation(suite):
    inputs = [Web3.keccak(text="dataset"), Web3.keccak(text="prompt")]
    uid = attest(
        suite.eas,
        JOB_RECEIPT,
        account=suite.admin,
        recipient=suite.accounts[3].address,
        jobId=Web3.keccak(text="job 7"),
        inputDigests=inputs,
        algorithmDigest=Web3.keccak(text="train.py"),
        outputDigest=Web3.keccak(text="out.tar"),
        host="gpu-host-1",
        gpuSeconds=3_600,
    )
    data = read_attestation(suite.eas, uid, JOB_RECEIPT)["data"]
    assert list(data["inputDigests"]) == inputs
    assert (data["host"], data["gpuSeconds"]) == ("gpu-host-1", 3_600)


def test_schema_encoding_demands_every_field():
    with pytest.raises(ValueError, match="cid"):
        MODEL_RELEASE.encode(listingId=1, version="1", contentDigest=b"\x00" * 32)
