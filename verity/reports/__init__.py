"""Contradiction reports: markdown, HTML, JSON and CSV, written as they are read.

    report = Report(store, verdicts=["contested"])
    for chunk in report.render("html"):
        out.write(chunk)

A report first asks the store for a small summary (`Store.report_summary`), then
streams the claims one `ClaimRecord` at a time, so memory stays bounded and
output starts at once however large the database. Every figure, status and
reversal in it comes from the reconciler; a report computes none of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence

from ..claimview import ClaimView, claim_view
from ..models import VERDICTS, check_choice
from ..store import check_verdicts
from .summary import Summary, summary

FORMATS = ("markdown", "html", "json", "csv")
EXTENSIONS = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
              ".json": "json", ".csv": "csv"}
# Reads of the claims each format makes: the HTML report reads them once for
# the stance matrix and once more for the claims themselves.
PASSES = {"markdown": 1, "html": 2, "json": 1, "csv": 1}


def check_format(fmt: str) -> str:
    """The report format, checked: one of FORMATS, else InvalidValue naming them."""
    check_choice("report format", FORMATS, fmt, "format")
    return fmt


def format_for(fmt: Optional[str], output: Optional[Path] = None) -> str:
    """The format asked for; else the one the output file's extension names; else markdown."""
    if fmt is not None:
        return check_format(fmt.strip().lower())
    if output is not None:
        return EXTENSIONS.get(Path(output).suffix.lower(), "markdown")
    return "markdown"


class Report:
    """A contradiction report over one store, optionally only claims with some verdicts.

    `on_claim` is called once for every claim record read (progress bars use it).
    """

    def __init__(self, store, verdicts: Optional[Sequence[str]] = None,
                 on_claim: Optional[Callable[[], None]] = None):
        self.store = store
        self.verdicts = check_verdicts(verdicts)
        self.filtered = self.verdicts != VERDICTS
        self.on_claim = on_claim
        self._summary: Optional[Summary] = None

    def count(self) -> int:
        """How many claims the report covers."""
        if self._summary is not None:
            return self._summary.claims
        return self.store.claim_count(self.verdicts)

    def steps(self, fmt: str) -> int:
        """How many claim records rendering `fmt` reads (a progress bar's total)."""
        return self.count() * PASSES[check_format(fmt)]

    @property
    def summary(self) -> Summary:
        """The figures the report opens with, asked of the store once."""
        if self._summary is None:
            self._summary = summary(self.store, self.verdicts)
        return self._summary

    def claims(self) -> Iterator[ClaimView]:
        """The report's claims, disagreements first, read one at a time."""
        for record in self.store.claim_records(self.verdicts if self.filtered else None):
            if self.on_claim is not None:
                self.on_claim()
            yield claim_view(record)

    def questions(self):
        """The questions with an answer in the report, by key, each with its answers side by side."""
        return self.store.report_questions(self.verdicts if self.filtered else None)

    def render(self, fmt: str) -> Iterator[str]:
        """The report as text chunks, produced as the claims are read."""
        fmt = check_format(fmt)
        if fmt == "markdown":
            from .markdown import render
        elif fmt == "html":
            from .html import render
        elif fmt == "json":
            from .tabular import render_json as render
        else:
            from .tabular import render_csv as render
        if fmt in ("markdown", "html"):  # read by people: a control character in a name shows escaped
            from ..names import visible_lines

            return map(visible_lines, render(self))
        return render(self)


__all__ = ["EXTENSIONS", "FORMATS", "ClaimView", "Report", "Summary", "check_format", "check_verdicts", "format_for"]
