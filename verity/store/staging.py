"""Another desk's export, made into a database that a merge can read like any desk's file.

`verity merge FILE.json(l)` (verity.importer.desks) writes the export's records, by uid and as
they were, into a scratch verity database through `Staging`, then merges that database
(`Store.merge_database`, verity.store.merge) as it merges a desk's own file.
"""

from __future__ import annotations

from typing import Optional

from .. import uids
from ..names import fold
from .merge import UNIQUE_WHILE_SETTLED
from .resolve import question_key
from .rows import CHANGE_COLUMNS, RECORD_TABLES, STANCE_INSERT, alike


class Staging:
    """Another desk's export, written as the database it came from (records by uid, as they were),
    into a scratch verity database that `Store.merge_database` then merges like any desk's file.

    The scratch database keeps no search index and no rule that one name or key names one record:
    it holds what the file says, the desk's resolutions included.
    """

    def __init__(self, store):
        self.store = store
        self.conn = conn = store.conn
        for name, in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND "
                                  "(name IN ('claims_ai', 'stances_ai') OR name LIKE '%never_replaced%')").fetchall():
            conn.execute(f'DROP TRIGGER "{name}"')
        for name in UNIQUE_WHILE_SETTLED:
            conn.execute(f'DROP INDEX IF EXISTS "{name}"')
        # ... but each of the file's stances looks its claim and source up by key and name
        # (`claim_keyed`, `source_named`): without an index, each look-up reads every claim.
        conn.execute("CREATE INDEX staging_claims_key ON claims (key, uid)")
        conn.execute("CREATE INDEX staging_sources_name ON sources (name, uid)")
        conn.execute("CREATE INDEX staging_sources_folded ON sources (folded, uid)")
        self.sources: dict[str, int] = {}  # uid -> id
        self.claims: dict[str, int] = {}
        self.questions: dict[str, int] = {}
        self._stances: list[tuple] = []

    def add_question(self, uid: str, key: str, text: str, desk: Optional[str]) -> None:
        if uid not in self.questions:
            self.questions[uid] = self.conn.execute(
                "INSERT INTO questions (uid, key, text, desk) VALUES (?, ?, ?, ?)",
                [uid, key if not self.conn.execute("SELECT 1 FROM questions WHERE key = ?", [key]).fetchone()
                 else question_key(key, uid), text, desk]).lastrowid

    def add_source(self, uid: str, values: tuple, desk: Optional[str]) -> int:
        """A source (name, kind, affiliation, reliability, url, note); the first record of a uid wins."""
        if uid not in self.sources:
            self.sources[uid] = self.conn.execute(
                "INSERT INTO sources (uid, name, folded, kind, affiliation, reliability, url, note, desk) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [uid, values[0], fold(values[0]), *values[1:], desk]).lastrowid
        return self.sources[uid]

    def add_claim(self, uid: str, row: tuple, question: Optional[str], rekeyed_from: Optional[str],
                  desk: Optional[str]) -> int:
        """A claim as `claim_row` gives it (key, text, subject, tags as JSON, note, ruling ...)."""
        if uid not in self.claims:
            question_id = None
            if question:
                found = self.conn.execute("SELECT id FROM questions WHERE key = ?", [question]).fetchone()
                question_id = found[0] if found else None
            self.claims[uid] = self.conn.execute(
                "INSERT INTO claims (uid, key, text, subject, tags, note, ruling, ruling_explanation, ruled_at, "
                "ruled_by, question_id, rekeyed_from, desk) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [uid, *row, question_id, rekeyed_from, desk]).lastrowid
        return self.claims[uid]

    def claim_keyed(self, key: str) -> Optional[str]:
        """The uid of the claim of this key in the file (one not merged, the oldest), else None."""
        row = self.conn.execute("SELECT uid FROM claims WHERE key = ? ORDER BY uid LIMIT 1", [key]).fetchone()
        return row[0] if row else None

    def name_of(self, kind: str, uid: str) -> Optional[str]:
        """The key of the file's claim (`kind` "claim") with this uid, or the name of its source; else None."""
        table, column = ("claims", "key") if kind == "claim" else ("sources", "name")
        row = self.conn.execute(f"SELECT {column} FROM {table} WHERE uid = ?", [uid]).fetchone()
        return row[0] if row else None

    def source_named(self, name: str) -> Optional[str]:
        """The uid of the source a stance of the file means by this name: the one of the file's
        records spelt as it spells it, else the one with this name or alias as names are matched;
        the oldest of those (the one kept, when one was merged into the other); else None. As an
        import reads a stance's source (`Importer._known_source`): two sources whose names fold
        alike, one merged into the other, each keep their own stances."""
        row = self.conn.execute("SELECT uid FROM sources WHERE name = ? COLLATE BINARY ORDER BY uid LIMIT 1",
                                [name]).fetchone()
        if row is not None:
            return row[0]
        folded = fold(name)
        row = self.conn.execute("SELECT uid FROM sources WHERE folded = ? ORDER BY uid LIMIT 1", [folded]).fetchone()
        if row is None:
            row = self.conn.execute("SELECT s.uid FROM aliases a JOIN sources s ON s.id = a.source_id "
                                    "WHERE a.folded = ? ORDER BY a.uid LIMIT 1", [folded]).fetchone()
        return row[0] if row else None

    def add_alias(self, table: str, uid: str, alias: str) -> None:
        """An alias of a record of the file: when, by whom and on which desk it was given are those
        of the change that gave it (an alias, a rename, a re-key), when the file has one."""
        column = "source_id" if table == "sources" else "claim_id"
        record = (self.sources if table == "sources" else self.claims).get(uid)
        if record is None:
            return
        given = self.conn.execute(
            "SELECT at, by, desk FROM changes WHERE record_uid = ? AND ((action = 'alias' AND new = ?) "
            "OR (action = 'edit' AND field IN ('name', 'key') AND old = ?)) ORDER BY at, uid LIMIT 1",
            [uid, alias, alias]).fetchone() or (None, None, None)
        self.conn.execute(f"INSERT INTO aliases (uid, {column}, alias, folded, added_at, added_by, desk) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (uid) DO NOTHING",
                          [uids.of_alias(uid, alias), record, alias, fold(alias) if table == "sources" else alias,
                           *given])

    def add_merge(self, table: str, uid: str, into: str, into_uid: Optional[str] = None) -> None:
        """A record the file says was merged into another (by name or key, and uid where the file
        gives it), kept as the merge change that says so when the file has none and their names do
        not make them one already."""
        kind = "source" if table == "sources" else "claim"
        if into_uid is None:
            into_uid = self.source_named(into) if table == "sources" else self.claim_keyed(into)
        if into_uid is None or into_uid == uid or self.merged(table, uid) or self.same_by_name(table, uid, into_uid):
            return
        at = "1970-01-01T00:00:00.000000Z"  # when is not said: older than any merge that says it
        self.add_change({"uid": uids.of_change(uid, "merge", "merged_into", None, into_uid, at, None), "at": at,
                         "by": None, "desk": None, "action": "merge", "record_type": kind, "record_uid": uid,
                         "field": "merged_into", "old": None, "new": into_uid, "reason": "merged in the file"})

    def add_ruling(self, claim_uid: str, uid: str, values: tuple) -> None:
        self.conn.execute("INSERT INTO rulings (uid, claim_id, ruling, explanation, ruled_at, ruled_by, desk) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (uid) DO NOTHING",
                          [uid, self.claims[claim_uid], *values])

    def add_stance(self, claim_uid: str, source_uid: str, values: tuple) -> None:
        """A stance: the values of `stances` from position on (stance_values' order after claim and source)."""
        self._stances.append((self.claims[claim_uid], self.sources[source_uid], *values))
        if len(self._stances) >= 5_000:
            self.flush()

    def flush(self) -> None:
        if self._stances:
            self.conn.executemany(
                STANCE_INSERT + " ON CONFLICT (uid) DO NOTHING",
                self._stances)
            self._stances = []

    def add_change(self, values: dict) -> bool:
        """A change (the fields of `changes`); False when its record is not in the file."""
        table = RECORD_TABLES[values["record_type"]]
        found = self.conn.execute(f"SELECT id FROM {table} WHERE uid = ?", [values["record_uid"]]).fetchone()
        if found is None:
            return False
        self.conn.execute(
            f"INSERT INTO changes ({', '.join(CHANGE_COLUMNS)}, record_id) VALUES ({', '.join('?' * 12)}) "
            "ON CONFLICT (uid) DO NOTHING", [*(values[column] for column in CHANGE_COLUMNS), found[0]])
        return True

    def merged(self, table: str, uid: str) -> bool:
        """Whether a merge change of this record is in the file."""
        return self.conn.execute("SELECT 1 FROM changes WHERE action = 'merge' AND record_uid = ?",
                                 [uid]).fetchone() is not None

    def same_by_name(self, table: str, uid: str, into: str) -> bool:
        """Whether two records are one by their names alone (`rows.ALIKE`: a source's folded name; a claim's
        key, as its desk gave it, and text)."""
        return len(self.conn.execute(f"SELECT DISTINCT {alike(table)} FROM {table} WHERE uid IN (?, ?)",
                                     [uid, into]).fetchall()) == 1
