"""m003: one index fewer for every stance to keep. Released: never edited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .runner import migration

if TYPE_CHECKING:
    import sqlite_utils


@migration
def m003_drop_claim_index(db: sqlite_utils.Database) -> None:
    """stances_claim_source (claim_id, source_id) answers everything stances_claim_id
    (claim_id) did: SQLite uses the leading column of an index as an index on it.
    One index fewer to update on every stance logged, and to build after an import."""
    db.execute("DROP INDEX IF EXISTS stances_claim_id")
