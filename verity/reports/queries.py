"""What a report needs to know about the whole database before it streams the claims.

This is the report's only SQL. Every figure is read from the stored
`reconciliations` table, which the reconciler writes: the report counts and
ranks what the reconciler decided and computes no verdict or side of its own.
Each query returns a handful of rows (top-N lists, one row per verdict), so the
summary stays small however large the database is.
"""

from __future__ import annotations

from typing import Optional, Sequence

import attrs

from ..models import VERDICTS, check_choice, origin_of
from .claims import origin_label

TOP = 10  # rows in each "most ..." list of the summary
MATRIX_SOURCES = 40  # columns of the stance matrix before it stops being readable


@attrs.frozen
class ContestedClaim:
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
class MatrixSource:
    """A column of the stance matrix: a source with a counted stance in the report."""

    name: str
    affiliation: Optional[str]
    reliability: Optional[str]
    claims: int  # claims in the report on which it has a counted stance

    @property
    def origin(self) -> str:
        return origin_of(self.name, self.affiliation)

    @property
    def origin_label(self) -> str:
        return origin_label(self.name, self.affiliation)


@attrs.frozen
class Summary:
    verdicts: tuple[str, ...]  # the verdicts the report keeps (all of them when not filtered)
    filtered: bool
    claims: int  # claims in the report
    claims_in_database: int
    by_verdict: tuple[tuple[str, int], ...]  # in VERDICTS order, zeros included
    most_contested: tuple[ContestedClaim, ...]
    most_opposed: tuple[OpposedPair, ...]
    sources: int  # distinct sources with a counted stance in the report
    matrix_sources: tuple[MatrixSource, ...]  # the matrix's columns, grouped by origin

    @property
    def matrix_truncated(self) -> bool:
        return len(self.matrix_sources) < self.sources


def check_verdicts(verdicts: Optional[Sequence[str]]) -> tuple[str, ...]:
    """The verdicts asked for, checked, in report order; every verdict when none are given."""
    if not verdicts:
        return VERDICTS
    for verdict in verdicts:
        check_choice("verdict", VERDICTS, verdict, "verdict")
    return tuple(v for v in VERDICTS if v in set(verdicts))


def _where(verdicts: tuple[str, ...], alias: str = "r") -> tuple[str, list]:
    if verdicts == VERDICTS:
        return "1", []
    return f"{alias}.verdict IN ({','.join('?' * len(verdicts))})", list(verdicts)


def claim_count(conn, verdicts: tuple[str, ...]) -> int:
    where, params = _where(verdicts)
    return conn.execute(f"SELECT count(*) FROM reconciliations r WHERE {where}", params).fetchone()[0]


def summary(conn, verdicts: tuple[str, ...], top: int = TOP, matrix_sources: int = MATRIX_SOURCES) -> Summary:
    where, params = _where(verdicts)
    counts = dict(
        conn.execute(f"SELECT verdict, count(*) FROM reconciliations r WHERE {where} GROUP BY verdict", params)
    )
    total = conn.execute("SELECT count(*) FROM claims").fetchone()[0]

    contested = tuple(
        ContestedClaim(*row)
        for row in conn.execute(
            "SELECT c.key, c.text, r.contradictions, r.agreement FROM reconciliations r "
            f"JOIN claims c ON c.id = r.claim_id WHERE r.contradictions > 0 AND {where} "
            "ORDER BY r.contradictions DESC, r.agreement, c.key LIMIT ?",
            params + [top],
        )
    )
    # The stored side lists are the reconciler's own; each (affirming, denying)
    # pair of a claim is one of its contradictions. A pair is counted the same
    # whichever of the two affirmed.
    opposed = tuple(
        OpposedPair(*row)
        for row in conn.execute(
            "SELECT min(a.value, d.value) AS one, max(a.value, d.value) AS other, count(*) AS n "
            "FROM reconciliations r, json_each(r.affirming) a, json_each(r.denying) d "
            f"WHERE r.contradictions > 0 AND {where} "
            "GROUP BY one, other ORDER BY n DESC, one, other LIMIT ?",
            params + [top],
        )
    )
    counted = (
        "SELECT value AS name FROM reconciliations r, json_each(r.{side}) WHERE " + where
    )
    union = " UNION ALL ".join(counted.format(side=side) for side in ("affirming", "denying", "neutral"))
    sources = conn.execute(f"SELECT count(DISTINCT name) FROM ({union})", params * 3).fetchone()[0]
    columns = [
        MatrixSource(*row)
        for row in conn.execute(
            f"SELECT t.name, s.affiliation, s.reliability, count(*) AS n FROM ({union}) t "
            "LEFT JOIN sources s ON s.name = t.name "
            "GROUP BY t.name ORDER BY n DESC, t.name LIMIT ?",
            params * 3 + [matrix_sources],
        )
    ]
    # Sources of one origin side by side, so the matrix shows who is independent of whom.
    columns.sort(key=lambda s: (s.origin_label.casefold(), s.origin, s.name))
    return Summary(
        verdicts=verdicts,
        filtered=verdicts != VERDICTS,
        claims=sum(counts.values()),
        claims_in_database=total,
        by_verdict=tuple((v, counts.get(v, 0)) for v in verdicts),
        most_contested=contested,
        most_opposed=opposed,
        sources=sources,
        matrix_sources=tuple(columns),
    )
