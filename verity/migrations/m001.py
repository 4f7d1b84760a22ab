"""m001: the first schema: sources, claims, stances and the stored reconciliations. Released: never edited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import GRADES, POSITIONS, RULINGS
from .runner import migration
from .views import in_list

if TYPE_CHECKING:
    import sqlite_utils

@migration
def m001_initial(db: sqlite_utils.Database) -> None:
    db.execute(
        f"""
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL COLLATE NOCASE UNIQUE,
            kind TEXT,
            affiliation TEXT,
            reliability TEXT CHECK ({in_list('reliability', GRADES)}),
            url TEXT,
            note TEXT
        )"""
    )
    db.execute(
        f"""
        CREATE TABLE claims (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            text TEXT NOT NULL,
            subject TEXT,
            tags TEXT NOT NULL DEFAULT '[]',
            note TEXT,
            ruling TEXT CHECK ({in_list('ruling', RULINGS)}),
            ruling_explanation TEXT,
            ruled_at TEXT,
            ruled_by TEXT
        )"""
    )
    db.execute(
        f"""
        CREATE TABLE stances (
            id INTEGER PRIMARY KEY,
            claim_id INTEGER NOT NULL REFERENCES claims(id),
            source_id INTEGER NOT NULL REFERENCES sources(id),
            position TEXT NOT NULL CHECK ({in_list('position', POSITIONS)}),
            quote TEXT,
            url TEXT,
            said_on TEXT,
            via TEXT,
            note TEXT,
            logged_at TEXT NOT NULL,
            logged_by TEXT,
            retracted_at TEXT,
            retraction_reason TEXT,
            retracted_by TEXT
        )"""
    )
    db["stances"].create_index(["claim_id"], index_name="stances_claim_id")
    db["stances"].create_index(["source_id"], index_name="stances_source_id")
    db["stances"].create_index(["position"], index_name="stances_position")
    # Stances are a record of what was said: never edited, never deleted, only retracted.
    db.execute(
        """
        CREATE TRIGGER stances_never_deleted BEFORE DELETE ON stances
        BEGIN
            SELECT RAISE(ABORT, 'stances are never deleted; retract the stance instead');
        END"""
    )
    db.execute(
        """
        CREATE TRIGGER stances_never_edited
        BEFORE UPDATE OF claim_id, source_id, position, quote, url, said_on, via, note,
                         logged_at, logged_by ON stances
        BEGIN
            SELECT RAISE(ABORT, 'stances are never edited; log a new stance or retract this one');
        END"""
    )
    db.execute(
        """
        CREATE TABLE reconciliations (
            claim_id INTEGER PRIMARY KEY REFERENCES claims(id),
            verdict TEXT NOT NULL,
            score REAL,
            agreement REAL,
            affirming TEXT NOT NULL,
            denying TEXT NOT NULL,
            neutral TEXT NOT NULL,
            affirming_origins INTEGER NOT NULL,
            denying_origins INTEGER NOT NULL,
            contradictions INTEGER NOT NULL
        )"""
    )
    db["reconciliations"].create_index(["verdict"], index_name="reconciliations_verdict")
    db["reconciliations"].create_index(["score"], index_name="reconciliations_score")
    db["reconciliations"].create_index(["agreement"], index_name="reconciliations_agreement")
