"""What one record edited on two desks, each without seeing the other's edit, comes to in a merge.

A merge (verity.store.merge) brings in the other desk's history with its records; where both
desks edited the same record, the records alone decide what stands, the same on every desk
whichever merged first: each field takes the value of its latest change (`at`, then uid), and
says so when an edit gave way; a claim's ruling is the latest of its rulings; a stance's
retraction is the earliest of its retractions, read from the other desk's file while
`Merging.merge_database` has it attached as `other`. docs/desks.md says it for users.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Optional

from ..names import fold, shell_quoted
from .corrections import CLAIM_FIELDS, RECONCILED_SOURCE_FIELDS, SOURCE_FIELDS
from .rows import RECORD_TABLES, RETRACTION_COLUMNS, SET_LATEST_RULING, USER_KEY
from .settling import Resolution, Settled, Since

_RETRACTION = ", ".join(RETRACTION_COLUMNS)


def _shown(value: Optional[str]) -> str:
    return "none" if value is None else repr(value)


class ConcurrentEdits:
    """The part of `Store` that, in a merge, settles what edits made on two desks come to."""

    conn: sqlite3.Connection

    # -- the latest change of each field ----------------------------------------------

    def _apply_latest_changes(self, since: Since, settled: Settled) -> None:
        """Give each field that this merge brought a change of the value of its latest change
        (`at`, then uid), and report the edits made on two desks without seeing each other."""
        rows = self.conn.execute(
            "SELECT id, uid, at, by, desk, record_type, record_id, record_uid, field, old, new FROM changes c "
            "WHERE action = 'edit' AND record_type IN ('source', 'claim') AND EXISTS (SELECT 1 FROM changes n "
            "WHERE n.id > ? AND n.action = 'edit' AND n.record_uid = c.record_uid AND n.field IS c.field) "
            "ORDER BY record_uid, field, at, uid", [since.ids["changes"]]).fetchall()
        histories: dict[tuple, list] = {}
        for row in rows:
            histories.setdefault((row[5], row[7], row[8]), []).append(row)
        for (record_type, record_uid, field), history in histories.items():
            table = RECORD_TABLES[record_type]
            found = self.conn.execute(f"SELECT id FROM {table} WHERE uid = ?", [record_uid]).fetchone()
            if found is None or field not in (SOURCE_FIELDS if table == "sources" else CLAIM_FIELDS):
                continue
            latest = history[-1]
            if self._set_field(table, found[0], field, latest[10]):
                if table == "claims":
                    settled.claims.add(found[0])
                elif field in RECONCILED_SOURCE_FIELDS:
                    settled.claims.update(self._claims_of_source(self.root_id("sources", found[0])))
            lost = [earlier for earlier, later in zip(history, history[1:]) if later[9] != earlier[10]]
            lost = [change for change in lost if change[10] != latest[10]]
            if lost and any(since.new("changes", change[0]) for change in history):
                settled.resolutions.append(self._concurrent_edit(table, found[0], field, latest, lost))

    def _set_field(self, table: str, record_id: int, field: str, value: Optional[str]) -> bool:
        """Set a field to the value a change gives it; whether that changed it."""
        if table == "sources":
            current = self.conn.execute(f"SELECT {field} FROM sources WHERE id = ?", [record_id]).fetchone()[0]
            if current == value:
                return False
            self.conn.execute(f"UPDATE sources SET {field} = ?" + (", folded = ?" if field == "name" else "")
                              + " WHERE id = ?", [value, *([fold(value)] if field == "name" else []), record_id])
            return True
        if field == "key":
            if self.conn.execute(f"SELECT {USER_KEY} FROM claims WHERE id = ?", [record_id]).fetchone()[0] == value:
                return False
            self.conn.execute("UPDATE claims SET key = ?, rekeyed_from = NULL WHERE id = ?", [value, record_id])
            return True
        if field == "question":
            question = self._question_named(value)
            current = self.conn.execute("SELECT question_id FROM claims WHERE id = ?", [record_id]).fetchone()[0]
            if current == question:
                return False
            self.conn.execute("UPDATE claims SET question_id = ? WHERE id = ?", [question, record_id])
            return True
        current = self.conn.execute(f"SELECT {field} FROM claims WHERE id = ?", [record_id]).fetchone()[0]
        if field == "tags":
            if json.loads(current or "[]") == json.loads(value or "[]"):
                return False
            value = value or "[]"
        elif current == value:
            return False
        self.conn.execute(f"UPDATE claims SET {field} = ? WHERE id = ?", [value, record_id])
        return True

    def _concurrent_edit(self, table: str, record_id: int, field: str, latest: tuple, lost: list) -> Resolution:
        kind = "source" if table == "sources" else "claim"
        name = self._record_name(table, self.root_id(table, record_id))
        others = ", ".join(f"{_shown(change[10])} ({change[3] or 'unknown'}"
                           + (f", desk {change[4]}" if change[4] else "") + f", {change[2][:16]})" for change in lost)
        text = (f"{kind} {name!r}: {field} edited on two desks; the latest stands, {_shown(latest[10])} "
                f"({latest[3] or 'unknown'}{', desk ' + latest[4] if latest[4] else ''}, {latest[2][:16]}), "
                f"over {others}, kept in its history")
        value = lost[-1][10]
        option = {"tags": "--tag"}.get(field, f"--{field}")
        if field == "tags":
            shown = " ".join(f"--tag {shell_quoted(tag)}" for tag in json.loads(value or "[]")) or "--untag …"
        else:
            shown = f"{option} {shell_quoted(value)}"
        command = f"verity {kind} edit {shell_quoted(name)} {shown} --reason '…'"
        return Resolution("edit", text, command)

    # -- the latest ruling, the earliest retraction -------------------------------------

    def _latest_rulings(self, since: Since) -> None:
        """A claim's ruling is the latest of its history (ruled_at, then uid): for each that gained one."""
        self.conn.execute(SET_LATEST_RULING + " WHERE id IN (SELECT claim_id FROM rulings WHERE id > ?)",
                          [since.ids["rulings"]])

    def _earliest_retractions(self, since: Since) -> set[int]:
        """Take the other file's retraction of each stance both hold where this one has none, or a
        later one: the earliest retraction stands. Returns the claims of the stances it retracted."""
        rows = self.conn.execute(
            "SELECT s.id, s.claim_id, o.retracted_at, o.retraction_reason, o.retracted_by, o.retracted_on "
            "FROM other.stances o JOIN main.stances s ON s.uid = o.uid "
            "WHERE o.retracted_at IS NOT NULL AND s.id <= ? "
            "AND (s.retracted_at IS NULL OR s.retracted_at > o.retracted_at)", [since.ids["stances"]]).fetchall()
        self.conn.executemany(f"UPDATE stances SET ({_RETRACTION}) = (?, ?, ?, ?) WHERE id = ?",
                              [(*row[2:], row[0]) for row in rows])
        return {row[1] for row in rows}
