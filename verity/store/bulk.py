"""Bulk loading: everything an import writes, in one transaction, set-based where it counts.

`Store.bulk_load()` opens the transaction and gives a `BulkLoad`. Sources and claims
go in one at a time as they are read: there are few of them, and the stances after
them name them. Stances, the bulk of any import, are staged by the importer with
their claim and source ids and written in batches (`executemany`), leaving out a
stance logged already (the rules are in docs/import-export.md).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import operator
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Optional

import attrs

from .. import uids
from ..models import Change, Question, Ruling, Source, utc_now
from ..names import fold
from .rows import (
    CLAIM_COLUMNS,
    CLAIM_INSERT,
    RECORD_TABLES,
    RETRACTION_COLUMNS,
    SET_LATEST_RULING,
    SOURCE_COLUMNS,
    SOURCE_INSERT,
    STANCE_COLUMNS,
    alike,
    claim_insert_row,
    source_row,
)
from .upkeep import Upkeep

if TYPE_CHECKING:
    from .core import Store

BUSY_TIMEOUT_MS = 30_000

# A staged stance: what its file gave of it (GAVE_* added up), then the columns of `stances`;
# a stance that was never retracted may leave out the retraction's columns (most do: four
# values fewer to bind a row).
STAGED_COLUMNS = ("given", *STANCE_COLUMNS)
STAGED_UNRETRACTED = tuple(column for column in STAGED_COLUMNS if column not in RETRACTION_COLUMNS)
# What the file gave of a stance, beside what every stance has: a stance is compared with one
# logged before on what its file says, not on what the import fills in (now, the importing user).
GAVE_LOGGED_AT, GAVE_LOGGED_BY, GAVE_UID = 1, 2, 4
# A stance is the one logged before the import when it has the same claim and source (the same
# roots: the records at the end of their chains of merges, so a claim merged since is the same
# claim), these the same too, and its logged_at and logged_by when the file gives them
# (docs/import-export.md). The one definition: `write_stances` and `logged` both compare so.
SAME_STANCE = ("position", "quote", "url", "said_on", "via", "note")
SAME_WHEN_GIVEN = (("logged_at", GAVE_LOGGED_AT), ("logged_by", GAVE_LOGGED_BY))
_KEY = CLAIM_COLUMNS.index("key")
_CLAIM_ID, _SOURCE_ID = STAGED_COLUMNS.index("claim_id"), STAGED_COLUMNS.index("source_id")  # in either shape

# What a staged stance is compared on with the stance logged with its uid (before the import: an
# export edited and imported again, say; or by it: the uid repeated far apart in its file): those
# columns of the stance logged, with its uid and id, for the uids of a batch at once (a JSON
# array, ?1), through the unique index on the uid.
_LOGGED_COLUMNS = ("claim_id", "source_id", *SAME_STANCE, *(column for column, _gave in SAME_WHEN_GIVEN))
_LOGGED = (f"SELECT {', '.join(_LOGGED_COLUMNS)}, retracted_at, uid, id FROM stances "
           "WHERE uid IN (SELECT value FROM json_each(?1))")
_STAGED_LOGGED = operator.itemgetter(*(STAGED_COLUMNS.index(column) for column in _LOGGED_COLUMNS))
_GIVEN_ONLY = dict(SAME_WHEN_GIVEN)
_RETRACTED_AT, _REASON = STAGED_COLUMNS.index("retracted_at"), STAGED_COLUMNS.index("retraction_reason")
_NOTE, _LOGGED_AT = STAGED_COLUMNS.index("note"), STAGED_COLUMNS.index("logged_at")  # in either shape
# A claim and a source as a file names them, for saying how two stances differ.
_NAMED = {"claim_id": ("claim", "claims", "key"), "source_id": ("source", "sources", "name")}


def _pending_insert(table: str, columns: tuple[str, ...]) -> str:
    """An insert of a record (the values of `columns`) that its file says was merged into another:
    given the id after the highest (?1) and pointing at itself until `BulkLoad.merge` points it
    where the file says, so that it never holds its name or key, which may be that other's."""
    values = ", ".join(f"?{i}" for i in range(2, len(columns) + 2))
    return (f"INSERT INTO {table} (id, merged_into, {', '.join(columns)}) VALUES (?1, ?1, {values})")


_PENDING_INSERT = {"sources": _pending_insert("sources", SOURCE_COLUMNS),
                   "claims": _pending_insert("claims", CLAIM_COLUMNS)}


@attrs.frozen
class _Inserts:
    """The statements that write staged stances given as the values of `staged` (?1, ?2, …)."""

    plain: str  # every stance as it is: into a table that was empty (a collision is an error)
    # a stance unless one with its uid is there, or one logged before the import that says the same
    # (a stance id up to the one given after the values)
    new_since: str

    @classmethod
    def of(cls, staged: tuple[str, ...]) -> "_Inserts":
        param = {column: f"?{i}" for i, column in enumerate(staged, 1)}
        columns = [column for column in staged if column != "given"]
        into = f"INSERT INTO stances ({', '.join(columns)}) "
        values = ", ".join(param[column] for column in columns)
        new = f"{into}SELECT {values} WHERE NOT EXISTS (SELECT 1 FROM stances AS u WHERE u.uid = {param['uid']})"
        same = " AND ".join([*(f"+o.{column} IS {param[column]}" for column in SAME_STANCE),
                             *(f"(NOT ({param['given']} & {gave}) OR o.{column} IS {param[column]})"
                               for column, gave in SAME_WHEN_GIVEN)])
        # After the values: the last stance id logged before the import, then the ids of every claim
        # and every source with the root of the stance's (`BulkLoad.members`), as JSON arrays.
        # +o.id, +o.position…: found through the claim and source (their index), not by scanning the
        # ids up to the last one or every stance of a position
        last, claims, sources = len(staged) + 1, len(staged) + 2, len(staged) + 3
        since = (f" AND NOT EXISTS (SELECT 1 FROM stances AS o WHERE o.claim_id IN (SELECT value FROM json_each(?{claims})) "
                 f"AND o.source_id IN (SELECT value FROM json_each(?{sources})) AND +o.id <= ?{last} AND {same})")
        return cls(f"{into}VALUES ({values})", new + since)


# By the number of values a staged stance has: with its retraction's columns, or without.
_INSERTS = {len(staged): _Inserts.of(staged) for staged in (STAGED_COLUMNS, STAGED_UNRETRACTED)}


@contextlib.contextmanager
def _checked_already(conn: sqlite3.Connection) -> Iterator[None]:
    """The `stances` table's CHECK (its position one of models.POSITIONS) not evaluated, for
    rows the importer has checked by the models' own rules, which that CHECK is generated
    from: an `executemany` would build the list of positions again for every row. Back on
    as soon as the rows are in."""
    conn.execute("PRAGMA ignore_check_constraints = ON")
    try:
        yield
    finally:
        conn.execute("PRAGMA ignore_check_constraints = OFF")


@attrs.frozen
class Named:
    """A claim (by its key) or a source (by its name) as an edit's differences give it; with its
    uid when the other record of the difference has the same name."""

    name: str
    id: int
    uid: Optional[str] = None


@attrs.frozen
class Edited:
    """A staged stance whose file gave it the uid of another stance that says something else: one
    logged before the import, or one earlier in its file (written by the import, or staged)."""

    index: int  # of the staged stance, among those given
    uid: str
    stance_id: Optional[int]  # the stance logged with this uid; None: the staged stance `earlier`
    # (field, as logged, as staged), fields as a stance record names them: its claim by key, its
    # source by name (`Named`); "retracted": the reason it is retracted for here, and not there
    differences: list[tuple[str, Any, Any]]
    before: bool = True  # that stance was logged before the import (else it is earlier in the file)
    earlier: Optional[int] = None  # that stance staged in the same batch: its index


@attrs.frozen
class Logged:
    """What of a batch of staged stances has the uid of a stance logged already (`BulkLoad.logged`)."""

    rows: list[tuple]  # the others, to write
    edited: list[Edited]  # of those logged: the ones whose file gave the uid and that say something else
    present: int  # how many were logged, edited or not


@attrs.frozen
class Written:
    """What became of a batch of staged stances."""

    inserted: int
    skipped: int  # the same as a stance logged before: left out


def _renewed(row: tuple) -> tuple:
    """A staged stance whose uid its content gave, which says otherwise than the stance with that
    uid (its note, say): with the uid of another stance, derived from that uid and its note as its
    first uid is from its content, so that one file imported on two desks, in one go or in two,
    gives the same uids."""
    at = row[_LOGGED_AT] if row[0] & GAVE_LOGGED_AT else None
    return (*row[:-2], uids.derived("stance", row[-2], row[_NOTE], at=at), row[-1])


class BulkLoad:
    """One import's writes, in the transaction `Store.bulk_load` holds open."""

    def __init__(self, store: "Store"):
        self.store = store
        conn = self.conn = store.conn
        self.stances_before = conn.execute("SELECT max(id) FROM stances").fetchone()[0] or 0
        self.claims_before = conn.execute("SELECT max(id) FROM claims").fetchone()[0] or 0
        self.claim_limit = self.claims_before  # the highest claim id so far: 'did you mean' offers only those
        self.now = utc_now()  # when the records of this load were made here
        self.user = store.user  # who made them
        self._upkeep = None if self.stances_before else Upkeep.suspend(conn)
        self._deduplicate = bool(self.stances_before)  # stances there before: leave out those logged again
        self.pending: set[tuple[str, int]] = set()  # (table, id) of records added merged, not yet pointed
        # (table, id) -> its root, and the ids with that root as a JSON array: what a staged stance's
        # claim and source are compared by. Kept until a merge (`merge`) changes a pointer.
        self._roots: dict[tuple[str, int], int] = {}
        self._members: dict[tuple[str, int], str] = {}

    def add_source(self, source: Source, merged: bool = False) -> int:
        """Insert a source with its uid (its name not taken: see Store.find_source, unless
        `merged`: its file says it was merged into another; see `merge`); returns its id."""
        values = source_row(source, self.now, self.user)
        if merged:
            return self._add_pending("sources", values)
        return self.conn.execute(SOURCE_INSERT, values).lastrowid

    def add_claim(self, row: tuple, uid: str, desk: Optional[str], merged: bool = False,
                  rekeyed_from: Optional[str] = None) -> Optional[int]:
        """Insert a claim given as `claim_row` gives it, with its uid (and the key its desk gave it,
        if a merge re-keyed it); returns its id, or None when its uid is taken, or its key (unless
        `merged`: its file says it was merged into another; see `merge`)."""
        # Asked first, not left to ON CONFLICT: the append-only triggers refuse any insert that
        # collides with a record, before a conflict clause could skip it.
        if self.conn.execute("SELECT 1 FROM claims WHERE uid = ?1 OR (NOT ?3 AND key = ?2 AND merged_into IS NULL)",
                             [uid, row[_KEY], merged]).fetchone():
            return None
        values = claim_insert_row(row, uid, desk, self.now, self.user)
        self.claim_limit = self._add_pending("claims", values) if merged else \
            self.conn.execute(CLAIM_INSERT, values).lastrowid
        if rekeyed_from is not None:
            self.conn.execute("UPDATE claims SET rekeyed_from = ? WHERE id = ?", [rekeyed_from, self.claim_limit])
        return self.claim_limit

    def _add_pending(self, table: str, values: tuple) -> int:
        record_id = self.conn.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0]
        self.conn.execute(_PENDING_INSERT[table], [record_id, *values])
        self.pending.add((table, record_id))
        return record_id

    def write_stances(self, rows: list[tuple], checked: bool = False) -> Optional[Written]:
        """Store stances given as the values of STAGED_COLUMNS (or STAGED_UNRETRACTED), in order,
        leaving out those logged before the import (`_Inserts.new_since`). Into a table that was
        empty, each run of one shape goes in as it is; None, with nothing written, when a stance
        collides by uid with another (its uid repeated in its file): `logged` then says which
        stance each is, and the rows it gives are written `checked` (a collision left is a fault)."""
        conn = self.conn
        inserted = 0
        with _checked_already(conn):
            if not self._deduplicate:
                conn.execute("SAVEPOINT verity_stances")
            try:
                # Each run of stances of one shape by one statement, in order (ids are logging order).
                for width, group in itertools.groupby(rows, key=len):
                    inserts, run = _INSERTS[width], list(group)
                    if self._deduplicate:
                        inserted += conn.executemany(inserts.new_since, [
                            (*row, self.stances_before, self.members("claims", row[_CLAIM_ID]),
                             self.members("sources", row[_SOURCE_ID])) for row in run]).rowcount
                    else:
                        inserted += conn.executemany(inserts.plain, run).rowcount
            except sqlite3.IntegrityError:
                if self._deduplicate or checked:
                    raise
                conn.execute("ROLLBACK TO verity_stances")
                conn.execute("RELEASE verity_stances")
                return None
            if not self._deduplicate:
                conn.execute("RELEASE verity_stances")
        if self._upkeep is not None:
            self._upkeep.feed(conn)
        return Written(inserted, len(rows) - inserted)

    def root(self, table: str, record_id: int) -> int:
        """The root of a source or claim (`Store.root_id`): a stance on it is a stance on its root."""
        found = self._roots.get((table, record_id))
        if found is None:
            found = self._roots[(table, record_id)] = self.store.root_id(table, record_id)
        return found

    def members(self, table: str, record_id: int) -> str:
        """The ids of the records with the root of this one (itself among them), as a JSON array."""
        found = self._members.get((table, record_id))
        if found is None:
            found = self._members[(table, record_id)] = json.dumps(
                self.store.member_ids(table, self.root(table, record_id)))
        return found

    def logged(self, rows: list[tuple]) -> "Logged":
        """Which stances of `rows` (as `write_stances` takes them) have the uid of a stance logged
        already, as their file gave it or as their content gives it: one logged before the import,
        one this import wrote (the uid repeated far apart in the file), or one staged before it in
        `rows`. Found for the whole batch at once; each is compared with that stance as
        `write_stances` finds a stance logged already (`_said_otherwise`), in file order. One that
        says the same is left out of what is written.

        One whose file gave the uid and says something else is an edit: stances are never edited,
        so an import that would edit one is refused (docs/import-export.md), and a file that gives
        one uid to two stances that differ is refused alike. One whose uid its content gave and
        says something else is another stance (the uid its content gives leaves out its note: a
        corrected note, say): it is written with the uid `_renewed` gives it, itself compared so."""
        first = {rows[index][-2]: index for index in range(len(rows) - 1, -1, -1)}  # a uid -> its first stance
        found = {logged[-2]: logged for logged in self.conn.execute(_LOGGED, [json.dumps(list(first))])}
        if not found and len(first) == len(rows):
            return Logged(rows, [], 0)  # nothing logged with these uids, none repeated (most batches)
        # a uid -> the staged stance (its index) that will be written with it
        kept = {uid: index for uid, index in first.items() if uid not in found}
        edited, present, renewed = [], set(), {}
        for index in [index for index, row in enumerate(rows) if row[-2] in found or first[row[-2]] != index]:
            row = rows[index]
            while True:
                uid = row[-2]
                logged = found.get(uid)
                earlier = kept.get(uid) if logged is None else None
                if logged is None:
                    if earlier is None:
                        kept[uid] = index
                        break
                    earlier_row = renewed.get(earlier, rows[earlier])
                    logged = (*_STAGED_LOGGED(earlier_row),
                              earlier_row[_RETRACTED_AT] if len(earlier_row) == len(STAGED_COLUMNS) else None,
                              uid, None)
                differences = self._said_otherwise(row, logged)
                if differences is None:
                    present.add(index)
                    break
                if row[0] & GAVE_UID:
                    present.add(index)
                    stance_id = logged[-1]
                    edited.append(Edited(index, uid, stance_id, differences,
                                         before=stance_id is not None and stance_id <= self.stances_before,
                                         earlier=earlier))
                    break
                row = renewed[index] = _renewed(row)
                if row[-2] not in found and row[-2] not in kept:  # a uid no stance of the batch was looked up by
                    found.update((logged[-2], logged) for logged in self.conn.execute(
                        _LOGGED, [json.dumps([row[-2]])]))
        if not present and not renewed:
            return Logged(rows, edited, 0)
        return Logged([renewed.get(index, row) for index, row in enumerate(rows) if index not in present],
                      edited, len(present))

    def _said_otherwise(self, row: tuple, logged: tuple) -> Optional[list[tuple[str, Any, Any]]]:
        """None when the staged stance `row` is the stance `logged` with its uid (a row of _LOGGED)
        by the one rule (the same claim and source, compared by their roots, the columns of
        SAME_STANCE and, as the file gives them, of SAME_WHEN_GIVEN; see `_same_record`); else how it
        differs. A retraction `logged` lacks is a difference; one `row` lacks is not (its file is
        older than the retraction). Whose uid its content gave, a retraction alone makes no other
        stance: it is not of SAME_STANCE."""
        if (_STAGED_LOGGED(row) == logged[:len(_LOGGED_COLUMNS)]
                and (len(row) < len(STAGED_COLUMNS) or row[_RETRACTED_AT] is None or logged[-3] is not None)):
            return None  # the same in every column: the same stance (most are)
        differences = self._differences(row, logged)
        if row[0] & GAVE_UID:
            return differences or None
        return differences if any(field != "retracted" for field, _there, _here in differences) else None

    def _differences(self, row: tuple, logged: tuple) -> list[tuple[str, Any, Any]]:
        """How the staged stance `row` differs from the stance `logged` with its uid (a row of _LOGGED)."""
        differences = []
        for column, there, here in zip(_LOGGED_COLUMNS, logged, _STAGED_LOGGED(row)):
            if there == here or (column in _GIVEN_ONLY and not row[0] & _GIVEN_ONLY[column]):
                continue
            if column in _NAMED:
                field, table, name = _NAMED[column]
                if self._same_record(table, name, here, there):
                    continue
                column, there, here = field, self._named(table, name, there), self._named(table, name, here)
                if there.name == here.name:  # two records of one name: say which
                    there, here = attrs.evolve(there, uid=self._name(table, "uid", there.id)), \
                        attrs.evolve(here, uid=self._name(table, "uid", here.id))
            differences.append((column, there, here))
        if len(row) == len(STAGED_COLUMNS) and row[_RETRACTED_AT] is not None and logged[-3] is None:
            differences.append(("retracted", None, row[_REASON]))
        return differences

    def _same_record(self, table: str, name: str, here: int, there: int) -> bool:
        """Whether a staged stance's claim or source (`here`) is the logged stance's (`there`): the
        same root, as `write_stances` compares them; or the root that the logged one's name or key
        finds (`Store.find_claim`, `find_source`). That second is for the file's word, not the
        content's: a file names a merged record by its own name, which a record added since may
        hold, so a stance that has the logged one's uid and that name is no edit for it."""
        root = self.root(table, here)
        if root == self.root(table, there):
            return True
        named = self._name(table, name, there)
        found = self.store.find_claim(named) if table == "claims" else self.store.find_source(named)
        return found is not None and found.id == root

    def _name(self, table: str, name: str, record_id: int) -> str:
        """A claim's key or a source's name (`name`: the column; or its uid), by its id."""
        return self.conn.execute(f"SELECT {name} FROM {table} WHERE id = ?", [record_id]).fetchone()[0]

    def _named(self, table: str, name: str, record_id: int) -> "Named":
        return Named(self._name(table, name, record_id), record_id)


    # -- what a version-2 document adds -------------------------------------------------

    def add_question(self, question: Question) -> int:
        """The id of the question with this key, added if it is not there."""
        row = self.conn.execute("SELECT id FROM questions WHERE key = ?", [question.key]).fetchone()
        if row:
            return row[0]
        return self.conn.execute(
            "INSERT INTO questions (uid, key, text, created_at, created_by, desk) VALUES (?, ?, ?, ?, ?, ?)",
            [question.uid or uids.of_question(question.key), question.key, question.text, self.now,
             self.user, question.desk]).lastrowid

    def question_id(self, key: str) -> Optional[int]:
        """The question of this key (the older one, for one asked on two desks: `Store.same_question`)."""
        row = self.conn.execute("SELECT id FROM questions WHERE key = ?", [key]).fetchone()
        return self.store.same_question(row[0]) if row else None

    def link_question(self, claim_id: int, question_id: int) -> None:
        self.conn.execute("UPDATE claims SET question_id = ? WHERE id = ? AND question_id IS NULL",
                          [question_id, claim_id])

    def add_aliases(self, table: str, record_id: int, aliases: Iterable[str]) -> None:
        """Give a source (table "sources") or claim ("claims") these aliases, those it lacks."""
        column = {"sources": "source_id", "claims": "claim_id"}[table]
        uid = self.conn.execute(f"SELECT uid FROM {table} WHERE id = ?", [record_id]).fetchone()[0]
        for alias in aliases:
            folded = fold(alias) if table == "sources" else alias
            if self.conn.execute(f"SELECT 1 FROM aliases WHERE folded = ? AND {column} = ?",
                                 [folded, record_id]).fetchone():
                continue
            self.conn.execute(
                f"INSERT INTO aliases (uid, {column}, alias, folded, added_at, added_by) VALUES (?, ?, ?, ?, ?, ?)",
                [uids.of_alias(uid, alias), record_id, alias, folded, self.now, self.user])

    def oldest_alike(self, table: str, record_id: int, name: str) -> Optional[int]:
        """The id of the oldest record (by uid) but `record_id` that has this name (a source's, as
        names are matched) or key, and is one with it by name as a desk merge groups records
        (`rows.ALIKE`: sources of one folded name; claims of one key, as their desks gave it, and text):
        the one a merge made by names alone points it at (verity.store.resolve). Else None."""
        named = ("folded", fold(name)) if table == "sources" else ("key", name)
        row = self.conn.execute(
            f"SELECT id FROM {table} WHERE {named[0]} = ?2 AND id != ?1 "
            f"AND ({alike(table)}) = (SELECT {alike(table)} FROM {table} WHERE id = ?1) ORDER BY uid LIMIT 1",
            [record_id, named[1]]).fetchone()
        return row[0] if row else None

    def merge(self, table: str, record_id: int, into_id: Optional[int]) -> bool:
        """Point a record at the one it was merged into, as the file says, unless it points at
        another already; `into_id` None: at none (a record its file says was merged into itself
        is not). False, with nothing changed, when `into_id` is the record or its chain of
        merges leads back to it: a record is never merged into itself."""
        if into_id is not None and self.store.root_id(table, into_id) == record_id:
            return False
        pending = (table, record_id) in self.pending
        self.pending.discard((table, record_id))
        self._roots.clear()
        self._members.clear()
        self.conn.execute(f"UPDATE {table} SET merged_into = ? WHERE id = ? AND merged_into IS ?",
                          [into_id, record_id, record_id if pending else None])
        return True

    def add_rulings(self, claim_id: int, rulings: Iterable[Ruling]) -> None:
        """Add to a claim's ruling history the rulings it lacks (by uid); its ruling is then its latest."""
        key = self.conn.execute("SELECT key FROM claims WHERE id = ?", [claim_id]).fetchone()[0]
        for ruling in rulings:
            uid = ruling.uid or uids.of_ruling(key, ruling.ruling, ruling.explanation, ruling.ruled_at,
                                               ruling.ruled_by)
            self.conn.execute(  # not ON CONFLICT: the append-only triggers refuse a colliding insert first
                "INSERT INTO rulings (uid, claim_id, ruling, explanation, ruled_at, ruled_by, desk) "
                "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE NOT EXISTS (SELECT 1 FROM rulings WHERE uid = ?1)",
                [uid, claim_id, ruling.ruling, ruling.explanation, ruling.ruled_at, ruling.ruled_by, ruling.desk])
        self.conn.execute(SET_LATEST_RULING + " WHERE id = ?", [claim_id])

    def record_id(self, record_type: str, uid: str) -> Optional[int]:
        """The id of the source, claim, stance or question with this uid, or None."""
        table = RECORD_TABLES[record_type]
        row = self.conn.execute(f"SELECT id FROM {table} WHERE uid = ?", [uid]).fetchone()
        return row[0] if row else None

    def add_change(self, change: Change, record_id: int) -> bool:
        """Add a change record unless one with its uid is there; whether it was added."""
        uid = change.uid or uids.of_change(change.record_uid, change.action, change.field, change.old, change.new,
                                           change.at, change.by)
        return self.conn.execute(
            "INSERT INTO changes (uid, at, by, desk, action, record_type, record_id, record_uid, field, old, new, "
            "reason) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12 "
            "WHERE NOT EXISTS (SELECT 1 FROM changes WHERE uid = ?1)",
            [uid, change.at, change.by, change.desk, change.action, change.record_type, record_id, change.record_uid,
             change.field, change.old, change.new, change.reason]).rowcount > 0

    def names(self, table: str, limit: int, upto: Optional[int] = None) -> list[str]:
        """Every source name or claim key (with an id up to `upto`), for 'did you mean';
        [] when there are more than `limit`."""
        column = {"sources": "name", "claims": "key"}[table]
        where = "" if upto is None else f" WHERE id <= {int(upto)}"
        names = [row[0] for row in self.conn.execute(f"SELECT {column} FROM {table}{where} LIMIT ?", [limit + 1])]
        return names if len(names) <= limit else []

    def finish(self) -> None:
        """Build what was suspended and store the reconciliation of every claim the load touched
        (`Store.bulk_load` calls it as a load ends without an error)."""
        conn = self.conn
        if self._upkeep is not None:
            self._upkeep.resume(conn)
            self.store.refresh_reconciliations()  # every stance is new: one sorted pass over them all
            return
        touched = conn.execute("SELECT id FROM claims WHERE id > ? UNION SELECT claim_id FROM stances WHERE id > ?",
                               [self.claims_before, self.stances_before])
        self.store.refresh_reconciliations([claim_id for (claim_id,) in touched])


class Bulk:
    """The part of `Store` that loads records in bulk."""

    conn: sqlite3.Connection
    path: str

    @contextlib.contextmanager
    def bulk_load(self, *, new_file: bool = False) -> Iterator[BulkLoad]:
        """One bulk import's writes, in one transaction: all of them, or none (an exception
        inside rolls it back). On success the reconciliation of every claim touched is stored.

        `new_file`: the database was created for this load and nobody else uses it yet. It is
        then filled with a rollback journal rather than the write-ahead log (new pages are
        written once, not twice) and is a WAL database again afterwards; other connections
        cannot read it until the load ends. If the load fails, the store is closed and the
        file deleted.
        """
        new_file = new_file and not self.conn.in_transaction  # not inside a transaction of the caller's
        try:
            with self._journal_for(new_file), self._without_foreign_keys(), self.transaction():
                load = BulkLoad(self)
                yield load
                load.finish()
        except BaseException:
            if new_file:
                self._delete_file()
            raise

    @contextlib.contextmanager
    def _journal_for(self, new_file: bool) -> Iterator[None]:
        """A rollback journal for a new file, then WAL again. If another connection has the
        file open already, SQLite refuses to leave WAL, and the load runs in WAL."""
        mode = "wal"
        if new_file:
            self.conn.execute("PRAGMA busy_timeout = 0")  # no waiting out the busy timeout to find that out
            try:
                mode = self.conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
            except sqlite3.OperationalError:  # locked: someone else has it open
                pass
            finally:
                self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:
            yield
        finally:
            if mode != "wal":
                # If someone opened it meanwhile and holds it, the next Store.open switches it.
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("PRAGMA journal_mode = WAL")

    @contextlib.contextmanager
    def _without_foreign_keys(self) -> Iterator[None]:
        """Foreign-key checks off (outside any transaction; restored after): a bulk load
        inserts only ids it has just found or made in the same transaction. (SQLite ignores
        the pragma inside a transaction: then nothing changes.)"""
        if self.conn.in_transaction:
            yield
            return
        self.conn.execute("PRAGMA foreign_keys = OFF")
        try:
            yield
        finally:
            self.conn.execute("PRAGMA foreign_keys = ON")

    def discard_new_file(self) -> None:
        """Close the store and delete its file: a database made for a write that failed."""
        self._delete_file()

    def _delete_file(self) -> None:
        """Close the store and delete its file, with its journal or log (a failed load into a new file)."""
        self.conn.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(OSError):
                Path(self.path + suffix).unlink()
