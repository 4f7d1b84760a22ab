"""The contradiction report as one self-contained HTML page.

Jinja2 with autoescaping renders every value from the database as text; links
are only made for http(s) and mailto addresses (see text.py). The page loads
nothing from anywhere (its Content-Security-Policy forbids it, and scripts
altogether), so it opens offline and prints cleanly.

The stance matrix comes before the claims, so the HTML report reads the claims
twice, each time streaming: once for the matrix rows, once for the claims.
"""

from __future__ import annotations

from typing import Iterator, Optional

import attrs
import jinja2

from ..claimview import MARKS, SIDES
from ..names import counted
from ..reconcile import figure
from .summary import MatrixSource
from .text import SIDE_TITLES, VERDICT_TITLES, estimates_note, link_label, safe_url

PIECES = 50  # of Jinja's strings per piece of the page

POSITION_LABELS = {
    "affirms": "affirms",
    "partially-affirms": "partially affirms",
    "neutral": "neutral",
    "partially-denies": "partially denies",
    "denies": "denies",
}


@attrs.frozen
class MatrixCell:
    source: MatrixSource
    position: Optional[str]


@attrs.frozen
class MatrixRow:
    key: str
    text: str
    verdict: str
    cells: tuple[MatrixCell, ...]


def origin_starts(columns: tuple[MatrixSource, ...]) -> list[bool]:
    """For each matrix column: does a new origin start here (drawn with a divider)?"""
    return [i == 0 or columns[i - 1].origin != s.origin for i, s in enumerate(columns)]


def matrix_rows(report) -> Iterator[MatrixRow]:
    columns = report.summary.matrix_sources
    for view in report.claims():
        yield MatrixRow(
            key=view.key,
            text=view.claim.text,
            verdict=view.reconciliation.verdict,
            cells=tuple(MatrixCell(source, view.positions.get(source.name)) for source in columns),
        )


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("verity.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(number=figure, safe_url=safe_url, link_label=link_label, plural=counted)
    env.globals.update(
        MARKS=MARKS,
        POSITION_LABELS=POSITION_LABELS,
        SIDES=SIDES,
        SIDE_TITLES=SIDE_TITLES,
        VERDICT_TITLES=VERDICT_TITLES,
    )
    return env


def render(report) -> Iterator[str]:
    """The report as one HTML page, produced as the claims are read."""
    template = environment().get_template("report.html.j2")
    summary = report.summary
    stream = template.stream(
        summary=summary,
        verdict_counts=dict(summary.by_verdict),
        largest=max([count for _v, count in summary.by_verdict] + [1]),
        matrix=matrix_rows(report),
        matrix_origin_starts=origin_starts(summary.matrix_sources),
        claims=report.claims(),
        questions=report.questions(),
        estimates_note=estimates_note(summary.estimates_saved),
    )
    # Handed on in pieces of a few hundred of the tiny strings Jinja yields, not one by one:
    # whatever reads them (the escaping of control characters, the writer) then works per piece.
    stream.enable_buffering(PIECES)
    return stream


__all__ = ["environment", "matrix_rows", "render"]
