"""How apps act on chain events without `chain` importing them (ARCHITECTURE.md: chain knows no
domain). Each app registers in its `AppConfig.ready()`:

    from chain import registry

    registry.register(
        "payments",
        handlers={("Marketplace", "Purchased"): purchases_record, ...},
        recompute=payments_recompute,
    )

A **handler** receives the batch's new logs of its (contract, event), as saved `ChainLog` rows in
chain order, inside the indexer's transaction (the one that also advances the cursor). It
records the logs' effects as rows with a ForeignKey to the ChainLog, `on_delete=CASCADE`, so a
reorg that deletes a log deletes its effects. Handlers must be idempotent (the indexer hands
each log over once, but a handler must not assume it) and must not depend on the order in which
handlers of different kinds run: state that depends on order goes in `recompute`.

**recompute(logs)** rebuilds the derived state those logs touch (balances, expiries, counters,
flags) from the effect rows that exist now. The indexer calls it after the handlers of each
batch with the app's new logs, and after a reorg with the orphaned logs once they and their rows
are gone, so the same function both applies and rolls back."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured

from chain.client import load_artifact

Handler = Callable[[list], None]  # list[chain.models.ChainLog]
Recompute = Callable[[list], None]

# The contracts whose logs the indexer reads (their addresses come from the deployment file).
INDEXED_CONTRACTS = ("Marketplace", "LicenseToken", "ListingOwnership")


@dataclass(frozen=True)
class Subscriber:
    app: str
    handlers: dict[tuple[str, str], Handler]
    recompute: Recompute | None = None
    kinds: frozenset[tuple[str, str]] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "kinds", frozenset(self.handlers))

    def own(self, logs: Iterable) -> list:
        """The logs among `logs` this app handles, in their order."""
        return [log for log in logs if (log.contract, log.event) in self.kinds]


_subscribers: dict[str, Subscriber] = {}


def register(
    app: str,
    *,
    handlers: dict[tuple[str, str], Handler],
    recompute: Recompute | None = None,
) -> None:
    """Subscribe `app` to (contract, event) kinds. Registering the same app again replaces its
    subscription (ready() may run more than once, e.g. in tests)."""
    for contract, event in handlers:
        _check_kind(contract, event)
    _subscribers[app] = Subscriber(app=app, handlers=dict(handlers), recompute=recompute)


def unregister(app: str) -> None:
    _subscribers.pop(app, None)


def subscribers() -> list[Subscriber]:
    return list(_subscribers.values())


def _check_kind(contract: str, event: str) -> None:
    # Fail at start-up on a typo rather than silently never receiving the event.
    if contract not in INDEXED_CONTRACTS:
        raise ImproperlyConfigured(f"the indexer does not read {contract} logs")
    names = {item["name"] for item in load_artifact(contract)["abi"] if item["type"] == "event"}
    if event not in names:
        raise ImproperlyConfigured(f"{contract} has no event {event}")
