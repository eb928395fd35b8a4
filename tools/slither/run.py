"""Slither over the product contracts (contracts/src, not the test helpers), offline: the pinned
solc-js answers through the `solc` shim next to this file. Prints every finding and exits 1 when
a high or medium one is not listed in ACCEPTED below (each explained in docs/security.md).

Usage: make slither   (installs Slither into .venv-slither on first use)"""

import json
import sys
from pathlib import Path

from crytic_compile import CryticCompile
from crytic_compile.platform.solc_standard_json import SolcStandardJson
from slither import Slither
from slither.detectors import all_detectors
from slither.detectors.abstract_detector import AbstractDetector

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts"
SHIM = Path(__file__).resolve().parent / "solc"
PRODUCT = [
    "src/Marketplace.sol",
    "src/LicenseToken.sol",
    "src/ListingOwnership.sol",
    "src/Checkout.sol",
]

# (detector, contract.function) pairs reviewed and explained in docs/security.md.
ACCEPTED = set(json.loads((Path(__file__).parent / "accepted.json").read_text()))


def main() -> int:
    standard = {
        "language": "Solidity",
        "sources": {p: {"content": (CONTRACTS / p).read_text()} for p in PRODUCT},
        "settings": {
            "optimizer": {"enabled": True, "runs": 10000},
            "viaIR": True,
            "outputSelection": {
                "*": {"*": ["abi", "evm.bytecode", "evm.deployedBytecode"], "": ["ast"]}
            },
        },
    }
    compiled = CryticCompile(
        SolcStandardJson(standard), solc=str(SHIM), solc_working_dir=str(CONTRACTS)
    )
    slither = Slither(compiled)
    for name in dir(all_detectors):
        detector = getattr(all_detectors, name)
        if isinstance(detector, type) and issubclass(detector, AbstractDetector):
            slither.register_detector(detector)
    failing = 0
    for results in slither.run_detectors():
        for finding in results:
            impact = finding["impact"]
            where = _where(finding)
            if any(not (str(p).startswith("src/") or "/src/" in str(p)) for p in _files(finding)):
                continue  # OpenZeppelin's own code
            key = f"{finding['check']}:{where}"
            accepted = key in ACCEPTED
            if impact in ("High", "Medium") and not accepted:
                failing += 1
            mark = "accepted" if accepted else ("FIX" if impact in ("High", "Medium") else "")
            first = finding["description"].strip().splitlines()[0]
            print(f"[{impact}/{finding['confidence']}] {key} {mark}\n    {first}")
    print(f"\n{failing} high/medium finding(s) neither fixed nor explained")
    return 1 if failing else 0


def _files(finding) -> list[str]:
    return [e["source_mapping"]["filename_relative"] for e in finding["elements"]] or ["src/"]


def _where(finding) -> str:
    for element in finding["elements"]:
        if element["type"] == "function":
            contract = element["type_specific_fields"]["parent"]["name"]
            return f"{contract}.{element['name']}"
    element = finding["elements"][0] if finding["elements"] else {"name": "?"}
    return element.get("name", "?")


if __name__ == "__main__":
    sys.exit(main())
