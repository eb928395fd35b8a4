"""Where a purchase's gas goes, opcode by opcode, from anvil's `debug_traceTransaction`.

Run: .venv/bin/python bench/gas_trace.py [recipients]   (starts and stops its own anvil)

Replays bench/gas.py's later ETH purchase (buyer new to the tier, then the same buyer again)
and the first purchase that registers the offer, and prints each one's execution gas grouped by
opcode family (storage reads/writes, logs, calls, the rest) per contract depth. The receipt's
gasUsed is the 21,000 base plus calldata plus this execution gas (less any refund)."""

import sys
import tempfile
from collections import Counter
from pathlib import Path

from gas import FEE_BPS, Bench
from web3 import Web3

from chain.anvil import Anvil, dev_accounts
from chain.deploy import DeployConfig, deploy_all

FAMILIES = {
    "SLOAD": "storage read",
    "SSTORE": "storage write",
    "TLOAD": "transient",
    "TSTORE": "transient",
    "CALL": "call",
    "STATICCALL": "call",
    "DELEGATECALL": "call",
    "EXTCODESIZE": "account access",
    "BALANCE": "account access",
    "KECCAK256": "keccak",
}


def family(op: str) -> str:
    if op.startswith("LOG"):
        return op
    return FAMILIES.get(op, "compute")


def self_costs(steps: list[dict]) -> list[int]:
    """Each step's own gas: the drop to the next step at its depth, less what a call's callee
    used (counted on the callee's own steps)."""
    costs = [0] * len(steps)
    for i, step in enumerate(steps):
        j = i + 1
        while j < len(steps) and steps[j]["depth"] > step["depth"]:
            j += 1
        if j < len(steps) and steps[j]["depth"] == step["depth"]:
            costs[i] = step["gas"] - steps[j]["gas"]
        else:
            costs[i] = step["gasCost"]  # the last step of a frame (STOP, RETURN)
    for i, step in enumerate(steps):  # a call's own cost excludes its callee's steps
        if i + 1 < len(steps) and steps[i + 1]["depth"] > step["depth"]:
            k = i + 1
            while k < len(steps) and steps[k]["depth"] > step["depth"]:
                if steps[k]["depth"] == step["depth"] + 1:
                    costs[i] -= costs[k]  # not yet reduced: k > i
                k += 1
    return costs


def breakdown(w3: Web3, tx_hash) -> tuple[int, Counter]:
    trace = w3.provider.make_request(
        "debug_traceTransaction",
        [tx_hash.hex(), {"disableStorage": True, "disableMemory": True, "disableStack": True}],
    )["result"]
    steps = trace["structLogs"]
    costs = self_costs(steps)
    groups: Counter = Counter()
    for step, cost in zip(steps, costs, strict=True):
        groups[(step["depth"], family(step["op"]))] += cost
    return trace["gas"], groups


def show(label: str, receipt, w3: Web3) -> None:
    total, groups = breakdown(w3, receipt["transactionHash"])
    print(f"\n{label}: gasUsed {receipt['gasUsed']:,}, execution {sum(groups.values()):,}")
    for (depth, name), gas in sorted(groups.items(), key=lambda kv: (kv[0][0], -kv[1])):
        print(f"  depth {depth}  {name:<16} {gas:>8,}")


class TracingAnvil(Anvil):
    """anvil keeps every step of every transaction only when asked to."""

    def command(self) -> list[str]:
        return [*super().command(), "--steps-tracing"]


def main() -> None:
    recipients = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    node = TracingAnvil().start()
    try:
        w3 = Web3(Web3.HTTPProvider(node.url))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "deployment.json"
            accounts = dev_accounts(10)
            config = DeployConfig("http://127.0.0.1:8000", FEE_BPS, accounts[9].address)
            deploy_all(w3=w3, account=accounts[0], output_path=path, config=config)
            bench = Bench(w3, path)
            warm_offer, warm_sig = bench.offer(recipients)  # the creator's first listing
            bench.first_purchase(warm_offer, warm_sig)
            offer, signature = bench.offer(recipients)
            price = offer.tiers[0].price
            call = bench.market.functions.purchaseWithOffer(
                offer.as_struct(), signature, 0, 1, offer.tiers[0].currency, price
            )
            show("first purchase", bench.send(call, bench.fresh_buyer().address, price), w3)
            buyer = bench.fresh_buyer().address
            call = bench.market.functions.purchaseLicense(
                offer.listing_id, 0, 1, offer.tiers[0].currency, price
            )
            show("later purchase, new buyer", bench.send(call, buyer, price), w3)
            show("later purchase, repeat buyer", bench.send(call, buyer, price), w3)
    finally:
        node.stop()


if __name__ == "__main__":
    main()
