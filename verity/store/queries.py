"""What the reports and the Datasette plugin ask the store, in their own words.

Every figure is read from what the reconciler stored (the `reconciliations` and
`stance_statuses` tables) and from the views built on them: nothing here decides
a verdict, a side, a status or a contradiction of its own. Each query returns a
handful of rows (top-N lists, one row per verdict), so a summary stays small
however large the database is.
"""

from __future__ import annotations

import sqlite3
from typing import Optional, Sequence

import attrs

from .rows import verdict_filter

TOP = 10  # rows in each "most ..." list of a report summary
TOP_SOURCES = 40  # sources in a report summary, those with the most counted stances first


@attrs.frozen
class ContestedClaim:
    """A claim with sources on both sides, and how many pairs of them contradict each other."""

    claim: str
    text: str
    contradictions: int
    agreement: Optional[float]


@attrs.frozen
class OpposedPair:
    """Two sources on opposite sides (either way round) of `claims` claims."""

    one: str
    other: str
    claims: int


@attrs.frozen
class CountedSource:
    """A source with a counted stance on `claims` of the claims asked about."""

    name: str
    affiliation: Optional[str]
    reliability: Optional[str]
    claims: int


@attrs.frozen
class ReportFigures:
    """What a report says about all its claims before it lists them."""

    claims: int  # claims with the verdicts asked for
    claims_in_database: int
    by_verdict: dict[str, int]  # verdict -> claims, for the verdicts that occur
    most_contested: tuple[ContestedClaim, ...]
    most_opposed: tuple[OpposedPair, ...]
    sources: int  # distinct sources with a counted stance on those claims
    top_sources: tuple[CountedSource, ...]  # those with the most counted stances first


# A claim matches a search by its own words or by any quote logged on it (retracted
# ones too: they stay on the record). Both indexes are kept current by triggers.
_CLAIM_SEARCH = (
    "id in (select rowid from claims_fts where claims_fts match {match} "
    "union select stances.claim_id from stances_fts join stances on stances.id = stances_fts.rowid "
    "where stances_fts match {match})"
)


def claim_search(parameter: str, raw: bool = False) -> str:
    """A WHERE condition on a claim's `id`: its words, or any quote logged on it, match the
    full-text query in the named parameter (escaped as plain words unless `raw`)."""
    match = f":{parameter}" if raw else f"escape_fts(:{parameter})"
    return _CLAIM_SEARCH.format(match=match)


class Reports:
    """The part of `Store` that answers the reports' questions about the whole database."""

    conn: sqlite3.Connection

    def claim_count(self, verdicts: Optional[Sequence[str]] = None) -> int:
        """How many claims have one of these verdicts (any verdict when none are given)."""
        where, params = verdict_filter(verdicts)
        return self.conn.execute(f"SELECT count(*) FROM reconciliations r{where}", params).fetchone()[0]

    def report_summary(self, verdicts: Optional[Sequence[str]] = None, top: int = TOP,
                       top_sources: int = TOP_SOURCES) -> ReportFigures:
        """The figures a report opens with, over the claims with these verdicts (all when none)."""
        where, params = verdict_filter(verdicts)
        also = where.replace(" WHERE ", " AND ", 1)
        by_verdict = dict(self.conn.execute(
            f"SELECT verdict, count(*) FROM reconciliations r{where} GROUP BY verdict", params))
        contested = tuple(ContestedClaim(*row) for row in self.conn.execute(
            "SELECT c.key, c.text, r.contradictions, r.agreement FROM reconciliations r "
            f"JOIN claims c ON c.id = r.claim_id WHERE r.contradictions > 0{also} "
            "ORDER BY r.contradictions DESC, r.agreement, c.key LIMIT ?",
            params + [top],
        ))
        # A pair counts once per claim, whichever of the two affirmed.
        opposed = tuple(OpposedPair(*row) for row in self.conn.execute(
            "SELECT min(p.affirming_source, p.denying_source) AS one, "
            "max(p.affirming_source, p.denying_source) AS other, count(*) AS n "
            f"FROM reconciliations r JOIN contradiction_pairs p ON p.claim_id = r.claim_id{where} "
            "GROUP BY one, other ORDER BY n DESC, one, other LIMIT ?",
            params + [top],
        ))
        # The counted stances read once, whole, each kept when its claim has one of the verdicts
        # ("+": tested against the list, not used to look each claim's stances up one by one).
        counted = "FROM counted_stances cs" + (
            f" WHERE +cs.claim_id IN (SELECT r.claim_id FROM reconciliations r{where})" if where else "")
        sources = self.conn.execute(f"SELECT count(DISTINCT cs.source_id) {counted}", params).fetchone()[0]
        # "+": grouped as read; through the source index instead, SQLite would read every
        # stance row out of order.
        busiest = tuple(CountedSource(*row) for row in self.conn.execute(
            f"SELECT cs.source COLLATE BINARY AS name, cs.affiliation, cs.reliability, count(*) AS n {counted} "
            "GROUP BY +cs.source_id ORDER BY n DESC, name LIMIT ?",
            params + [top_sources],
        ))
        return ReportFigures(
            claims=sum(by_verdict.values()),
            claims_in_database=self.conn.execute("SELECT count(*) FROM claims WHERE merged_into IS NULL").fetchone()[0],
            by_verdict=by_verdict,
            most_contested=contested,
            most_opposed=opposed,
            sources=sources,
            top_sources=busiest,
        )
