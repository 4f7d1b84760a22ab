"""Records as the command line prints them with --json: one shape per kind of record,
whichever command prints it (its listing, its `show`, the add that created it, the
command that changed it)."""

from __future__ import annotations

from typing import Any, Optional


def source_json(source, stances: int, record=None) -> dict[str, Any]:
    """A source as `source list --json` gives it, with how many stances it has and its
    track record (right and wrong on the claims whose truth is ruled)."""
    from ..formats import to_json

    right, wrong = (record.right, record.wrong) if record is not None else (0, 0)  # merged: no record of its own
    return {"id": source.id, **to_json(source), "stances": stances, "track_record": {"right": right, "wrong": wrong}}


def stance_json(listed) -> dict[str, Any]:
    """A stance (a store ListedStance) as `stance list --json` gives it: every field, who
    logged it and when, its retraction, and its status under rule 1."""
    from ..formats import to_json

    return {"id": listed.stance.id, **to_json(listed.stance), "status": listed.status, "counted": listed.counted}


def claim_summary_json(claim, reconciliation) -> dict[str, Any]:
    """A claim as `claim list --json` gives it: its fields and the sources' verdict."""
    from ..formats import to_json

    return {"id": claim.id, **to_json(claim), "verdict": reconciliation.verdict,
            "score": reconciliation.score, "agreement": reconciliation.agreement}


def change_json(change) -> dict[str, Any]:
    """A change as `verity log --json` gives it."""
    from ..formats import to_json

    return to_json(change)


def source_record_json(store, source, stances: int) -> dict[str, Any]:
    """A source as `source show --json` gives it: its fields, its track record, the reliability
    the last saved assessment learned for it, its other names (aliases and the sources merged
    into it) and every change of it, newest first."""
    return {**source_json(source, stances, store.track_record(source.id)),
            "learned_reliability": store.learned_reliability(source.id),
            "aliases": store.other_names("sources", source.id),
            "changes": [change_json(c) for c in store.changes(record=("source", source.id))]}


def claim_record_json(store, record) -> dict[str, Any]:
    """`claim_json` with the claim's old keys, its ruling history (oldest first) and every
    change of it (newest first): what `claim show --json` gives."""
    from ..formats import to_json

    claim = record.claim
    return {**claim_json(record), "estimate": estimate_json(record.estimate),
            "aliases": store.other_names("claims", claim.id),
            "rulings": [to_json(r) for r in store.rulings(claim.id)],
            "changes": [change_json(c) for c in store.changes(record=("claim", claim.id))]}


def claim_json(record) -> dict[str, Any]:
    """A claim (a store ClaimRecord) as `claim list`'s record gives it: its fields, its
    reconciliation, and every stance ever logged on it, oldest first."""
    from ..formats import reconciliation_json, to_json

    stances = []
    for stance in record.stances:
        status = record.statuses[stance.id].status
        data = {"id": stance.id, **to_json(stance), "status": status, "counted": stance.id in record.counted_ids}
        data.pop("claim")
        stances.append(data)
    claim = record.claim
    return {"id": claim.id, **to_json(claim), "reconciliation": reconciliation_json(record.reconciliation),
            "stances": stances}


def estimate_json(estimate) -> Optional[dict[str, Any]]:
    """A stored estimate (verity.trust.StoredEstimate) as `claim show --json` gives it, or None."""
    if estimate is None:
        return None
    return {"estimate": estimate.estimate, "credibility": estimate.credibility,
            "credibility_meaning": estimate.credibility_meaning, "method": estimate.method,
            "computed_at": estimate.computed_at, "stale": estimate.stale, "stale_since": estimate.stale_since}


def question_json(reconciled) -> dict[str, Any]:
    """A question as `question show --json` gives it: rule 7 over its answers."""
    from ..formats import reconciliation_json

    return {"question": reconciled.question, "text": reconciled.text, "verdict": reconciled.verdict,
            "leading": reconciled.leading, "answers": [reconciliation_json(a) for a in reconciled.answers],
            "contradictions": [list(pair) for pair in reconciled.contradictions]}
