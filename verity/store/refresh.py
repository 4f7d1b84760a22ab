"""What the reconciler decides, stored: each claim's reconciliation and each stance's status.

Both are computed by `verity.reconcile` and written in the same transaction as
every write, so neither is ever stale; Datasette's views and the reports read them.
"""

from __future__ import annotations

import sqlite3
from itertools import groupby
from operator import itemgetter
from typing import Iterable, Iterator, Optional, Sequence

from ..models import Reconciliation
from ..reconcile import Outcome, SourceFacts, StanceFact, StanceStatus, reconcile_stances
from .rows import (
    RECONCILIATION_SELECT,
    RECONCILIATION_UPSERT,
    STANCE_STATUS_DELETE,
    STANCE_STATUS_SELECT,
    STANCE_STATUS_WRITE,
    reconciliation_from_row,
    reconciliation_row,
    verdict_filter,
)

_CHUNK = 500  # ids per IN (...) list, well under SQLite's parameter limit
_BATCH = 5000  # rows of claims, or of stances, written with one executemany

# A stance as a StanceFact, field for field: its rows go to the reconciler as they come.
_FACT_COLUMNS = "source_id, position, coalesce(said_on, logged_at), id, retracted_at IS NOT NULL, claim_id"
_FACT_CLAIM_ID = itemgetter(StanceFact._fields.index("claim_id"))


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _group_by_claim(
    claim_ids: Iterable[int], rows, sources: dict[int, SourceFacts]
) -> Iterator[tuple[int, Outcome, list[StanceStatus]]]:
    """Reconcile rows of _FACT_COLUMNS (ordered by claim) for each of `claim_ids`, in order;
    a claim with no rows is reconciled from no stances."""
    groups = groupby(rows, key=_FACT_CLAIM_ID)
    group = next(groups, None)
    for claim_id in claim_ids:
        if group is not None and group[0] == claim_id:
            # reconcile before advancing: groupby invalidates a group once it moves on
            outcome, statuses = reconcile_stances(group[1], sources)
            group = next(groups, None)
        else:
            outcome, statuses = reconcile_stances((), sources)
        yield claim_id, outcome, statuses


class _SourceFactsOnDemand(dict):
    """SourceFacts by source id, each read from the database when first asked for."""

    def __init__(self, conn: sqlite3.Connection):
        super().__init__()
        self.conn = conn

    def __missing__(self, source_id: int) -> SourceFacts:
        name, affiliation, reliability = self.conn.execute(
            "SELECT name, affiliation, reliability FROM sources WHERE id = ?", [source_id]
        ).fetchone()
        facts = self[source_id] = SourceFacts.of(name, affiliation, reliability)
        return facts


class Reconciliations:
    """The part of `Store` that computes and stores each claim's reconciliation and
    each stance's status."""

    conn: sqlite3.Connection

    def _computed(
        self, claim_ids: Optional[Iterable[int]] = None
    ) -> Iterator[tuple[int, Outcome, list[StanceStatus]]]:
        """(claim id, its outcome, its stances' statuses), computed now from its stances, by claim id.

        The one path from stored stances to `reconcile`. For every claim
        (claim_ids None) it is one pass that SQLite sorts once, with every
        source's SourceFacts made up front, rather than claim by claim through an
        index; for some claims it reads just their stances, and each source's
        SourceFacts when first needed. Either way each claim's stances are
        streamed through the reconciler, so memory is bounded by the number of
        sources, not of stances.
        """
        if claim_ids is None:
            sources: dict[int, SourceFacts] = {
                source_id: SourceFacts.of(name, affiliation, reliability)
                for source_id, name, affiliation, reliability in self.conn.execute(
                    "SELECT id, name, affiliation, reliability FROM sources")
            }
            rows = self.conn.execute(f"SELECT {_FACT_COLUMNS} FROM stances ORDER BY +claim_id, id")
            ids: Iterable[int] = map(itemgetter(0), self.conn.execute("SELECT id FROM claims ORDER BY id"))
            yield from _group_by_claim(ids, rows, sources)
            return
        sources = _SourceFactsOnDemand(self.conn)
        for chunk in _chunks(sorted(set(claim_ids))):
            rows = self.conn.execute(
                f"SELECT {_FACT_COLUMNS} FROM stances WHERE claim_id IN ({','.join('?' * len(chunk))}) "
                "ORDER BY claim_id, id",
                list(chunk),
            )
            yield from _group_by_claim(chunk, rows, sources)

    def refresh_reconciliations(self, claim_ids: Optional[Iterable[int]] = None) -> int:
        """Recompute and store the reconciliation of these claims, or of every claim, and
        the status of each of their stances (inside the caller's transaction); returns
        how many claims were stored.

        Only rows that change are written: a refresh of sound tables writes nothing.
        A stance whose status is plain (`verity.reconcile.plain_status`: it counts and
        follows no other, as nearly every stance does) has no stance_statuses row.
        """
        ids = None if claim_ids is None else sorted(set(claim_ids))
        stored = self._stored_statuses(ids)  # those not seen again by the end are stale
        count, claims, statuses = 0, [], []
        for claim_id, outcome, listed in self._computed(ids):
            claims.append(reconciliation_row(claim_id, outcome))
            for status in listed:
                if stored.pop(status[0], None) != status:
                    statuses.append(status)
            if len(claims) >= _BATCH or len(statuses) >= _BATCH:
                self._write_rows(claims, statuses)
                count, claims, statuses = count + len(claims), [], []
        self._write_rows(claims, statuses)
        if stored:
            self.conn.executemany(STANCE_STATUS_DELETE, [[stance_id] for stance_id in stored])
        return count + len(claims)

    def _stored_statuses(self, claim_ids: Optional[Sequence[int]]) -> dict[int, tuple]:
        """The stored stance_statuses rows of these claims' stances (of every claim's when
        None), by stance id: as many as there are stances that are not plain."""
        if claim_ids is None:
            return {row[0]: row for row in self.conn.execute(STANCE_STATUS_SELECT)}
        stored = {}
        for chunk in _chunks(claim_ids):
            stored.update((row[0], row) for row in self.conn.execute(
                STANCE_STATUS_SELECT + " JOIN stances s ON s.id = st.stance_id "
                f"WHERE s.claim_id IN ({','.join('?' * len(chunk))})",
                list(chunk),
            ))
        return stored

    def rebuild_reconciliations(self) -> int:
        """Recompute every claim's stored reconciliation and stance statuses in one pass,
        rewriting only what differs; returns the claim count."""
        with self.transaction():
            return self.refresh_reconciliations()

    def _write_rows(self, claims: list[tuple], statuses: list[StanceStatus]) -> None:
        """Store rows of the reconciliations and stance_statuses tables. A reconciliation
        that already says the same is left alone, and one that differs is updated in
        place rather than deleted and inserted (with its index entries)."""
        if claims:
            self.conn.executemany(RECONCILIATION_UPSERT, claims)
        if statuses:
            self.conn.executemany(STANCE_STATUS_WRITE, statuses)

    def reconciliations(
        self, claims: Optional[Sequence[str | int]] = None, verdicts: Optional[Sequence[str]] = None
    ) -> Iterator[Reconciliation]:
        """The stored reconciliation of the named claims (in the order named), else of every claim."""
        if claims:
            ids = [self.get_claim(ref).id for ref in claims]
            for claim_id in ids:
                row = self.conn.execute(RECONCILIATION_SELECT + " WHERE c.id = ?", [claim_id]).fetchone()
                yield reconciliation_from_row(row)
            return
        where, params = verdict_filter(verdicts)
        for row in self.conn.execute(RECONCILIATION_SELECT + where + " ORDER BY c.id", params):
            yield reconciliation_from_row(row)

    def fresh_reconciliations(self) -> Iterator[Reconciliation]:
        """Every claim's reconciliation computed now from the stances, in one streaming pass."""
        claims = self.conn.execute("SELECT id, key, text, ruling FROM claims ORDER BY id")
        for (claim_id, outcome, _), (same_id, key, text, ruling) in zip(self._computed(), claims):
            assert claim_id == same_id
            yield outcome.reconciliation(key, text, ruling)
