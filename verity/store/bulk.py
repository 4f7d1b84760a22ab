"""What a bulk import needs of the store beyond adding one record at a time."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from typing import Iterator, Optional

import attrs

from .rows import STANCE_INSERT_WITH_ID

BUSY_TIMEOUT_MS = 30_000


class Bulk:
    """The part of `Store` that a bulk import uses."""

    conn: sqlite3.Connection

    # -- bulk import (import/export engineer) --
    # verity.importer runs a whole import in one transaction of the caller's and
    # does in bulk what add_* do per record: it checks names and keys through
    # its own caches, writes stances in batches and refreshes reconciliations once.

    def _bulk_start(self) -> int:
        """The highest stance id as an import begins (0 when there are no stances)."""
        return self.conn.execute("SELECT max(id) FROM stances").fetchone()[0] or 0

    def _bulk_highest_claim(self) -> int:
        return self.conn.execute("SELECT max(id) FROM claims").fetchone()[0] or 0

    def _bulk_names(self, table: str, limit: int, upto: Optional[int] = None) -> list[str]:
        """Every source name or claim key (with an id up to `upto`), for 'did you mean';
        [] when there are more than `limit`."""
        column = {"sources": "name", "claims": "key"}[table]
        where = "" if upto is None else f" WHERE id <= {int(upto)}"
        names = [row[0] for row in self.conn.execute(f"SELECT {column} FROM {table}{where} LIMIT ?", [limit + 1])]
        return names if len(names) <= limit else []

    def _bulk_claim_id(self, key: str) -> Optional[int]:
        row = self.conn.execute("SELECT id FROM claims WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def _bulk_claim_has_stances(self, claim_id: int) -> bool:
        return self.conn.execute(
            "SELECT 1 FROM stances WHERE claim_id = ? LIMIT 1", [claim_id]
        ).fetchone() is not None

    def _write_stances(self, rows: list[tuple]) -> None:
        """Insert stances given with their ids: (id, *STANCE_COLUMNS)."""
        self.conn.executemany(STANCE_INSERT_WITH_ID, rows)

    def _bulk_stance_exists(self, row: tuple, before_id: int, same_time: bool = True) -> bool:
        """Whether a stance like `row` was logged before the import began (stance id <= before_id).

        Alike means the same claim, source, position, quote, url, said-on date, via
        and note, and (when `same_time`) the same logged_at.
        """
        claim_id, source_id, position, quote, url, said_on, via, note, logged_at = row[:9]
        sql = ("SELECT 1 FROM stances WHERE claim_id = ? AND id <= ? AND source_id = ? AND position = ? "
               "AND quote IS ? AND url IS ? AND said_on IS ? AND via IS ? AND note IS ?")
        params = [claim_id, before_id, source_id, position, quote, url, said_on, via, note]
        if same_time:
            sql += " AND logged_at = ?"
            params.append(logged_at)
        return self.conn.execute(sql + " LIMIT 1", params).fetchone() is not None

    def _bulk_suspend_upkeep(self) -> "Upkeep":
        """Before a bulk load into an empty stances table: drop what keeps it indexed,
        and return what builds it all again (for `_bulk_resume_upkeep`).

        Building an index once over a million rows is far cheaper than keeping it
        sorted row by row, and so is filling a full-text index in bulk rather than
        tokenising each row in an insert trigger. The stances indexes are dropped;
        so are the insert triggers that feed an external-content FTS table from any
        of sources, claims or stances that is empty now (such a table is rebuilt
        whole afterwards, which is exactly what the triggers would have made, or
        fed batch by batch: `Upkeep.feeds`). The caller's transaction makes the drop
        and the rebuild one change.
        """
        import re

        empty = [table for table in ("sources", "claims", "stances")
                 if self.conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is None]
        schema = self.conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall()
        drop, upkeep = [], Upkeep()
        for kind, name, table, sql in schema:
            if kind == "index" and table == "stances" and "stances" in empty:
                drop.append(f'DROP INDEX "{name}"')
                upkeep.restore.append(sql)
        for kind, name, _table, sql in schema:
            match = re.search(r"content\s*=\s*['\"]?(\w+)", sql) if kind == "table" and "fts5" in sql.lower() else None
            if not match or match.group(1) not in empty:
                continue
            feeders = [(n, s) for k, n, t, s in schema
                       if k == "trigger" and t == match.group(1) and re.search(r"\bAFTER\s+INSERT\b", s, re.I)
                       and re.search(rf"INSERT\s+INTO\s+['\"`\[]?{re.escape(name)}\b", s, re.I)]
            for trigger, trigger_sql in feeders:
                drop.append(f'DROP TRIGGER "{trigger}"')
                upkeep.restore.append(trigger_sql)
            if feeders:
                columns = [row[1] for row in self.conn.execute(f'PRAGMA table_info("{name}")')]
                upkeep.rebuild[name] = (match.group(1), columns)
        for sql in drop:
            self.conn.execute(sql)
        return upkeep

    def _bulk_resume_upkeep(self, upkeep: "Upkeep") -> None:
        # SQLite may sort for CREATE INDEX on helper threads of its own (1m stances:
        # 1.25 s for the indexes on one thread, 1.0 s with this).
        self.conn.execute(f"PRAGMA threads = {min(4, os.cpu_count() or 1)}")
        for sql in upkeep.restore:
            self.conn.execute(sql)
        for name in upkeep.rebuild:
            self.conn.execute(f"INSERT INTO \"{name}\" (\"{name}\") VALUES ('rebuild')")

    @contextlib.contextmanager
    def _without_wal(self) -> Iterator[None]:
        """A rollback journal instead of the write-ahead log, for filling a database that
        was created just now and that nobody else is using yet; WAL again afterwards.

        With WAL every page of a bulk load is written twice, to the log and then by the
        checkpoint into the database. With a rollback journal, pages that are new in
        this transaction are written once, straight into the file, and nothing is
        journaled for them: 1m stances import in 12.3 s instead of 13.4 s. The
        transaction is as safe either way: if it is interrupted, the journal rolls it
        back. Other connections cannot read the file until it ends, which does not
        matter for a database nobody has seen. If another connection has it open
        already, SQLite refuses to leave WAL, and the import simply runs in WAL.
        """
        self.conn.execute("PRAGMA busy_timeout = 0")  # not 30 s of waiting to find that out
        try:
            mode = self.conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        except sqlite3.OperationalError:  # locked: someone else has it open
            mode = "wal"
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:
            yield
        finally:
            if mode != "wal":
                # If someone opened it meanwhile and holds it, the next Store.open switches it.
                with contextlib.suppress(sqlite3.OperationalError):
                    self.conn.execute("PRAGMA journal_mode = WAL")

    @contextlib.contextmanager
    def _bulk_session(self) -> Iterator[None]:
        """Foreign-key checks off for a bulk import (outside any transaction; restored after).

        The importer writes only ids it has just looked up or inserted in the same
        transaction, so the check SQLite would make on each of a million rows can
        never fail. (SQLite ignores the pragma inside a transaction: then nothing changes.)
        """
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            yield
        finally:
            self.conn.execute("PRAGMA foreign_keys = ON")



@attrs.define
class Upkeep:
    """What a bulk import suspended (see Store._bulk_suspend_upkeep) and how to bring it back."""

    restore: list[str] = attrs.field(factory=list)  # SQL re-creating the dropped indexes and triggers
    rebuild: dict[str, tuple[str, list[str]]] = attrs.field(factory=dict)  # FTS table -> (content table, columns)

    def feeds(self, table: str) -> list[str]:
        """SQL adding to each full-text index over `table` its rows with rowid > ?, for
        whoever inserts into `table` to run after each batch; those are then not rebuilt.

        The same rows, columns and rowids the insert triggers would have added.
        """
        sqls = []
        for name, (content, columns) in list(self.rebuild.items()):
            if content == table:
                listed = ", ".join(f'"{column}"' for column in columns)
                sqls.append(f'INSERT INTO "{name}" (rowid, {listed}) SELECT rowid, {listed} FROM "{table}" '
                            "WHERE rowid > ?")
                del self.rebuild[name]
        return sqls

