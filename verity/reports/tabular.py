"""The report for programs and spreadsheets: JSON and CSV, one claim at a time.

JSON is a list of the objects `verity reconcile --json` prints, each with its
`question`, its saved `estimate` (null when `verity assess --save` has not stored one) and
`stances`: the stances that count (one per source), with their details. CSV has one row per
claim; lists are joined with "; " and a contradiction is "affirming vs denying".
"""

from __future__ import annotations

import csv
import io
from typing import Iterator

from ..claimview import ClaimView
from ..csvio import spreadsheet_text
from ..formats import json_list, reconciliation_json, to_json

CSV_COLUMNS = (
    "claim", "text", "verdict", "score", "agreement", "affirming", "denying", "neutral",
    "affirming_origins", "denying_origins", "contradictions", "ruling",
    "question", "estimate", "credibility", "estimate_stale",
)
LIST_SEPARATOR = "; "


def counted_stances_json(view: ClaimView) -> list[dict]:
    stances = []
    for v in view.counted:
        data = {"id": v.stance.id, **to_json(v.stance)}
        for field in ("claim", "retracted"):  # the claim is the object's; counted ones are never retracted
            data.pop(field)
        data["source"] = v.source.name  # a stance of a merged source counts as the kept source's (rule 1)
        data["source_affiliation"] = v.source.affiliation
        data["source_reliability"] = v.source.reliability
        stances.append(data)
    return stances


def estimate_json(view: ClaimView):
    """The stored estimate of a claim in the JSON report, or None when none was saved."""
    e = view.estimate
    if e is None:
        return None
    return {"estimate": e.estimate, "credibility": e.credibility, "credibility_meaning": e.credibility_meaning,
            "method": e.method, "computed_at": e.computed_at, "stale": e.stale}


def claim_json(view: ClaimView) -> dict:
    """A claim in the JSON report: its reconcile object, its question, its stored estimate (an
    estimate, not a ruling) and its counted stances."""
    return {**reconciliation_json(view.reconciliation), "question": view.claim.question,
            "estimate": estimate_json(view), "stances": counted_stances_json(view)}


def render_json(report) -> Iterator[str]:
    """A JSON list written object by object (one per line), so it starts at once."""
    return json_list(claim_json(view) for view in report.claims())


def _text(value) -> str:
    if value is None:
        return ""
    return spreadsheet_text(str(value))  # the text of names and quotes: never a formula


def _names(names) -> str:
    return LIST_SEPARATOR.join(_text(n) for n in names)


def csv_row(view: ClaimView) -> list:
    r = view.reconciliation
    return [
        r.claim, _text(r.text), r.verdict,
        "" if r.score is None else r.score, "" if r.agreement is None else r.agreement,
        _names(r.affirming), _names(r.denying), _names(r.neutral),
        r.affirming_origins, r.denying_origins,
        LIST_SEPARATOR.join(f"{_text(a)} vs {d}" for a, d in r.contradictions),
        r.ruling or "",
        view.claim.question or "",
        "" if view.estimate is None or view.estimate.estimate is None else view.estimate.estimate,
        "" if view.estimate is None else view.estimate.credibility,
        "" if view.estimate is None else ("stale" if view.estimate.stale else "current"),
    ]


def render_csv(report) -> Iterator[str]:
    """The report as CSV, one row a claim, produced as the claims are read."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for view in report.claims():
        writer.writerow(csv_row(view))
        yield flush()
