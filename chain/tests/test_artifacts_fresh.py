"""contracts/build is committed: these fail when a source changed (ours, OpenZeppelin's or
EAS's) and `make contracts` was not run, or when a contract has no artifact."""

import hashlib
import json
import re
from pathlib import Path

import pytest
from django.conf import settings

CONTRACTS = Path(settings.CONTRACTS_DIR)
BUILD = Path(settings.CONTRACTS_BUILD_DIR)
# A concrete contract declaration (not `abstract contract`, `interface` or `library`).
CONTRACT_DECL = re.compile(r"^\s*contract\s+(\w+)", re.MULTILINE)
STALE = "is stale: run `make contracts` and commit contracts/build"


def artifacts() -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(BUILD.glob("*.json"))]


def resolve(source: str) -> Path:
    """Sources are named as the compiler saw them: relative to contracts/ or node_modules/."""
    for base in (CONTRACTS, CONTRACTS / "node_modules"):
        if (base / source).is_file():
            return base / source
    raise AssertionError(f"source {source} no longer exists")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("artifact", artifacts(), ids=lambda a: a["contractName"])
def test_artifact_matches_its_sources(artifact):
    for source, recorded in artifact["sources"].items():
        assert sha256(resolve(source)) == recorded, f"{artifact['contractName']} {STALE} ({source})"
    # The overall hash is what the build script derives from the per-source ones.
    canonical = json.dumps(artifact["sources"], separators=(",", ":"))
    assert hashlib.sha256(canonical.encode()).hexdigest() == artifact["sourceHash"]


@pytest.mark.parametrize("artifact", artifacts(), ids=lambda a: a["contractName"])
def test_artifact_was_built_by_the_pinned_compiler(artifact):
    package = CONTRACTS / "node_modules" / artifact["compiler"]["name"] / "package.json"
    version = json.loads(package.read_text())["version"]
    assert artifact["compiler"]["version"].startswith(f"{version}+"), (
        artifact["contractName"] + STALE
    )
    assert artifact["bytecode"].startswith("0x") and len(artifact["bytecode"]) > 2


def test_every_contract_in_src_has_an_artifact():
    built = {a["contractName"]: a["sourceName"] for a in artifacts()}
    for path in sorted((CONTRACTS / "src").rglob("*.sol")):
        source = str(path.relative_to(CONTRACTS))
        for name in CONTRACT_DECL.findall(path.read_text()):
            assert built.get(name) == source, f"{name} ({source}) has no artifact: {STALE}"


def test_every_src_file_is_in_each_artifacts_hashes():
    # A new .sol file (even one holding only an interface) must be part of the build.
    ours = {str(p.relative_to(CONTRACTS)) for p in (CONTRACTS / "src").rglob("*.sol")}
    for artifact in artifacts():
        if artifact["sourceName"].startswith("src/"):
            hashed = {s for s in artifact["sources"] if s.startswith("src/")}
            assert ours == hashed, f"{artifact['contractName']} {STALE}"
