"""What keeps the tables indexed and searchable, suspended while a load fills an empty one (`Upkeep`)."""

from __future__ import annotations

import os
import re
import sqlite3

import attrs

# The triggers that refuse a row of sources, claims or stances replacing another (m005, m008),
# by their names: a load never inserts one, it asks first (and the unique indexes stay).
_GUARDS = frozenset({"sources_never_replaced", "sources_never_replaced_by_key", "claims_never_replaced",
                     "claims_never_replaced_by_key", "stances_never_replaced"})
# The table a load writes in batches, whose full-text indexes are fed a batch at a time (`Upkeep`).
FED = "stances"
# A trigger run after each row goes in that marks the trust estimates stale, the same statement
# whatever the row (m006): its statement, run once after the load, does all it would.
_MARKS_STALE = re.compile(r"\s*CREATE\s+TRIGGER\s+\w+_make_estimates_stale_\d+\s+AFTER\s+INSERT\s+ON\s+\S+\s+BEGIN\s+"
                          r"(UPDATE\s+assessment_runs\s+SET\s+stale_since\b[^;]*);\s*END\s*$", re.I | re.S)


@attrs.define
class Upkeep:
    """What keeps the stances table indexed, suspended for a load into an empty one.

    Building an index once over all the rows is far cheaper than keeping it sorted
    row by row, and so is filling a full-text index in one rebuild rather than
    tokenising each row in an insert trigger. The stances indexes are dropped; so
    are the triggers that feed an external-content FTS table from any of
    sources, claims or stances that is empty now (such a table is rebuilt whole
    afterwards, which is exactly what the triggers would have made, with its update and
    delete triggers too, for the rows a load completes after inserting them). So are the
    per-row insert triggers of those tables that the load makes redundant: the guards
    that refuse a row replacing another (a load never inserts one: it asks first, and
    the unique indexes stay), and those that mark the trust estimates stale, whose one
    statement runs once at the end instead of once a row. The load's transaction makes
    the drop and the rebuild one change.

    The full-text index of stances is the exception to "rebuilt whole": it is fed the
    rows written since it was last fed (`feed`), which a load calls after each batch of
    stances, and `resume` feeds it the rest. An import reads a large file in another
    process (`verity.importer.ahead`) and waits for it between batches; fed so, the
    index is built in that wait rather than after the last row, when nothing else runs.
    Fed rows stay right without their update and delete triggers: a stance is never
    deleted, and its indexed columns (its quote and note) never change (the
    `stances_never_edited` trigger; tests/test_import_large.py checks that they are among
    the columns it guards).
    """

    restore: list[str] = attrs.field(factory=list)  # SQL re-creating the dropped indexes and triggers
    rebuild: list[str] = attrs.field(factory=list)  # FTS tables to rebuild
    # Statements feeding a full-text index of stances the rows after a rowid (?1); and the last fed.
    feeds: list[str] = attrs.field(factory=list)
    fed_upto: int = 0
    once: list[tuple[str, str]] = attrs.field(factory=list)  # (table, statement) of dropped per-row triggers

    @classmethod
    def suspend(cls, conn: sqlite3.Connection) -> "Upkeep":
        empty = [table for table in ("sources", "claims", "stances")
                 if conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is None]
        schema = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall()
        drop, upkeep = [], cls()
        for kind, name, table, sql in schema:
            # A unique index stays: it is what keeps each uid once, as rows go in.
            if kind == "index" and table == "stances" and not re.match(r"\s*CREATE\s+UNIQUE\b", sql, re.I):
                drop.append(f'DROP INDEX "{name}"')
                upkeep.restore.append(sql)
        for kind, name, _table, sql in schema:
            match = re.search(r"content\s*=\s*['\"]?(\w+)", sql) if kind == "table" and "fts5" in sql.lower() else None
            if not match or match.group(1) not in empty:
                continue
            # Every trigger that keeps it (on insert, and on update or delete of rows the load
            # inserts and then completes): the index is built whole at the end.
            feeders = [(n, s) for k, n, t, s in schema
                       if k == "trigger" and t == match.group(1)
                       and re.search(rf"INSERT\s+INTO\s+['\"`\[]?{re.escape(name)}\b", s, re.I)]
            for trigger, trigger_sql in feeders:
                drop.append(f'DROP TRIGGER "{trigger}"')
                upkeep.restore.append(trigger_sql)
            if feeders and match.group(1) == FED:
                columns = ", ".join(f'"{column}"' for _cid, column, *_ in conn.execute(f'PRAGMA table_info("{name}")'))
                upkeep.feeds.append(f'INSERT INTO "{name}" (rowid, {columns}) SELECT rowid, {columns} '
                                    f'FROM "{FED}" WHERE rowid > ?1')
            elif feeders:
                upkeep.rebuild.append(name)
        for kind, name, table, sql in schema:
            if kind != "trigger" or table not in empty:
                continue
            if name in _GUARDS:
                drop.append(f'DROP TRIGGER "{name}"')
                upkeep.restore.append(sql)
            elif (stale := _MARKS_STALE.match(sql)) is not None:
                drop.append(f'DROP TRIGGER "{name}"')
                upkeep.restore.append(sql)
                upkeep.once.append((table, stale.group(1)))
        for sql in drop:
            conn.execute(sql)
        return upkeep

    def feed(self, conn: sqlite3.Connection) -> None:
        """Feed the full-text indexes of stances the rows written since they were last fed."""
        if not self.feeds:
            return
        for sql in self.feeds:
            conn.execute(sql, [self.fed_upto])
        self.fed_upto = conn.execute(f'SELECT coalesce(max(rowid), 0) FROM "{FED}"').fetchone()[0]

    def resume(self, conn: sqlite3.Connection) -> None:
        self.feed(conn)
        conn.execute(f"PRAGMA threads = {min(4, os.cpu_count() or 1)}")  # SQLite may sort for an index on helper threads
        for sql in self.restore:
            conn.execute(sql)
        for name in self.rebuild:
            conn.execute(f"INSERT INTO \"{name}\" (\"{name}\") VALUES ('rebuild')")
        # A table that was empty and has rows now got them from the load: its triggers would have run.
        for table in dict.fromkeys(table for table, _sql in self.once):
            if conn.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone() is not None:
                for sql in dict.fromkeys(sql for of, sql in self.once if of == table):
                    conn.execute(sql)
