"""What a report says about all its claims before it lists them.

The figures are the store's (`Store.report_summary`), read from what the
reconciler stored; this module only arranges the stance matrix's columns so that
sources of one origin stand side by side.
"""

from __future__ import annotations

from typing import Optional

import attrs

from ..claimview import origin_label
from ..models import VERDICTS, origin_of
from ..store.queries import ContestedClaim, OpposedPair

MATRIX_SOURCES = 40  # columns of the stance matrix before it stops being readable


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
    """What a report says before its claims: counts by verdict, the most contested claims and
    opposed sources, and the stance matrix's columns."""

    verdicts: tuple[str, ...]  # the verdicts the report keeps (all of them when not filtered)
    filtered: bool
    claims: int  # claims in the report
    claims_in_database: int
    by_verdict: tuple[tuple[str, int], ...]  # in VERDICTS order, zeros included
    most_contested: tuple[ContestedClaim, ...]
    most_opposed: tuple[OpposedPair, ...]
    sources: int  # distinct sources with a counted stance in the report
    matrix_sources: tuple[MatrixSource, ...]  # the matrix's columns, grouped by origin
    # Sources with a track record: how many, and the most ruled (name, right, wrong, learned reliability).
    track_records: int = 0
    top_track_records: tuple = ()
    estimates_saved: Optional[tuple] = None  # (computed_at, stale_since) of the stored estimates, if any

    @property
    def matrix_truncated(self) -> bool:
        """Whether the stance matrix leaves sources out (it shows at most MATRIX_SOURCES)."""
        return len(self.matrix_sources) < self.sources


def summary(store, verdicts: tuple[str, ...], matrix_sources: int = MATRIX_SOURCES) -> Summary:
    """The summary of a report over the claims with these (checked) verdicts."""
    figures = store.report_summary(verdicts, top_sources=matrix_sources)
    records = store.report_track_records(matrix_sources)
    columns = [MatrixSource(s.name, s.affiliation, s.reliability, s.claims) for s in figures.top_sources]
    # Sources of one origin side by side, so the matrix shows who is independent of whom.
    columns.sort(key=lambda s: (s.origin_label.casefold(), s.origin, s.name))
    return Summary(
        verdicts=verdicts,
        filtered=verdicts != VERDICTS,
        claims=figures.claims,
        claims_in_database=figures.claims_in_database,
        by_verdict=tuple((v, figures.by_verdict.get(v, 0)) for v in verdicts),
        most_contested=figures.most_contested,
        most_opposed=figures.most_opposed,
        sources=figures.sources,
        matrix_sources=tuple(columns),
        track_records=records[0],
        top_track_records=records[1],
        estimates_saved=store.estimates_saved(),
    )
