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
from ..reconcile import COUNTED, Outcome, SourceFacts, StanceFact, StanceStatus, reconcile_stances
from .rows import (
    NOT_LATEST_RULING,
    RECONCILIATION_SELECT,
    RECONCILIATION_UPSERT,
    SET_LATEST_RULING,
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
_FACT_COLUMNS = ("source_id, position, coalesce(said_on, logged_at), id, retracted_at IS NOT NULL, claim_id, "
                 "logged_at, uid")
_FACT_CLAIM_ID = itemgetter(StanceFact._fields.index("claim_id"))


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _group_by_claim(
    claim_ids: Iterable[int], rows, sources: dict[int, SourceFacts], moved: Optional[dict[int, tuple]] = None
) -> Iterator[tuple[int, Outcome, list[StanceStatus]]]:
    """Reconcile rows of _FACT_COLUMNS (ordered by claim) for each of `claim_ids` (ascending),
    in order; a claim with no rows is reconciled from no stances, and rows of claims not
    listed are passed over. `moved`: the stances that count for another claim or source
    than their own (see `_as_counted_for`), which their statuses then say."""
    groups = groupby(rows, key=_FACT_CLAIM_ID)
    group = next(groups, None)
    for claim_id in claim_ids:
        while group is not None and group[0] < claim_id:
            group = next(groups, None)
        if group is not None and group[0] == claim_id:
            # reconcile before advancing: groupby invalidates a group once it moves on
            facts = group[1]
            if moved is not None:
                facts = list(facts)  # `moved` learns of them as they are read
            outcome, statuses = reconcile_stances(facts, sources)
            if moved:
                here = {fact[3]: moved.pop(fact[3]) for fact in facts if fact[3] in moved}
                statuses = _with_counted_for(statuses, here)
            group = next(groups, None)
        else:
            outcome, statuses = reconcile_stances((), sources)
        yield claim_id, outcome, statuses


def _roots(conn: sqlite3.Connection, table: str) -> dict[int, int]:
    """For each record merged into another, the record at the end of its chain of merges."""
    pointers = dict(conn.execute(f"SELECT id, merged_into FROM {table} WHERE merged_into IS NOT NULL"))
    roots = {}
    for record_id in pointers:
        root, seen = record_id, {record_id}
        while root in pointers and pointers[root] not in seen:
            root = pointers[root]
            seen.add(root)
        roots[record_id] = root
    return roots


def _as_counted_for(rows, sources: dict[int, int], claims: dict[int, int], moved: dict[int, tuple]):
    """Rows of _FACT_COLUMNS with each stance's source and claim the ones it counts for;
    `moved` is told, for each stance whose claim or source changes so, the ones it counts for."""
    if not sources and not claims:
        yield from rows
        return
    for row in rows:
        source_id, claim_id = sources.get(row[0], row[0]), claims.get(row[5], row[5])
        if source_id != row[0] or claim_id != row[5]:
            moved[row[3]] = (claim_id if claim_id != row[5] else None, source_id if source_id != row[0] else None)
            row = (source_id, *row[1:5], claim_id, *row[6:])
        yield row


def _with_counted_for(statuses: list[StanceStatus], moved: dict[int, tuple]) -> list[StanceStatus]:
    """The statuses, each of a stance that counts for another claim or source than the one it was
    logged with saying which (a stance that was plain gets a row for it)."""
    if not moved:
        return statuses
    listed = {status.stance_id for status in statuses}
    result = [status._replace(claim_id=moved[status.stance_id][0], source_id=moved[status.stance_id][1])
              if status.stance_id in moved else status for status in statuses]
    result += [StanceStatus(stance_id, COUNTED, None, *ids) for stance_id, ids in moved.items()
               if stance_id not in listed]
    return result


class _SourceFactsOnDemand(dict):
    """SourceFacts by source id, each read from the database when first asked for."""

    def __init__(self, conn: sqlite3.Connection, path: str):
        super().__init__()
        self.conn = conn
        self.path = path

    def __missing__(self, source_id: int) -> SourceFacts:
        row = self.conn.execute(
            "SELECT name, affiliation, reliability FROM sources WHERE id = ?", [source_id]
        ).fetchone()
        if row is None:
            # Every write reconciles the claims it touches, so this is where a stance naming a
            # source that is not there is met first: raw SQL with foreign keys off (the sqlite3
            # shell's default) can insert one, or renumber its source once the triggers are dropped.
            from .core import damaged  # core is built of this module's mixin

            raise damaged(self.path, f"a stance names source {source_id}, which is not there")
        facts = self[source_id] = SourceFacts.of(*row)
        return facts


class Reconciliations:
    """The part of `Store` that computes and stores each claim's reconciliation and
    each stance's status."""

    conn: sqlite3.Connection
    path: str

    def _computed(
        self, claim_ids: Optional[Iterable[int]] = None
    ) -> Iterator[tuple[int, Outcome, list[StanceStatus]]]:
        """(claim id, its outcome, its stances' statuses), computed now from its stances, by claim id.

        The one path from stored stances to `reconcile`. A claim merged into another has
        no reconciliation of its own: its stances count for the claim it was merged into,
        and the stances of a source merged into another count as that source's.

        For every claim (claim_ids None) it is one pass that SQLite sorts once, with every
        source's SourceFacts made up front, rather than claim by claim through an index;
        for some claims it reads just their stances (and those of the claims merged into
        them), and each source's SourceFacts when first needed. Either way each claim's
        stances are streamed through the reconciler, so memory is bounded by the number
        of sources, not of stances.
        """
        source_roots, claim_roots = _roots(self.conn, "sources"), _roots(self.conn, "claims")
        members: dict[int, list[int]] = {}  # a claim that others were merged into -> all of them
        for claim_id, root in claim_roots.items():
            members.setdefault(root, [root]).append(claim_id)
        if claim_ids is None:
            sources: dict[int, SourceFacts] = _SourceFactsOnDemand(self.conn, self.path)
            sources.update(
                (source_id, SourceFacts.of(name, affiliation, reliability))
                for source_id, name, affiliation, reliability in self.conn.execute(
                    "SELECT id, name, affiliation, reliability FROM sources"))
            rows = self.conn.execute(f"SELECT {_FACT_COLUMNS} FROM stances ORDER BY +claim_id, id")
            # Claims with others merged into them are read apart, with those others, below.
            ids: Iterable[int] = (claim_id for (claim_id,) in self.conn.execute(
                "SELECT id FROM claims WHERE merged_into IS NULL ORDER BY id") if claim_id not in members)
            moved: Optional[dict[int, tuple]] = {} if source_roots else None
            yield from _group_by_claim(ids, _as_counted_for(rows, source_roots, {}, moved if moved is not None else {}), sources, moved)
            if not members:
                return
            claim_ids = members
        sources = _SourceFactsOnDemand(self.conn, self.path)
        for chunk in _chunks(sorted({claim_roots.get(claim_id, claim_id) for claim_id in claim_ids})):
            read = [member for claim_id in chunk for member in members.get(claim_id, [claim_id])]
            rows = self.conn.execute(
                f"SELECT {_FACT_COLUMNS} FROM stances WHERE claim_id IN ({','.join('?' * len(read))}) "
                "ORDER BY claim_id, id",
                read,
            )
            moved = {} if source_roots or claim_roots else None
            if members:  # the stances of a merged claim join those of the claim it counts for
                rows = sorted(_as_counted_for(rows, source_roots, claim_roots, moved), key=_FACT_CLAIM_ID)
            else:
                rows = _as_counted_for(rows, source_roots, {}, moved if moved is not None else {})
            yield from _group_by_claim(chunk, rows, sources, moved)

    def forget_reconciliation(self, claim_id: int) -> None:
        """Drop the stored reconciliation of a claim merged into another (it has none of its own)."""
        self.conn.execute("DELETE FROM reconciliations WHERE claim_id = ?", [claim_id])

    def refresh_reconciliations(self, claim_ids: Optional[Iterable[int]] = None) -> int:
        """Recompute and store the reconciliation of these claims, or of every claim, and
        the status of each of their stances (inside the caller's transaction); returns
        how many claims were stored.

        Only rows that change are written: a refresh of sound tables writes nothing.
        A stance whose status is plain (`verity.reconcile.plain_status`: it counts and
        follows no other, as nearly every stance does) has no stance_statuses row.
        """
        ids = None if claim_ids is None else sorted(set(claim_ids))
        if ids is not None:  # a claim merged into another is reconciled as that one, with its stances
            roots = _roots(self.conn, "claims")
            ids = sorted({roots.get(claim_id, claim_id) for claim_id in ids})
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
        # Rule 7 reads the reconciliations of a question's answers: their questions follow.
        self.refresh_questions(None if ids is None else self.question_ids_of(ids))
        return count + len(claims)

    def refresh_rulings(self) -> int:
        """Give every claim with a ruling history its latest ruling as its ruling, where it has
        another (inside the caller's transaction; an upgrade that rewrote ruling times, m014, can
        change which is latest); returns how many claims changed. Sound tables: nothing written."""
        return self.conn.execute(f"{SET_LATEST_RULING} WHERE {NOT_LATEST_RULING}").rowcount

    def _stored_statuses(self, claim_ids: Optional[Sequence[int]]) -> dict[int, tuple]:
        """The stored stance_statuses rows of these claims' stances (of every claim's when
        None), by stance id: as many as there are stances that are not plain."""
        if claim_ids is None:
            return {row[0]: row for row in self.conn.execute(STANCE_STATUS_SELECT)}
        stored = {}
        roots = _roots(self.conn, "claims")
        claim_ids = sorted({*claim_ids, *(merged for merged, root in roots.items() if root in set(claim_ids))})
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
        """Every claim's reconciliation computed now from the stances (claims merged into
        another have none of their own), in the order of `reconciliations()`: by claim id."""
        outcomes = {claim_id: outcome for claim_id, outcome, _ in self._computed()}
        for claim_id, key, text, ruling in self.conn.execute("SELECT id, key, text, ruling FROM claims ORDER BY id"):
            if claim_id in outcomes:
                yield outcomes[claim_id].reconciliation(key, text, ruling)
