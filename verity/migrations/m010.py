"""m010: the vectors `claim similar`'s model of meaning has read, kept."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .runner import migration

if TYPE_CHECKING:
    import sqlite_utils


@migration
def m010_meaning_vectors(db: sqlite_utils.Database) -> None:
    """Reading a claim's text is the model of meaning's costly step; kept here, by the model and
    the text read (verity.meaning.digest), it is read once, not at every look-up. A cache: not
    part of a desk's record, never exported or merged, and safe to empty."""
    db.execute("""
        CREATE TABLE meaning_vectors (
            digest BLOB PRIMARY KEY,
            vector BLOB NOT NULL
        ) WITHOUT ROWID""")
