"""Merging another desk's database into this one: the records it lacks, copied from the file.

`Store.merge_database(path)` attaches the other desk's file read-only and, in one
transaction, adds every record this database lacks, matched by uid, with set-based SQL
(an `INSERT … SELECT` per table that leaves out the uids already here): questions,
sources, claims, aliases, rulings, stances, changes. A stance this database has is never
edited; only an earlier retraction of it takes the place of a later one (the earliest
stands). Then it works out, from the records alone, what the merge made of them: each field
edited on two desks takes its latest change (verity.store.concurrent_edits); merges and
same-name records become pointers and claims that share a key are re-keyed
(verity.store.settling, by the rules of verity.store.resolve); and every claim that can have
changed is reconciled again. docs/desks.md says it for users.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Optional

import attrs

from ..errors import DatabaseUnavailable
from .resolve import question_key
from .rows import CHANGE_COLUMNS, CLAIM_COLUMNS, RECORD_TABLES, SOURCE_COLUMNS, STANCE_COLUMNS
from .settling import Resolution, Settled, Since
from .upkeep import Upkeep

# What SQLite keeps beside a database while a program has it open (or left open, stopped):
# its write-ahead log and shared memory (WAL mode), or its rollback journal.
SIDECARS = ("-wal", "-shm", "-journal")


def reading_uri(path: str | os.PathLike) -> str:
    """The URI that opens a database file for reading only. A file no program has open (nothing
    of SIDECARS beside it) is read as it is, immutable: SQLite then makes nothing beside it — not
    the -shm and -wal a reader of a WAL database otherwise leaves there, owned by the reader, which
    would stop the file's owner writing it on a shared folder — and reads it on read-only media.
    One a program has open, or left open, is read through SQLite's locks and log, which hold its
    latest writes (and are that program's). A program that starts writing an immutable file
    while it is read is found by `file_state` (see `Merging.merge_database`)."""
    where = Path(path).resolve()
    in_use = any(os.path.lexists(f"{where}{suffix}") for suffix in SIDECARS)
    return where.as_uri() + ("?mode=ro" if in_use else "?mode=ro&immutable=1")


def file_state(path: str | os.PathLike) -> Optional[tuple[int, int, int]]:
    """What changes when a file's bytes are written: which file it is, its size, when it changed
    (None once it is gone)."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_ino, found.st_size, found.st_mtime_ns


def unchanged_since(path: str | os.PathLike, before: Optional[tuple[int, int, int]]) -> None:
    """DatabaseUnavailable when another program wrote, moved or removed the file at `path` since
    its `file_state` was `before`: an immutable read of it may have seen pages half old, half new."""
    if file_state(path) != before:
        raise DatabaseUnavailable(f"{path} was written, moved or removed by another program while it was merged; "
                                  "nothing was merged: merge it again once that program is done")


# The unique indexes that hold a name (a key) to one record not merged into another: a merge
# drops them while records come in and their pointers settle, and builds them again (which
# checks that the settled records keep the rule).
UNIQUE_WHILE_SETTLED = ("sources_folded", "claims_key")
UNSETTLED = -1  # the `merged_into` of a source or claim a merge has added and not yet settled

# The columns a merge copies as they are (the ids it maps: a record's own, and those it points to).
_SOURCE_COLUMNS = ", ".join(SOURCE_COLUMNS)
_CLAIM_COLUMNS = ", ".join((*CLAIM_COLUMNS, "rekeyed_from"))
_STANCE_COLUMNS = ", ".join(STANCE_COLUMNS[2:])  # all but claim_id and source_id
_CHANGE_COLUMNS = ", ".join(CHANGE_COLUMNS)


@attrs.define
class MergeOutcome:
    """What a merge added, and what it had to resolve."""

    questions: int = 0
    sources: int = 0
    claims: int = 0
    stances: int = 0
    rulings: int = 0
    aliases: int = 0
    changes: int = 0
    retractions: int = 0  # retractions taken from the other file (new, or earlier than this one's)
    resolutions: list[Resolution] = attrs.field(factory=list)

    def line(self, name: str) -> str:
        """The one line a merge ends with: what it added from `name`."""
        parts = [(self.sources, "source"), (self.claims, "claim"), (self.stances, "stance"),
                 (self.questions, "question"), (self.rulings, "ruling"), (self.aliases, "alias"),
                 (self.changes, "change"), (self.retractions, "retraction")]
        added = [f"{count:,} {word}{'es' if word == 'alias' and count != 1 else '' if count == 1 else 's'}"
                 for count, word in parts if count]
        resolved = len(self.resolutions)
        differences = f"resolved {resolved} {'difference' if resolved == 1 else 'differences'}:"
        if not added:
            if resolved:  # a file without uids that says what this database's records do not
                return f"Merged {name}: nothing to add; {differences}"
            return f"Merged {name}: nothing to add, this database has every record of it."
        return f"Merged {name}: added {', '.join(added)}" + (f"; {differences}" if resolved else ".")

    @property
    def added(self) -> int:
        return (self.questions + self.sources + self.claims + self.stances + self.rulings + self.aliases
                + self.changes + self.retractions)


class Merging:
    """The part of `Store` that merges another desk's database."""

    conn: sqlite3.Connection

    def merge_database(self, other: str, *, new_file: bool = False) -> MergeOutcome:
        """Add every record of the verity database at `other` (up to date: see verity.importer.desks;
        read as `reading_uri` says, never written) that this one lacks, in one transaction, and
        settle what they resolve to. `new_file`: this database was created for the merge (see
        `bulk_load`)."""
        before = file_state(other)
        uri = reading_uri(other)
        try:
            with self._journal_for(new_file), self._without_foreign_keys():
                self.conn.execute("ATTACH DATABASE ? AS other", [uri])
                failed = False
                try:
                    with self.transaction():
                        outcome = self._merge_attached()
                        # An immutable read sees no lock: a program that wrote the file meanwhile
                        # may have left some pages read old and some new. Nothing is kept then.
                        if uri.endswith("immutable=1"):
                            unchanged_since(other, before)
                        return outcome
                except BaseException:
                    failed = True
                    raise
                finally:
                    try:
                        self.conn.execute("DETACH DATABASE other")
                    except sqlite3.OperationalError:
                        # A merge cut short (a full disk, Ctrl-C) may leave a read of the other file
                        # open, which holds it: what stopped the merge is what to say, not this.
                        if not failed:
                            raise
        except BaseException:
            if new_file:
                self._delete_file()
            raise

    def _merge_attached(self) -> MergeOutcome:
        conn = self.conn
        since = Since({table: conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
                       for table in ("questions", "sources", "claims", "stances", "rulings", "aliases", "changes")})
        upkeep = None if since.ids["stances"] else Upkeep.suspend(conn)
        unique = self._drop_unique_indexes()
        outcome = MergeOutcome()
        outcome.questions = self._merge_questions()
        for table, columns in (("sources", _SOURCE_COLUMNS), ("claims", _CLAIM_COLUMNS)):
            extra = ", question_id" if table == "claims" else ""
            question = (", (SELECT q.id FROM main.questions q JOIN other.questions oq ON oq.uid = q.uid "
                        "WHERE oq.id = o.question_id)") if table == "claims" else ""
            # Each comes in as UNSETTLED, not yet a record that holds its name or key (which a plain
            # INSERT of one whose name is taken would be refused as: see migration m008), then is
            # left to `_settle` to point where it resolves to.
            added = conn.execute(
                f"INSERT INTO main.{table} ({columns}{extra}, merged_into) "
                f"SELECT {', '.join('o.' + c.strip() for c in columns.split(','))}{question}, {UNSETTLED} "
                f"FROM other.{table} o WHERE NOT EXISTS (SELECT 1 FROM main.{table} t WHERE t.uid = o.uid) "
                "ORDER BY o.id").rowcount
            setattr(outcome, table, added)
            conn.execute(f"UPDATE main.{table} SET merged_into = NULL WHERE merged_into = {UNSETTLED}")
            conn.execute(f"CREATE TEMP TABLE merge_{table} (other_id INTEGER PRIMARY KEY, id INTEGER NOT NULL)")
            conn.execute(f"INSERT INTO temp.merge_{table} SELECT o.id, t.id FROM other.{table} o "
                         f"JOIN main.{table} t ON t.uid = o.uid")
        outcome.aliases = conn.execute(
            "INSERT INTO main.aliases (uid, source_id, claim_id, alias, folded, added_at, added_by, desk) "
            "SELECT o.uid, ms.id, mc.id, o.alias, o.folded, o.added_at, o.added_by, o.desk FROM other.aliases o "
            "LEFT JOIN temp.merge_sources ms ON ms.other_id = o.source_id "
            "LEFT JOIN temp.merge_claims mc ON mc.other_id = o.claim_id "
            "WHERE NOT EXISTS (SELECT 1 FROM main.aliases a WHERE a.uid = o.uid) ORDER BY o.id").rowcount
        outcome.rulings = conn.execute(
            "INSERT INTO main.rulings (uid, claim_id, ruling, explanation, ruled_at, ruled_by, desk) "
            "SELECT o.uid, mc.id, o.ruling, o.explanation, o.ruled_at, o.ruled_by, o.desk FROM other.rulings o "
            "JOIN temp.merge_claims mc ON mc.other_id = o.claim_id "
            "WHERE NOT EXISTS (SELECT 1 FROM main.rulings r WHERE r.uid = o.uid) ORDER BY o.id").rowcount
        # The stances, the bulk of a desk's file: scanned once, each looking its uid up here.
        outcome.stances = conn.execute(
            f"INSERT INTO main.stances (claim_id, source_id, {_STANCE_COLUMNS}) "
            f"SELECT mc.id, ms.id, {', '.join('o.' + c.strip() for c in _STANCE_COLUMNS.split(','))} "
            "FROM other.stances o JOIN temp.merge_claims mc ON mc.other_id = o.claim_id "
            "JOIN temp.merge_sources ms ON ms.other_id = o.source_id "
            "WHERE NOT EXISTS (SELECT 1 FROM main.stances s WHERE s.uid = o.uid) ORDER BY o.id").rowcount
        retracted = self._earliest_retractions(since)
        outcome.retractions = len(retracted)
        outcome.changes = conn.execute(
            f"INSERT INTO main.changes ({_CHANGE_COLUMNS}, record_id) SELECT * FROM ("
            f"SELECT {', '.join('o.' + c.strip() for c in _CHANGE_COLUMNS.split(','))}, CASE o.record_type "
            + " ".join(f"WHEN '{kind}' THEN (SELECT id FROM main.{table} WHERE uid = o.record_uid)"
                       for kind, table in RECORD_TABLES.items())
            + " END AS record_id FROM other.changes o WHERE NOT EXISTS "
            "(SELECT 1 FROM main.changes c WHERE c.uid = o.uid) ORDER BY o.id) WHERE record_id IS NOT NULL").rowcount
        for table in ("sources", "claims"):
            conn.execute(f"DROP TABLE temp.merge_{table}")
        settled = Settled()
        self._apply_latest_changes(since, settled)
        self._settle(since, settled)
        self._latest_rulings(since)
        for sql in unique:
            conn.execute(sql)
        outcome.resolutions = settled.resolutions
        if upkeep is not None:
            upkeep.resume(conn)
            self.refresh_reconciliations()
            return outcome
        claims = settled.claims | {row[0] for row in conn.execute(
            "SELECT id FROM claims WHERE id > ? UNION SELECT claim_id FROM stances WHERE id > ?",
            [since.ids["claims"], since.ids["stances"]])} | retracted
        self.refresh_reconciliations(claims)
        if outcome.questions or settled.claims:  # a question gained answers, or a claim moved between questions
            self.refresh_questions()
        return outcome

    def _drop_unique_indexes(self) -> list[str]:
        """Drop the indexes of UNIQUE_WHILE_SETTLED; returns the SQL that builds them again."""
        kept = []
        for name in UNIQUE_WHILE_SETTLED:
            row = self.conn.execute("SELECT sql FROM main.sqlite_master WHERE type = 'index' AND name = ?",
                                    [name]).fetchone()
            if row is not None:
                self.conn.execute(f'DROP INDEX main."{name}"')
                kept.append(row[0])
        return kept

    def _merge_questions(self) -> int:
        """Add the other file's questions this database lacks. One whose key is taken here comes
        in under the key it would be re-keyed to; `_settle` then gives the key to the older."""
        rows = self.conn.execute(
            "SELECT o.uid, o.key, o.text, o.created_at, o.created_by, o.desk FROM other.questions o "
            "WHERE NOT EXISTS (SELECT 1 FROM main.questions q WHERE q.uid = o.uid) ORDER BY o.id").fetchall()
        for uid, key, text, created_at, created_by, desk in rows:
            if self.conn.execute("SELECT 1 FROM main.questions WHERE key = ?", [key]).fetchone():
                key = question_key(key, uid)  # for now: `_settle_questions` gives it the key it resolves to
            self.conn.execute("INSERT INTO main.questions (uid, key, text, created_at, created_by, desk) "
                              "VALUES (?, ?, ?, ?, ?, ?)", [uid, key, text, created_at, created_by, desk])
        return len(rows)
