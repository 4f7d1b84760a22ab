"""Track records, what an estimate is made from, and the estimates `verity assess --save` stores.

Track records are read from the views migration m006 generates from verity.trust's
constants (`ruled_stances`, `source_track_records`). The model's input is the
reconciler's own rule 1 as stored: each stance with no `stance_statuses` row counts
for the claim and source it was logged with, and a counted one with a row counts for
the claim and source that row names (those it was merged into).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Iterable, Iterator, Optional, Sequence

import attrs

from ..reconcile import COUNTED
from ..trust import RIGHT, WRONG, StoredEstimate, TrackRecord
from .rows import verdict_filter

# A counted stance as the model reads it: its claim and source as rule 1 counts them.
_COUNTED_STANCES = (
    "SELECT s.claim_id, s.source_id, s.position FROM stances s "
    "WHERE s.id NOT IN (SELECT stance_id FROM stance_statuses) "
    "UNION ALL "
    "SELECT coalesce(st.claim_id, s.claim_id), coalesce(st.source_id, s.source_id), s.position "
    "FROM stance_statuses st JOIN stances s ON s.id = st.stance_id WHERE st.status = ?"
)
_STANCE_CHUNK = 65_536  # stances read at a time: a desk's million are never all Python objects at once
_ESTIMATE = ("SELECT a.estimate, a.credibility, run.method, run.computed_at, run.stale_since FROM assessments a "
             "JOIN assessment_runs run ON run.id = a.run_id")


@attrs.frozen
class AssessmentInput:
    """What the model is made from: every source and claim not merged into another, and
    every counted stance (under the claim and source it counts for)."""

    sources: list  # (id, name, affiliation, reliability, kind)
    claims: list  # (id, key, question_id, question key, ruling, verdict)
    stances: Iterator[list]  # chunks of (claim_id, source_id, position), read as they are consumed


class Trust:
    """The part of `Store` that reads track records and keeps stored estimates."""

    conn: sqlite3.Connection

    def track_record(self, source_id: int) -> TrackRecord:
        """A source's track record (its stances and those of the sources merged into it)."""
        counts = dict(self.conn.execute(
            "SELECT outcome, count(*) FROM ruled_stances WHERE source_id = ? AND outcome IS NOT NULL "
            "GROUP BY outcome", [source_id]))
        return TrackRecord(counts.get(RIGHT, 0), counts.get(WRONG, 0))

    def track_records(self) -> dict[int, TrackRecord]:
        """Every source's track record (not merged into another), by id."""
        return {source_id: TrackRecord(right, wrong) for source_id, right, wrong in self.conn.execute(
            "SELECT source_id, right, wrong FROM source_track_records")}

    def learned_reliability(self, source_id: int) -> Optional[float]:
        """The source's reliability as the last saved assessment learned it, if any."""
        row = self.conn.execute("SELECT reliability FROM assessed_sources WHERE source_id = ?",
                                [source_id]).fetchone()
        return row[0] if row else None

    def stances_not_by_id(self) -> bool:
        """Whether a stance names its claim or source by something other than a whole number (a
        file written outside verity, with its foreign keys off)."""
        return self.conn.execute("SELECT 1 FROM stances WHERE typeof(claim_id) != 'integer' "
                                 "OR typeof(source_id) != 'integer' LIMIT 1").fetchone() is not None

    def assessment_input(self) -> AssessmentInput:
        """Everything `verity assess` estimates from, read in three passes (the stances in
        chunks, as the caller consumes them)."""
        sources = self.conn.execute(
            "SELECT id, name, affiliation, reliability, kind FROM sources WHERE merged_into IS NULL ORDER BY id"
        ).fetchall()
        claims = self.conn.execute(
            "SELECT c.id, c.key, c.question_id, q.key, c.ruling, r.verdict FROM claims c "
            "JOIN reconciliations r ON r.claim_id = c.id LEFT JOIN questions q ON q.id = c.question_id "
            "WHERE c.merged_into IS NULL ORDER BY c.id").fetchall()
        cursor = self.conn.execute(_COUNTED_STANCES, [COUNTED])
        return AssessmentInput(sources, claims, iter(lambda: cursor.fetchmany(_STANCE_CHUNK), []))

    def save_estimates(self, method: str, computed_at: str, estimates: Iterable[tuple[int, Optional[float], int]],
                       reliabilities: Iterable[tuple[int, float]]) -> None:
        """Store an assessment of the whole desk in place of the last one: per claim (id,
        estimate, credibility), per source (id, learned reliability)."""
        with self.transaction():
            for table in ("assessments", "assessed_sources", "assessment_runs"):
                self.conn.execute(f"DELETE FROM {table}")
            run_id = self.conn.execute(
                "INSERT INTO assessment_runs (method, computed_at, computed_by) VALUES (?, ?, ?)",
                [method, computed_at, self.user]).lastrowid
            self.conn.executemany("INSERT INTO assessments (claim_id, run_id, estimate, credibility) "
                                  "VALUES (?, ?, ?, ?)", ((c, run_id, e, g) for c, e, g in estimates))
            self.conn.executemany("INSERT INTO assessed_sources (source_id, run_id, reliability) VALUES (?, ?, ?)",
                                  ((s, run_id, r) for s, r in reliabilities))

    def stored_estimate(self, claim_id: int) -> Optional[StoredEstimate]:
        """The estimate `verity assess --save` stored for the claim, or None."""
        row = self.conn.execute(_ESTIMATE + " WHERE a.claim_id = ?", [claim_id]).fetchone()
        return StoredEstimate(*row) if row else None

    def estimates_saved(self) -> Optional[tuple[str, Optional[str]]]:
        """When the stored estimates were computed and since when they are stale, or None
        when none were ever saved."""
        return self.conn.execute("SELECT computed_at, stale_since FROM assessment_runs").fetchone()

    def report_track_records(self, limit: int) -> tuple[tuple[int, tuple], ...]:
        """The sources with a track record (a counted stance on a claim whose truth is ruled):
        how many there are, and up to `limit` of them as (name, right, wrong, learned
        reliability), most ruled stances first."""
        rows = self.conn.execute(
            "SELECT source, right, wrong, learned_reliability, count(*) OVER () FROM source_track_records "
            "WHERE right + wrong > 0 ORDER BY right + wrong DESC, source LIMIT ?", [limit]).fetchall()
        total = rows[0][4] if rows else 0
        rows = tuple(row[:4] for row in rows)
        return total, rows

    def report_questions(self, verdicts: Optional[Sequence[str]] = None) -> Iterator[ReportQuestion]:
        """Every question with an answer among the claims with these verdicts (all when none),
        by key, each with every answer side by side (rule 7), read one question at a time."""
        where, params = verdict_filter(verdicts)
        also = where.replace(" WHERE ", " AND ", 1)
        current, answers = None, []
        for row in self.conn.execute(
                "SELECT qv.question, qv.text, qv.verdict, qv.leading, qa.claim, qa.text, qa.verdict, qa.affirming, "
                "qa.affirming_origins, qa.denying, qa.denying_origins, qa.ruling, qa.estimate FROM question_verdicts qv "
                "JOIN question_answers qa ON qa.question_id = qv.id WHERE EXISTS (SELECT 1 FROM claims c "
                f"JOIN reconciliations r ON r.claim_id = c.id WHERE c.question_id = qv.id{also}) "
                "ORDER BY qv.question, qa.claim", params):
            if current is not None and current[0] != row[0]:
                yield ReportQuestion(*current, tuple(answers))
                answers = []
            current = row[:4]
            answers.append(ReportAnswer(row[4], row[5], row[6], tuple(json.loads(row[7])), row[8],
                                        tuple(json.loads(row[9])), row[10], row[11], row[12]))
        if current is not None:
            yield ReportQuestion(*current, tuple(answers))


@attrs.frozen
class ReportAnswer:
    """One answer of a question as a report shows it, beside the others."""

    claim: str
    text: str
    verdict: str
    affirming: tuple[str, ...]
    affirming_origins: int
    denying: tuple[str, ...]
    denying_origins: int
    ruling: Optional[str]
    estimate: Optional[float]  # as `verity assess --save` stored it


@attrs.frozen
class ReportQuestion:
    """A question with rule 7's verdict and its answers side by side."""

    question: str
    text: str
    verdict: str
    leading: Optional[str]
    answers: tuple[ReportAnswer, ...]
