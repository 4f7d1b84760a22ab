"""m015: no record replaced through an update that gives it another's unique value, even by raw SQL."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .runner import migration

if TYPE_CHECKING:
    import sqlite_utils

# UPDATE OR REPLACE, like INSERT OR REPLACE (m008), deletes the other row that holds the value the
# update gives a unique column, and that delete fires no delete trigger (unless recursive triggers
# are on, which a raw-SQL user's connection need not have): `UPDATE OR REPLACE sources SET name = …,
# folded = … WHERE id = 2`, given source 1's name, took source 1 and left its stances pointing at
# nothing. Each trigger refuses such an update before its row is written, whatever the conflict
# clause: one per unique value other than the id (m013 refuses any renumbering), with the unique
# index's own condition, so that it refuses exactly the updates the index would have replaced by.
#
# A source's folded name and a claim's key are held to one record not merged into another by
# partial indexes, which a desk merge drops while the records it adds settle (names shared for a
# while by design: verity.store.merge.UNIQUE_WHILE_SETTLED) and builds again after: while the
# index is not there, nothing can be replaced through it, and the trigger lets the update be.
# The index is looked for in sqlite_master, which a trigger reads in its own database: not an
# attached file's (the desk file a merge reads has the index), as pragma_index_info would.
# An update of `merged_into` counts: a record no longer merged takes up its name or key again.
# Their names hold "never_replaced": a staging database (verity.store.staging) drops them with the
# other guards, as it holds what a file says, names shared or not.
#
# A uid is kept once set (m005, m013), so an update can give one only to a record another program
# wrote without it. A question's uid is never empty, so m013 refuses any change of it already.
#
# (table, trigger, columns whose update can collide, when it does, what the refusal says)
NEVER_REPLACED_BY_UPDATE = [
    ("sources", "sources_never_replaced_by_update_of_uid", "uid",
     "NEW.uid IS NOT NULL AND EXISTS (SELECT 1 FROM sources WHERE uid = NEW.uid AND id != OLD.id)",
     "sources are never replaced: another source has this uid"),
    ("sources", "sources_never_replaced_by_update_of_name", "folded, merged_into",
     "NEW.merged_into IS NULL "
     "AND EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'sources_folded') "
     "AND EXISTS (SELECT 1 FROM sources WHERE folded = NEW.folded AND merged_into IS NULL AND id != OLD.id)",
     "sources are never replaced: another source not merged has this name; merge one into the other instead"),
    ("claims", "claims_never_replaced_by_update_of_uid", "uid",
     "NEW.uid IS NOT NULL AND EXISTS (SELECT 1 FROM claims WHERE uid = NEW.uid AND id != OLD.id)",
     "claims are never replaced: another claim has this uid"),
    ("claims", "claims_never_replaced_by_update_of_key", "key, merged_into",
     "NEW.merged_into IS NULL "
     "AND EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'claims_key') "
     "AND EXISTS (SELECT 1 FROM claims WHERE key = NEW.key AND merged_into IS NULL AND id != OLD.id)",
     "claims are never replaced: another claim not merged has this key; merge one into the other instead"),
    ("questions", "questions_never_replaced_by_update_of_key", "key",
     "EXISTS (SELECT 1 FROM questions WHERE key = NEW.key AND id != OLD.id)",
     "questions are never replaced: another question has this key"),
    ("stances", "stances_never_replaced_by_update_of_uid", "uid",
     "NEW.uid IS NOT NULL AND EXISTS (SELECT 1 FROM stances WHERE uid = NEW.uid AND id != OLD.id)",
     "stances are never replaced: another stance has this uid"),
]


@migration
def m015_never_replaced_by_update(db: sqlite_utils.Database) -> None:
    """The record stays append-only against UPDATE OR REPLACE through every unique column, as m008
    keeps it against INSERT OR REPLACE (see docs/rules.md, "Nothing is lost"). Rulings, changes and
    aliases are never updated at all (m005)."""
    for table, name, columns, when, message in NEVER_REPLACED_BY_UPDATE:
        db.execute(f"CREATE TRIGGER {name} BEFORE UPDATE OF {columns} ON {table} WHEN {when} "
                   f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
