"""Writing an import's stances on a second thread while the first reads and checks the next ones.

An import has two kinds of work of about the same size: Python reading and
checking records, and SQLite storing rows. Python runs one thread at a time but
lets go of its lock (the GIL) while SQLite runs a statement, so the two can run at
once on two cores — if SQLite gets long statements. `executemany` runs one
statement per row and takes the lock back after each, so the threads only take
turns. Here a batch of rows goes to SQLite as one statement instead: the rows as
one JSON array, unpacked by SQLite's `json_each`, while the reading thread goes on.

When the records are read and checked in a second process (verity.readahead),
this process has little Python work left, and the writer binds the values
instead: `INSERT … VALUES (…), (…), …` of up to 2,340 rows a statement. Binding
holds the lock, but SQLite then does far less than unpacking JSON (1m stances:
3.5 s of inserting instead of 5.7 s). With the reading thread in this process
the same binding makes an import slower: the two threads then take turns.

Into a database with no stances, the stances from such a file name their claim
by key, and the statement finds it (`write_keyed`: `… FROM (VALUES …) CROSS JOIN
claims ON key`), so that the importer keeps no map of a million claims' keys:
memory stays flat. That costs SQLite about 1 µs a stance (1m stances: the import
about 0.8 s longer). A stance whose claim is not found is not inserted; the
writer notes it (`findings`) and the importer reports it, in file order.

The writer shares the importer's connection and transaction. Whoever else uses
the connection waits for the writer to be idle first (`wait`); a failure on the
writer's side is raised on the importer's side at its next call, and the import
then rolls back as any failed import does.
"""

from __future__ import annotations

import queue
import sqlite3
import sys
import threading
from bisect import bisect_right
from itertools import chain
from typing import Optional, Sequence

import orjson

from .models import CLAIM_FIELDS
from .store import Store
from .store.rows import STANCE_COLUMNS


def _insert_from_json(columns: Sequence[str]) -> str:
    """INSERT of rows given as one JSON array of arrays, the values in `columns` order
    (an array may hold more values than that: the rest are not read)."""
    return (f"INSERT INTO stances ({', '.join(columns)}) SELECT "
            + ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
            + " FROM json_each(CAST(? AS TEXT))")  # given as UTF-8 bytes: no second copy as str


# Most stances are not retracted: their last three columns are null, and not reading
# them is a fifth less work for SQLite. The few that are go in with all of them.
PLAIN_INSERT = _insert_from_json(("id",) + STANCE_COLUMNS[:-3])
RETRACTED_INSERT = _insert_from_json(("id",) + STANCE_COLUMNS)
QUEUED_BATCHES = 4  # how far reading may run ahead of writing: bounds memory
# The full-text index is fed every this many stances, not after every batch: SQLite
# flushes FTS5's pending terms to a new segment when the next statement begins, and
# fewer, larger segments are less merging (1m stances: 2.5 s of feeding, 2.2 s so).
FEED_EVERY = 20_000


_PROBE = [1, None, "é 🙂 \"x\\ \t\u2028"]


def available(conn: sqlite3.Connection) -> bool:
    """Whether this SQLite can unpack JSON rows, and gives back text as it was given.

    (Not text holding a NUL character: json_extract ends the text there. A batch
    with one is written the plain way; see BackgroundWriter.write.)
    """
    try:
        row = conn.execute("SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
                           "json_extract(value, '$[2]') FROM json_each(CAST(? AS TEXT))",
                           [orjson.dumps([_PROBE])]).fetchone()
    except sqlite3.Error:
        return False
    return list(row) == _PROBE


SWITCH_INTERVAL = 0.0005  # seconds: see BackgroundWriter
BOUND_COLUMNS = ("id",) + STANCE_COLUMNS


def insert_values(count: int) -> str:
    """INSERT of `count` stances, each given as its BOUND_COLUMNS' values in turn."""
    row = "(" + ", ".join("?" * len(BOUND_COLUMNS)) + ")"
    return f"INSERT INTO stances ({', '.join(BOUND_COLUMNS)}) VALUES " + ", ".join([row] * count)


# Stances that name their claim by key, for the writer to find (see BackgroundWriter):
# the values of BOUND_COLUMNS with the claim's key and the highest claim id it may
# have (claims read before the stance) in place of claim_id.
KEYED_WIDTH = len(BOUND_COLUMNS) + 1


def insert_keyed(count: int) -> str:
    """INSERT of `count` stances given as their keyed values in turn: a stance whose claim
    is not there (or came later in the file) is not inserted."""
    row = "(" + ", ".join("?" * KEYED_WIDTH) + ")"
    rest = ", ".join(f"v.column{i}" for i in range(4, KEYED_WIDTH + 1))
    # CROSS JOIN: the rows in the order given (ids ascending), each looking its claim up.
    return (f"INSERT INTO stances ({', '.join(BOUND_COLUMNS)}) SELECT v.column1, c.id, {rest} "
            f"FROM (VALUES {', '.join([row] * count)}) AS v "
            "CROSS JOIN claims AS c ON c.key = v.column2 AND c.id <= v.column3")


# Claims given as (the id the importer gave, *CLAIM_FIELDS), inserted without that id, and
# left out if their key is taken.
KEYED_CLAIM_INSERT = (f"INSERT OR IGNORE INTO claims ({', '.join(CLAIM_FIELDS)}) "
                      f"VALUES ({', '.join(f'?{i}' for i in range(2, len(CLAIM_FIELDS) + 2))})")


def variable_limit(conn: sqlite3.Connection) -> int:
    """How many values one statement may bind: 32,766 since SQLite 3.32, 999 before."""
    try:
        conn.execute("SELECT ?32766", [None] * 32_766).fetchone()
    except sqlite3.OperationalError:  # too many SQL variables
        return 999
    return 32_766


# Python's sqlite3 binds None by looking for an adapter for it and failing, which
# costs three times what binding a number does (1.65 µs a row of 14 values, 0.82 µs
# with this). It gives None back, which is bound as NULL, as before.
_NONE_ADAPTER = (type(None), sqlite3.PrepareProtocol)


class BackgroundWriter:
    """Inserts batches of stance rows on the store's connection from a thread of its own.

    `feeds` are statements to run with the highest stance id already fed, every
    FEED_EVERY stances and at the end (`Upkeep.feeds`: the full-text index fed in
    bulk, on this thread too). `after_id` is the highest stance id before the first batch.

    While it runs, Python is asked to hand its lock over every 0.5 ms rather
    than every 5 ms: each time a statement ends, the writer waits for the
    reader to let go, and at 5 ms a wait cost a fifth of a batch.
    """

    def __init__(self, store: Store, after_id: int = 0, feeds: Sequence[str] = (), bound: bool = False,
                 claims_before: int = 0):
        self.store = store
        self.conn = store.conn
        self.after_id = self.last_id = after_id
        self.feeds = list(feeds)
        self.bound = bound  # bind values (INSERT … VALUES) rather than JSON: see the module's notes
        # What `write_keyed` and `write_claims` with lines found: (line, "stance", key, highest
        # claim id) for a stance whose claim is not there, (line, "claim", row) for a claim
        # whose key is taken by a different one. Appended here, taken by the importer.
        self.findings: list[tuple] = []
        self.claims_before = claims_before  # claim ids up to this one were there before the import
        # The ids the importer gave claims that were not inserted, their keys being taken. Later
        # claims take the ids that follow, as in an import that knew it (no gaps), and
        # the highest claim id a stance may have is lowered to match.
        self.skipped: list[int] = []
        self.claims_present = 0  # claims not inserted because the same one was there before the import
        if bound:
            limit = variable_limit(self.conn)
            self.per_statement = limit // len(BOUND_COLUMNS)
            self.values_sql = insert_values(self.per_statement)
            self.keyed_per_statement = limit // KEYED_WIDTH
            self.keyed_sql = insert_keyed(self.keyed_per_statement)
            self.adapted = _NONE_ADAPTER not in sqlite3.adapters
            if self.adapted:
                sqlite3.adapters[_NONE_ADAPTER] = {}.get  # {}.get(None) is None: a call to C, no more
        self.queue: queue.Queue[Optional[tuple]] = queue.Queue(maxsize=QUEUED_BATCHES)
        self.error: Optional[BaseException] = None
        self.switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(SWITCH_INTERVAL, self.switch_interval))
        self.thread = threading.Thread(target=self._run, name="verity-stance-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            job = self.queue.get()
            try:
                if job is None:
                    if self.error is None:
                        self._feed()
                    return
                if self.error is None:
                    work, args = job
                    work(*args)
            except BaseException as exc:  # raised on the importer's side, which rolls back
                self.error = exc
            finally:
                self.queue.task_done()

    def _insert(self, plain: "bytes | list[tuple]", retracted: "bytes | list[tuple]", last_id: int) -> None:
        for rows, sql in ((plain, PLAIN_INSERT), (retracted, RETRACTED_INSERT)):
            if isinstance(rows, bytes):
                self.conn.execute(sql, [rows])
            elif self.bound:
                self._bind(rows)
            elif rows:
                self.store._write_stances(rows)
        self.last_id = last_id
        if last_id - self.after_id >= FEED_EVERY:
            self._feed()

    def _bind(self, rows: list[tuple]) -> None:
        per = self.per_statement
        for start in range(0, len(rows), per):
            part = rows[start:start + per]
            sql = self.values_sql if len(part) == per else insert_values(len(part))
            self.conn.execute(sql, list(chain.from_iterable(part)))

    def _insert_keyed(self, rows: list[tuple], lines: list[int], last_id: int) -> None:
        if self.skipped:
            skipped = self.skipped
            rows = [(row[0], row[1], row[2] - bisect_right(skipped, row[2]), *row[3:]) for row in rows]
        per = self.keyed_per_statement
        for start in range(0, len(rows), per):
            part = rows[start:start + per]
            sql = self.keyed_sql if len(part) == per else insert_keyed(len(part))
            inserted = self.conn.execute(sql, list(chain.from_iterable(part))).rowcount
            if inserted < len(part):  # some claims were not found: which (the import will fail)
                find = "SELECT 1 FROM claims WHERE key = ? AND id <= ?"
                for line, row in zip(lines[start:start + per], part):
                    if self.conn.execute(find, row[1:3]).fetchone() is None:
                        self.findings.append((line, "stance", row[1], row[2]))
        self.last_id = last_id
        if last_id - self.after_id >= FEED_EVERY:
            self._feed()

    def _insert_claims(self, rows: list[tuple], lines: Optional[list[int]]) -> None:
        if lines is None:
            self.store._write_claim_rows(rows)
            return
        # Given ids in order, with none left out, SQLite gives the ones the importer
        # gave, less one for each claim left out before.
        inserted = self.conn.executemany(KEYED_CLAIM_INSERT, rows).rowcount
        if inserted == len(rows):
            return
        # Some keys were taken (by a claim there before, or earlier in the file): a claim just
        # like the one there is left out, any other is the importer's to report. The ones
        # inserted are the highest ids, in order.
        stored = (key for (key,) in self.conn.execute(
            "SELECT key FROM claims WHERE id > (SELECT max(id) FROM claims) - ? ORDER BY id", [inserted]))
        following = next(stored, None)
        select = f"SELECT id, {', '.join(CLAIM_FIELDS)} FROM claims WHERE key = ?"
        for line, row in zip(lines, rows):
            if row[1] == following:
                following = next(stored, None)
                continue
            self.skipped.append(row[0])
            there = self.conn.execute(select, [row[1]]).fetchone()
            if there is not None and there[1:] == row[1:]:
                self.claims_present += there[0] <= self.claims_before
            else:
                self.findings.append((line, "claim", row))

    def _feed(self) -> None:
        """Feed the stances written since the last feed to the full-text index."""
        for sql in self.feeds:
            self.conn.execute(sql, [self.after_id])
        self.after_id = self.last_id

    def write(self, plain: list[tuple], retracted: list[tuple], last_id: int) -> None:
        """Queue stances to be inserted, each (id, *STANCE_COLUMNS): `plain` ones not
        retracted, the `retracted` ones; `last_id` is the highest id among them.
        Waits while the queue is full."""
        self._raise()
        if self.bound:  # bound as they are: exact for any text, NULs and lone surrogates too
            self.queue.put((self._insert, (plain, retracted, last_id)))
            return
        as_json = [self._json(rows) if rows else [] for rows in (plain, retracted)]
        if any(isinstance(rows, list) and rows for rows in as_json):
            self.wait()
            self._insert(plain, retracted, last_id)  # the plain way, here
            return
        self.queue.put((self._insert, (as_json[0], as_json[1], last_id)))

    def write_keyed(self, rows: list[tuple], lines: list[int], last_id: int) -> None:
        """Queue stances to be inserted that name their claim by key: each (id, claim key,
        highest claim id it may have, source_id, *STANCE_COLUMNS[2:]), with the line of
        each; one whose claim is not found is not inserted, and goes to `findings`."""
        self._raise()
        self.queue.put((self._insert_keyed, (rows, lines, last_id)))

    def write_claims(self, rows: list[tuple], lines: Optional[list[int]] = None) -> None:
        """Queue claims to be inserted, each (id, *models.CLAIM_FIELDS). With their `lines`
        (the importer is not keeping their ids), they get the ids SQLite gives, and a claim
        whose key is taken is not inserted: see `skipped` and `findings`. Waits while the
        queue is full."""
        self._raise()
        self.queue.put((self._insert_claims, (rows, lines)))

    def take_findings(self) -> list[tuple]:
        """What the writer found (see `findings`), once it has written all it was given."""
        self.wait()
        found, self.findings = self.findings, []
        return found

    @staticmethod
    def _json(rows: list[tuple]) -> bytes | list[tuple]:
        """The rows as one JSON array, or as they are when JSON would not carry them
        exactly: text JSON cannot hold (a lone surrogate), or a NUL, which json_extract cuts at."""
        try:
            batch = orjson.dumps(rows)
        except TypeError:
            return rows
        return rows if b"\\u0000" in batch else batch

    def wait(self) -> None:
        """Until every batch queued so far is in the database: the connection is then free."""
        self.queue.join()
        self._raise()

    def close(self, raising: bool = True) -> None:
        """Write what is queued and stop the thread. `raising=False` after a failure
        elsewhere, which is then the one to report."""
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()
            sys.setswitchinterval(self.switch_interval)
        if self.bound and self.adapted:
            sqlite3.adapters.pop(_NONE_ADAPTER, None)
            self.adapted = False
        if raising:
            self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error
