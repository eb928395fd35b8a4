"""One licence truth: what the card's `license:` id grants must agree with the licence terms the
creator picked (the terms are what the licence tokens sell), and the listing page states once,
in plain words, what a buyer may do.

Only well-known ids are checked (what they grant is public); `other` and unknown ids say
nothing the terms could contradict."""

from __future__ import annotations

# (commercial use, derivatives, redistribution) that each well-known licence grants.
_PERMISSIVE = (True, True, True)
GRANTS = {
    **dict.fromkeys(
        ["mit", "apache-2.0", "bsd-2-clause", "bsd-3-clause", "cc0-1.0", "cc-by-4.0",
         "cc-by-sa-4.0", "cc-by-3.0", "unlicense", "isc", "openrail", "bigscience-openrail-m",
         "creativeml-openrail-m", "odc-by", "pddl", "gpl-3.0", "lgpl-3.0", "mpl-2.0"],
        _PERMISSIVE,
    ),
    "cc-by-nc-4.0": (False, True, True),
    "cc-by-nc-sa-4.0": (False, True, True),
    "cc-by-nd-4.0": (True, False, True),
    "cc-by-nc-nd-4.0": (False, False, True),
}  # fmt: skip
RIGHTS = (
    ("commercial_use", "commercial use"),
    ("derivatives_allowed", "derivatives"),
    ("redistribution_allowed", "redistribution"),
)


def licence_conflicts(*, license_id: str, terms) -> list[str]:
    """Where the card's licence and the chosen terms disagree, in words ([] when they agree or
    one of them says nothing checkable)."""
    grants = GRANTS.get((license_id or "").strip().lower())
    if grants is None or terms is None:
        return []
    problems = []
    for granted, (field, label) in zip(grants, RIGHTS, strict=True):
        allowed = getattr(terms, field)
        if granted != allowed:
            problems.append(
                f"the card's licence ({license_id}) {'allows' if granted else 'forbids'} "
                f"{label} but the licence terms “{terms.name}” "
                f"{'forbid' if granted else 'allow'} it"
            )
    return problems


def buyer_may(terms) -> str:
    """One plain sentence of what a licence holder may do under `terms`."""
    if terms is None:
        return "The creator has not chosen licence terms yet."
    rights = [
        (terms.commercial_use, "use it commercially"),
        (terms.derivatives_allowed, "modify it and build on it"),
        (terms.ai_training_allowed, "train other AI models with it"),
        (terms.redistribution_allowed, "share copies with others"),
    ]
    may = [text for ok, text in rights if ok]
    may_not = [text for ok, text in rights if not ok]
    parts = []
    if may:
        parts.append("A licence holder may " + _join(may) + ".")
    if may_not:
        parts.append("They may not " + _join(may_not) + ".")
    if terms.attribution_required:
        parts.append("They must credit the creator.")
    return " ".join(parts)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
