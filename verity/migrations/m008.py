"""m008: no record replaced through a unique column other than its id and uid."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .runner import migration

if TYPE_CHECKING:
    import sqlite_utils

# INSERT OR REPLACE deletes whatever row it collides with, without firing a delete
# trigger (unless recursive triggers are on). m005 refuses a collision on id or uid; these
# refuse it on the other unique columns: a claim's key and a source's folded name among
# the records not merged into another, and a question's key.
NEVER_REPLACED = {
    "claims": ("NEW.merged_into IS NULL AND EXISTS (SELECT 1 FROM claims "
               "WHERE key = NEW.key AND merged_into IS NULL)",
               "claims are never replaced; edit or merge them instead"),
    "sources": ("NEW.merged_into IS NULL AND EXISTS (SELECT 1 FROM sources "
                "WHERE folded = NEW.folded AND merged_into IS NULL)",
                "sources are never replaced; edit or merge them instead"),
    "questions": ("EXISTS (SELECT 1 FROM questions WHERE id = NEW.id OR uid = NEW.uid OR key = NEW.key)",
                  "questions are never replaced"),
    "rulings": ("EXISTS (SELECT 1 FROM rulings WHERE id = NEW.id) OR EXISTS (SELECT 1 FROM rulings WHERE uid = NEW.uid)",
                "rulings are a history: never replaced"),
    "changes": ("EXISTS (SELECT 1 FROM changes WHERE id = NEW.id) OR EXISTS (SELECT 1 FROM changes WHERE uid = NEW.uid)",
                "changes are a history: never replaced"),
    "aliases": ("EXISTS (SELECT 1 FROM aliases WHERE id = NEW.id) OR EXISTS (SELECT 1 FROM aliases WHERE uid = NEW.uid)",
                "aliases are a history: never replaced"),
}


@migration
def m008_never_replaced(db: sqlite_utils.Database) -> None:
    """The record stays append-only against INSERT OR REPLACE through every unique column
    (see docs/rules.md, "Nothing is lost")."""
    for table, (when, message) in NEVER_REPLACED.items():
        name = f"{table}_never_replaced_by_key" if table in ("claims", "sources") else f"{table}_never_replaced"
        db.execute(f"CREATE TRIGGER {name} BEFORE INSERT ON {table} WHEN {when} "
                   f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
