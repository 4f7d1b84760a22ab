"""m006: questions reconciled, track records, and estimates stored."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..reconcile import (
    QUESTION_VERDICTS,
)
from ..trust import CREDIBILITY
from .runner import migration
from .views import create_trust_views, in_list

if TYPE_CHECKING:
    import sqlite_utils


# What a later write changes that an estimate rests on: any of these marks the stored
# estimates stale (the model weighs every source's whole record, so one stance can move
# any estimate).
STALE_WHEN = {
    "stances": ("INSERT", "UPDATE OF retracted_at"),
    "rulings": ("INSERT",),
    "claims": ("UPDATE OF ruling, question_id, merged_into",),
    "sources": ("UPDATE OF affiliation, reliability, kind, merged_into",),
}


@migration
def m006_questions_track_records_estimates(db: sqlite_utils.Database) -> None:
    """Rule 7 stored per question as the reconciler decides it (like each claim's
    reconciliation); the estimates `verity assess --save` stores, with when they were
    computed and when a later write first could change them; and the views of questions,
    track records and estimates (docs/estimates.md), generated from the rules' constants.
    """
    conn = db.conn
    conn.execute(f"""
        CREATE TABLE question_reconciliations (
            question_id INTEGER PRIMARY KEY REFERENCES questions(id),
            verdict TEXT NOT NULL CHECK ({in_list('verdict', QUESTION_VERDICTS)}),
            leading_id INTEGER REFERENCES claims(id),
            answers INTEGER NOT NULL,
            affirmed_answers INTEGER NOT NULL,
            contradictions INTEGER NOT NULL
        )""")
    conn.execute("""
        CREATE TABLE assessment_runs (
            id INTEGER PRIMARY KEY,
            method TEXT NOT NULL,
            computed_at TEXT NOT NULL,
            computed_by TEXT,
            stale_since TEXT
        )""")
    conn.execute(f"""
        CREATE TABLE assessments (
            claim_id INTEGER PRIMARY KEY REFERENCES claims(id),
            run_id INTEGER NOT NULL REFERENCES assessment_runs(id),
            estimate REAL,
            credibility INTEGER NOT NULL CHECK ({in_list('credibility', CREDIBILITY)})
        )""")
    conn.execute("""
        CREATE TABLE assessed_sources (
            source_id INTEGER PRIMARY KEY REFERENCES sources(id),
            run_id INTEGER NOT NULL REFERENCES assessment_runs(id),
            reliability REAL NOT NULL
        )""")
    stale = ("UPDATE assessment_runs SET stale_since = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
             "WHERE stale_since IS NULL;")
    for table, events in STALE_WHEN.items():
        for number, event in enumerate(events):
            conn.execute(f"CREATE TRIGGER {table}_make_estimates_stale_{number} AFTER {event} ON {table} "
                         f"BEGIN {stale} END")
    create_trust_views(db)
