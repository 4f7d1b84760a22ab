"""Importing records into the store: all of them in one transaction, or none."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

import attrs

from .errors import Conflict, NotFound
from .models import Claim, Source, Stance

if TYPE_CHECKING:
    from .store import Store


def import_records(store: "Store", sources: Iterable[Source] = (), claims: Iterable[Claim] = (),
                   stances: Iterable[Stance] = (), where: str = "$") -> dict[str, int]:
    """Add sources, claims and stances in one transaction: all of them, or none.

    A source or claim already present is reused when its fields agree and is
    an error when they differ; a stance identical to one already logged is
    skipped, so importing the same file twice adds nothing.
    """
    added = {"sources": 0, "claims": 0, "stances": 0}
    errors: list[str] = []
    with store.transaction():
        for i, source in enumerate(sources):
            try:
                existing = store.get_source(source.name)
            except NotFound:
                store._insert_source(source)
                added["sources"] += 1
                continue
            if existing != attrs.evolve(source, name=existing.name):
                errors.append(
                    f"source {source.name!r} differs from the one already in the database "
                    f"({_differences(existing, source)}); make them agree or rename one @ {where}.sources[{i}]"
                )
        touched: set[int] = set()
        for i, claim in enumerate(claims):
            row = store.conn.execute("SELECT * FROM claims WHERE key = ?", [claim.key]).fetchone()
            if row is None:
                store._insert_claim(claim)
                added["claims"] += 1
                continue
            existing = store._claim_from_row(row)
            if existing != claim:
                errors.append(
                    f"claim {claim.key!r} differs from the one already in the database "
                    f"({_differences(existing, claim)}); make them agree or give it another key @ {where}.claims[{i}]"
                )
        claim_ids: dict[str, int] = {}
        source_ids: dict[str, int] = {}
        for i, stance in enumerate(stances):
            try:
                if stance.claim not in claim_ids:
                    claim_ids[stance.claim] = store.get_claim(stance.claim).id
                folded = stance.source.casefold()
                if folded not in source_ids:
                    source_ids[folded] = store.get_source(stance.source).id
            except NotFound as exc:
                errors.append(f"{exc} @ {where}.stances[{i}]")
                continue
            claim_id, source_id = claim_ids[stance.claim], source_ids[folded]
            if _stance_exists(store, stance, claim_id, source_id):
                continue
            store._insert_stance(stance, claim_id, source_id, refresh=False)
            touched.add(claim_id)
            added["stances"] += 1
        if errors:
            shown = errors[:20]
            more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
            raise Conflict("; ".join(shown) + more + "; nothing was imported")
        store._refresh(touched)
    return added

def _stance_exists(store: "Store", stance: Stance, claim_id: int, source_id: int) -> bool:
    return store.conn.execute(
        "SELECT 1 FROM stances WHERE claim_id = ? AND source_id = ? AND position = ? "
        "AND quote IS ? AND said_on IS ? AND logged_at = ? LIMIT 1",
        [claim_id, source_id, stance.position, stance.quote, stance.said_on, stance.logged_at],
    ).fetchone() is not None



def _differences(existing, incoming) -> str:
    """'kind: 'official' in the database, 'analyst' in the file; ...'"""
    parts = []
    for field in attrs.fields(type(existing)):
        if field.name == "id" or not field.eq:
            continue
        old, new = getattr(existing, field.name), getattr(incoming, field.name)
        if old != new:
            parts.append(f"{field.name}: {old!r} in the database, {new!r} in the file")
    return "; ".join(parts)
