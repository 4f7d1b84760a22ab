"""Merging another desk's database into this one, and settling what the records resolve to.

`Store.merge_database(path)` attaches the other desk's file read-only and, in one
transaction, adds every record this database lacks, matched by uid, with set-based SQL
(an `INSERT … SELECT` per table that leaves out the uids already here): questions,
sources, claims, aliases, rulings, stances, changes. A stance this database has is never
edited; only an earlier retraction of it takes the place of a later one (the earliest
stands). Then `settle` works out, from the records alone, what the merge made of them
(`verity.store.resolve`): each field edited on two desks takes its latest change, merges
and same-name records become pointers, claims that share a key are re-keyed, and every
claim that can have changed is reconciled again. docs/desks.md says it for users.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Iterable, Optional

import attrs

from .. import uids
from ..names import fold
from .corrections import CLAIM_FIELDS, RECONCILED_SOURCE_FIELDS, SOURCE_FIELDS
from .resolve import EDGE_NAME, REKEY_DIGITS, MergeEdge, claim_keys, groups_of, merge_pointers
from .rows import (
    CHANGE_COLUMNS,
    CLAIM_COLUMNS,
    RECORD_TABLES,
    RETRACTION_COLUMNS,
    SOURCE_COLUMNS,
    STANCE_COLUMNS,
    USER_KEY,
    alike,
)
from .upkeep import Upkeep

# The unique indexes that hold a name (a key) to one record not merged into another: a merge
# drops them while records come in and their pointers settle, and builds them again (which
# checks that the settled records keep the rule).
UNIQUE_WHILE_SETTLED = ("sources_folded", "claims_key")
UNSETTLED = -1  # the `merged_into` of a source or claim a merge has added and not yet settled

# The columns a merge copies as they are (the ids it maps: a record's own, and those it points to).
_SOURCE_COLUMNS = ", ".join(SOURCE_COLUMNS)
_CLAIM_COLUMNS = ", ".join((*CLAIM_COLUMNS, "rekeyed_from"))
_STANCE_COLUMNS = ", ".join(STANCE_COLUMNS[2:])  # all but claim_id and source_id
_RETRACTION = ", ".join(RETRACTION_COLUMNS)
_CHANGE_COLUMNS = ", ".join(CHANGE_COLUMNS)


@attrs.frozen
class Resolution:
    """One thing a merge had to decide, said for people, with the command that would decide it otherwise."""

    kind: str  # "edit", "name", "key", "merge", "alias", "question"
    text: str
    command: Optional[str] = None


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
        if not added:
            return f"Merged {name}: nothing to add, this database has every record of it."
        resolved = len(self.resolutions)
        return (f"Merged {name}: added {', '.join(added)}"
                + (f"; resolved {resolved} {'difference' if resolved == 1 else 'differences'}:" if resolved else ".")
                )

    @property
    def added(self) -> int:
        return (self.questions + self.sources + self.claims + self.stances + self.rulings + self.aliases
                + self.changes + self.retractions)


@attrs.frozen
class Since:
    """Where the records this merge added begin: each table's highest id before it."""

    ids: dict

    def new(self, table: str, record_id: Optional[int]) -> bool:
        return record_id is not None and record_id > self.ids.get(table, 0)


@attrs.define
class Settled:
    """What settling changed: claims to reconcile again, and what to report."""

    claims: set = attrs.field(factory=set)
    resolutions: list[Resolution] = attrs.field(factory=list)


def _of_desk(desk: Optional[str]) -> str:
    """' of desk D' after a record's name in a resolution, or nothing for a record of no desk."""
    return f" of desk {desk}" if desk else ""


def _quoted(text: Optional[str]) -> str:
    """A name or value as a shell command takes it."""
    if text is None:
        return "''"
    return "'" + str(text).replace("'", "'\\''") + "'"


def _shown(value: Optional[str]) -> str:
    return "none" if value is None else repr(value)


class Merging:
    """The part of `Store` that merges another desk's database and settles what records resolve to."""

    conn: sqlite3.Connection

    # -- merging a database ------------------------------------------------------------

    def merge_database(self, other: str, *, new_file: bool = False) -> MergeOutcome:
        """Add every record of the verity database at `other` (opened read-only, up to date:
        see verity.importer.desks) that this one lacks, in one transaction, and settle what they
        resolve to. `new_file`: this database was created for the merge (see `bulk_load`)."""
        uri = Path(other).resolve().as_uri() + "?mode=ro"
        try:
            with self._journal_for(new_file), self._without_foreign_keys():
                self.conn.execute("ATTACH DATABASE ? AS other", [uri])
                try:
                    with self.transaction():
                        return self._merge_attached()
                finally:
                    self.conn.execute("DETACH DATABASE other")
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

    def _latest_rulings(self, since: Since) -> None:
        """A claim's ruling is the latest of its history (ruled_at, then uid): for each that gained one."""
        self.conn.execute(
            "UPDATE claims SET (ruling, ruling_explanation, ruled_at, ruled_by) = (SELECT ruling, explanation, "
            "ruled_at, ruled_by FROM rulings r WHERE r.claim_id = claims.id ORDER BY ruled_at IS NULL, "
            "ruled_at DESC, uid DESC LIMIT 1) WHERE id IN (SELECT claim_id FROM rulings WHERE id > ?)",
            [since.ids["rulings"]])

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
            shown = " ".join(f"--tag {_quoted(tag)}" for tag in json.loads(value or "[]")) or "--untag …"
        else:
            shown = f"{option} {_quoted(value)}"
        command = f"verity {kind} edit {_quoted(name)} {shown} --reason '…'"
        return Resolution("edit", text, command)

    def _record_name(self, table: str, record_id: int) -> str:
        column = "name" if table == "sources" else "key"
        return self.conn.execute(f"SELECT {column} FROM {table} WHERE id = ?", [record_id]).fetchone()[0]

    # -- what the records resolve to ----------------------------------------------------

    def settle(self) -> set[int]:
        """Work out again what the records resolve to (after a correction that can change it:
        a new name, key or text, a merge); returns the claims to reconcile again."""
        settled = Settled()
        self._settle(None, settled)
        return settled.claims

    def _settle(self, since: Optional[Since], settled: Settled) -> None:
        self._settle_sources(since, settled)
        self._settle_claims(since, settled)
        self._settle_questions(since, settled)
        if since is not None:
            self._report_shared_aliases(since, settled)

    def _merge_edges(self, record_type: str, ids: dict[str, int]) -> list[MergeEdge]:
        """Every merge change of a record of `record_type` in `ids` (uid -> id), by local ids. A merge
        recorded by an upgrade names its target by its name (or key) rather than its uid."""
        table = RECORD_TABLES[record_type]
        column = "name" if table == "sources" else "key"
        edges = []
        for at, uid, record_uid, new in self.conn.execute(
                "SELECT at, uid, record_uid, new FROM changes WHERE action = 'merge' AND record_type = ?",
                [record_type]):
            record = ids.get(record_uid)
            if record is None or new is None:
                continue
            into = ids.get(new)
            if into is None and not uids.is_uid(new):
                row = self.conn.execute(f"SELECT id FROM {table} WHERE {column} = ? AND uid != ? ORDER BY uid LIMIT 1",
                                        [new, record_uid]).fetchone()
                into = row[0] if row else None
            if into is not None:
                edges.append(MergeEdge(at, uid, record, into))
        return edges

    def _settle_sources(self, since: Optional[Since], settled: Settled) -> None:
        rows = self.conn.execute(f"SELECT id, uid, merged_into, {alike('sources')} FROM sources").fetchall()
        uid_of = {row[0]: row[1] for row in rows}
        ids = {row[1]: row[0] for row in rows}
        pointers = merge_pointers(uid_of, self._merge_edges("source", ids),
                                  groups_of({row[0]: row[3:] for row in rows}))
        changed = [(row[0], row[2], pointers.into.get(row[0])) for row in rows if row[2] != pointers.into.get(row[0])]
        # Those merged first, then those no longer merged: a name stays with one source not merged throughout.
        for source_id, _old, new in sorted(changed, key=lambda c: c[2] is None):
            self.conn.execute("UPDATE sources SET merged_into = ? WHERE id = ?", [new, source_id])
        for source_id, old, new in changed:
            for affected in {source_id, old, new} - {None}:
                settled.claims.update(self._claims_of_source(affected))
        if since is None:
            return
        for source_id, into in pointers.into.items():
            if pointers.kind[source_id] == EDGE_NAME and (since.new("sources", source_id) or since.new("sources", into)):
                settled.resolutions.append(self._same_name(source_id, into))
        settled.resolutions += self._dropped_merges("sources", pointers.dropped, since)

    def _same_name(self, source_id: int, into: int) -> Resolution:
        (name, desk), (kept, kept_desk) = (self.conn.execute("SELECT name, desk FROM sources WHERE id = ?",
                                                             [i]).fetchone() for i in (source_id, into))
        root = self._record_name("sources", self.root_id("sources", into))
        text = (f"source {name!r}{_of_desk(desk)} and {kept!r}"
                f"{_of_desk(kept_desk)}, one name created apart, are one source: "
                f"the younger is merged into the older ({root!r})")
        command = (f"verity source edit {_quoted(root)} --name '<another name>' --reason '…' "
                   f"(if they are two sources: {name!r} then names the younger)")
        return Resolution("name", text, command)

    def _dropped_merges(self, table: str, dropped: Iterable, since: Since) -> list[Resolution]:
        kind = "source" if table == "sources" else "claim"
        found = []
        for edge, why, by in dropped:
            involved = [edge.uid] + ([by.uid] if by else [])
            new = self.conn.execute(
                f"SELECT 1 FROM changes WHERE uid IN ({', '.join('?' * len(involved))}) AND id > ?",
                [*involved, since.ids["changes"]]).fetchone()
            if not new:
                continue
            record, into = self._record_name(table, edge.record), self._record_name(table, edge.into)
            root = self._record_name(table, self.root_id(table, edge.record))
            if why == "circle":
                text = (f"{kind}s {record!r} and {into!r} were merged into each other on different desks; "
                        f"the later merge stands and the earlier ({record!r} into {into!r}, {edge.at[:16]}) "
                        f"gives way: they are one {kind}, {root!r}")
                command = f"verity {kind} show {_quoted(root)} (one {kind} either way; nothing to undo)"
            else:
                text = (f"{kind} {record!r} was merged into {into!r} ({edge.at[:16]}) and, later, on another desk "
                        f"into another: the later merge stands, and it counts as {root!r}'s")
                command = f"verity {kind} merge {_quoted(root)} --into {_quoted(into)} --reason '…'"
            found.append(Resolution("merge", text, command))
        return found

    def _settle_claims(self, since: Optional[Since], settled: Settled) -> None:
        """Pointers and keys of the claims that can need settling: those merged, re-keyed, named by a
        merge change, or sharing their desk's key with another."""
        # Claims one by name (rows.ALIKE) share the key their desk gave them: the last condition takes in each group.
        rows = self.conn.execute(
            f"SELECT id, uid, key, rekeyed_from, merged_into, {USER_KEY}, {alike('claims')} FROM claims "
            "WHERE merged_into IS NOT NULL OR rekeyed_from IS NOT NULL OR uid IN (SELECT record_uid FROM changes "
            "WHERE action = 'merge' AND record_type = 'claim' UNION SELECT new FROM changes WHERE action = 'merge' "
            f"AND record_type = 'claim') OR {USER_KEY} IN (SELECT {USER_KEY} AS k FROM claims "
            "GROUP BY k HAVING count(*) > 1)").fetchall()
        if not rows:
            return
        uid_of = {row[0]: row[1] for row in rows}
        ids = {row[1]: row[0] for row in rows}
        own = {row[0]: row[5] for row in rows}
        pointers = merge_pointers(uid_of, self._merge_edges("claim", ids),
                                  groups_of({row[0]: row[6:] for row in rows}))
        roots = sorted(i for i in uid_of if i not in pointers.into)
        taken = set() if not roots else {row[0] for row in self.conn.execute(
            f"SELECT {USER_KEY} FROM claims UNION SELECT alias FROM aliases WHERE claim_id IS NOT NULL")}
        keys = claim_keys(roots, uid_of, own, taken)
        changed = []
        for claim_id, _uid, key, rekeyed_from, merged_into, *_alike in rows:
            into = pointers.into.get(claim_id)
            final_key = keys.get(claim_id, own[claim_id])
            final_from = own[claim_id] if final_key != own[claim_id] else None
            if (into, final_key, final_from) != (merged_into, key, rekeyed_from):
                changed.append((claim_id, into, final_key, final_from, merged_into))
        # Those that give a key up first (merged, or re-keyed), then those that take one.
        for claim_id, into, final_key, final_from, _old in sorted(changed, key=lambda c: c[1] is None and c[3] is None):
            self.conn.execute("UPDATE claims SET merged_into = ?, key = ?, rekeyed_from = ? WHERE id = ?",
                              [into, final_key, final_from, claim_id])
        for claim_id, into, _key, _from, old in changed:
            settled.claims.update({claim_id, into, old} - {None})
        self.conn.execute("DELETE FROM reconciliations WHERE claim_id IN (SELECT id FROM claims WHERE merged_into "
                          "IS NOT NULL)")
        if since is None:
            return
        for claim_id, into in pointers.into.items():
            if pointers.kind[claim_id] == EDGE_NAME and (since.new("claims", claim_id) or since.new("claims", into)):
                settled.resolutions.append(self._same_claim(claim_id, into))
        for claim_id in roots:
            if keys[claim_id] != own[claim_id]:
                holder = next(i for i in roots if keys[i] == own[claim_id])
                if since.new("claims", claim_id) or since.new("claims", holder):
                    settled.resolutions.append(self._rekeyed(claim_id, holder, own[claim_id], keys[claim_id]))
        settled.resolutions += self._dropped_merges("claims", pointers.dropped, since)

    def _same_claim(self, claim_id: int, into: int) -> Resolution:
        key, desk = self.conn.execute("SELECT key, desk FROM claims WHERE id = ?", [claim_id]).fetchone()
        root = self._record_name("claims", self.root_id("claims", into))
        text = (f"claim {key!r}{_of_desk(desk)}, logged apart with the same key and text "
                f"as an older one, is that claim: merged into {root!r}")
        command = (f"verity claim edit {_quoted(root)} --text '<what it says>' --reason '…' "
                   "(if they are two claims: the younger then gets a key of its own)")
        return Resolution("key", text, command)

    def _rekeyed(self, claim_id: int, holder: int, key: str, new_key: str) -> Resolution:
        desk = self.conn.execute("SELECT desk FROM claims WHERE id = ?", [claim_id]).fetchone()[0]
        holder_desk = self.conn.execute("SELECT desk FROM claims WHERE id = ?", [holder]).fetchone()[0]
        text = (f"claim {key!r}{_of_desk(desk)} and the older claim {key!r}"
                f"{_of_desk(holder_desk)} say different things: both are kept, "
                f"the younger re-keyed {new_key!r}")
        command = (f"verity claim merge {new_key} --into {key} --reason '…' (if they are one claim), or "
                   f"verity claim edit {new_key} --key <a better key> --reason '…'")
        return Resolution("key", text, command)

    def _question_named(self, key: Optional[str]) -> Optional[int]:
        """The question a change naming `key` moves a claim to: of the questions desks gave that key,
        the oldest (the one that keeps it), else none."""
        if not key:
            return None
        found = [(uid, question_id) for question_id, uid, own in self.conn.execute(
            "SELECT id, uid, key FROM questions WHERE key = ? OR key LIKE ? ESCAPE '\\'",
            [key, key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "-%"])
            if _question_own_key(own, uid) == key]
        return min(found)[1] if found else None

    def _settle_claims_questions(self, settled: Settled) -> None:
        """Each claim whose question a change set is in the question its latest such change names
        (`_question_named`): the same on every desk, whichever question of that key was its desk's."""
        latest: dict[str, Optional[str]] = {}
        for record_uid, new in self.conn.execute(
                "SELECT record_uid, new FROM changes WHERE action = 'edit' AND record_type = 'claim' "
                "AND field = 'question' ORDER BY at, uid"):
            latest[record_uid] = new
        for record_uid, new in latest.items():
            row = self.conn.execute("SELECT id, question_id FROM claims WHERE uid = ?", [record_uid]).fetchone()
            if row is None:
                continue
            question = self._question_named(new)
            if question != row[1]:
                self.conn.execute("UPDATE claims SET question_id = ? WHERE id = ?", [question, row[0]])
                settled.claims.add(row[0])

    def _settle_questions(self, since: Optional[Since], settled: Settled) -> None:
        """Questions that share the key their desks gave them: the oldest keeps it, the others are re-keyed."""
        self._settle_claims_questions(settled)
        rows = self.conn.execute("SELECT id, uid, key FROM questions").fetchall()
        own = {row[0]: _question_own_key(row[2], row[1]) for row in rows}
        if len(set(own.values())) == len(own) and all(own[row[0]] == row[2] for row in rows):
            return
        uid_of = {row[0]: row[1] for row in rows}
        # Only the keys desks gave count as taken: what is re-keyed is then the same on every desk.
        keys = claim_keys(sorted(own), uid_of, own, set(own.values()))
        changed = [(row[0], keys[row[0]]) for row in rows if keys[row[0]] != row[2]]
        # Keys are unique at every step: each changed question lets its key go first (its uid is unique).
        self.conn.executemany("UPDATE questions SET key = uid WHERE id = ?", [(i,) for i, _key in changed])
        self.conn.executemany("UPDATE questions SET key = ? WHERE id = ?", [(key, i) for i, key in changed])
        if since is None:
            return
        for question_id, key in sorted(keys.items()):  # re-keyed now, or as it came in (see _merge_questions)
            if key != own[question_id] and any(since.new("questions", i) for i in own if own[i] == own[question_id]):
                settled.resolutions.append(Resolution(
                    "question", f"question {own[question_id]!r} was added on two desks; the younger is "
                    f"re-keyed {key!r}", f"verity claim edit CLAIM --question {own[question_id]} --reason '…' "
                    "(to move a claim of the younger to the older)"))

    def _report_shared_aliases(self, since: Since, settled: Settled) -> None:
        """One alias given to two sources on different desks: it finds the one given it last."""
        rows = self.conn.execute(
            "SELECT a.folded, a.alias, a.source_id, a.id FROM aliases a WHERE a.source_id IS NOT NULL AND a.folded IN "
            "(SELECT folded FROM aliases WHERE source_id IS NOT NULL GROUP BY folded "
            "HAVING count(DISTINCT source_id) > 1) ORDER BY a.folded").fetchall()
        by_name: dict[str, list] = {}
        for folded, alias, source_id, alias_id in rows:
            by_name.setdefault(folded, []).append((alias, self.root_id("sources", source_id), alias_id))
        for folded, held in by_name.items():
            roots = {root for _alias, root, _id in held}
            if len(roots) < 2 or not any(since.new("aliases", alias_id) for *_rest, alias_id in held):
                continue
            found = self.find_source(held[0][0])
            if found is None or self.conn.execute("SELECT 1 FROM sources WHERE folded = ?", [folded]).fetchone():
                continue  # a name: it finds the source of that name, as any name does
            names = sorted(self._record_name("sources", root) for root in roots)
            others = [name for name in names if name != found.name]
            settled.resolutions.append(Resolution(
                "alias", f"alias {held[0][0]!r} was given to {' and '.join(repr(n) for n in names)} on different "
                f"desks: it finds {found.name!r}, given it last",
                f"verity source merge {_quoted(others[0])} --into {_quoted(found.name)} --reason '…' "
                "(if they are one source); otherwise log their stances under their full names"))


def question_key(key: str, uid: str) -> str:
    """A question's key while its key is another's: KEY-<every hex digit of its uid>, unique, and
    read back as KEY by `_question_own_key`."""
    return f"{key}-{uid.replace('-', '')}"


def _question_own_key(key: str, uid: str) -> str:
    """The key a question's desk gave it: its key without the uid suffix a merge added."""
    return rekeyed_from(key, uid) or key


def rekeyed_from(key: str, uid: str) -> Optional[str]:
    """The key a desk gave a claim (or question) that a merge re-keyed KEY-<digits of its uid>
    (`resolve.rekeyed`, `question_key`), else None: what an export, which gives the key alone,
    says of it."""
    digits = uid.replace("-", "")
    for length in REKEY_DIGITS:
        if key.endswith("-" + digits[:length]) and len(key) > length + 1:
            return key[: -length - 1]
    return None
