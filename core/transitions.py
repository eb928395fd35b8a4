"""The status-transition kernel. An entity with a status (a listing, an upload, a compute job,
an access request) has one table of allowed (from, to) changes, one `<entity>_set_status`
service that is the only door for a change, and a history table with one row per change.
The table and the refusal's words are the entity's; checking and recording are done here, the
same way for all of them."""

from collections.abc import Callable, Container

from core.errors import ApiError


def transition_check(
    table: Container[tuple[str, str]],
    from_status: str,
    to_status: str,
    refuse: Callable[[], ApiError],
) -> None:
    """Raise `refuse()` (an ApiError, usually 409) unless `table` allows from -> to. `table` is
    a set of (from, to) pairs, or a dict keyed by them (e.g. to who may make each change)."""
    if (from_status, to_status) not in table:
        raise refuse()


def transition_record(history, *, from_status: str, to_status: str, **fields):
    """Record one change in the entity's history model (`fields`: the entity, actor, reason)."""
    return history.objects.create(from_status=from_status, to_status=to_status, **fields)
