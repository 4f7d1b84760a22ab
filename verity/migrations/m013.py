"""m013: no record renumbered, and no uid changed once set, even by raw SQL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .runner import migration

if TYPE_CHECKING:
    import sqlite_utils

# Every table other rows point to by id, and what its refusal says. A record renumbered leaves
# whatever pointed to it pointing at nothing: a source's stances drop out of its claims. The
# check is on the id's value, not "UPDATE OF id": `SET rowid = ...` renumbers the row as well
# without naming the column. (m005 refuses a stance's renumbering through its id column, with
# the same words; rulings, changes and aliases are never edited at all.)
NEVER_RENUMBERED = {
    "sources": "sources are never renumbered: stances, aliases and changes point to them by id",
    "claims": "claims are never renumbered: stances, rulings and changes point to them by id",
    "questions": "questions are never renumbered: claims point to them by id",
    "stances": "stances are never edited; log a new stance or retract this one",
    "assessment_runs": "assessment runs are never renumbered: saved estimates point to them by id",
}

# A record's uid is how other desks know it (a merge, an export read back). A source or claim
# written by another program without one is given one when verity opens the file (as m005 does
# for a stance): only then may it change.
UID_KEPT = {
    "sources": "sources keep their uid once set: other desks know them by it",
    "claims": "claims keep their uid once set: other desks know them by it",
    "questions": "questions keep their uid: other desks know them by it",
}


@migration
def m013_never_renumbered(db: sqlite_utils.Database) -> None:
    """What points to a source, claim, question or stance keeps pointing to it, against raw SQL
    too (see docs/rules.md, "Nothing is lost")."""
    for table, message in NEVER_RENUMBERED.items():
        db.execute(f"CREATE TRIGGER {table}_never_renumbered BEFORE UPDATE ON {table} WHEN NEW.id IS NOT OLD.id "
                   f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
    for table, message in UID_KEPT.items():
        db.execute(f"CREATE TRIGGER {table}_uid_kept BEFORE UPDATE OF uid ON {table} "
                   f"WHEN OLD.uid IS NOT NULL AND NEW.uid IS NOT OLD.uid "
                   f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
