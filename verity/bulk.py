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
from itertools import chain
from typing import Optional, Sequence

import orjson

from .store import STANCE_COLUMNS, Store


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
ROWS_PER_STATEMENT = 32_766 // len(BOUND_COLUMNS)  # SQLite allows 32,766 values since 3.32


def insert_values(count: int) -> str:
    """INSERT of `count` stances, each given as its BOUND_COLUMNS' values in turn."""
    row = "(" + ", ".join("?" * len(BOUND_COLUMNS)) + ")"
    return f"INSERT INTO stances ({', '.join(BOUND_COLUMNS)}) VALUES " + ", ".join([row] * count)


def rows_per_statement(conn: sqlite3.Connection) -> int:
    """ROWS_PER_STATEMENT, or as many as the 999 values of an SQLite before 3.32 allow."""
    values = ROWS_PER_STATEMENT * len(BOUND_COLUMNS)
    try:
        conn.execute(f"SELECT ?{values}", [None] * values).fetchone()
    except sqlite3.OperationalError:  # too many SQL variables
        return 999 // len(BOUND_COLUMNS)
    return ROWS_PER_STATEMENT


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

    def __init__(self, store: Store, after_id: int = 0, feeds: Sequence[str] = (), bound: bool = False):
        self.store = store
        self.conn = store.conn
        self.after_id = self.last_id = after_id
        self.feeds = list(feeds)
        self.bound = bound  # bind values (INSERT … VALUES) rather than JSON: see the module's notes
        if bound:
            self.per_statement = rows_per_statement(self.conn)
            self.values_sql = insert_values(self.per_statement)
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

    def write_claims(self, rows: list[tuple]) -> None:
        """Queue claims to be inserted, each (id, *models.CLAIM_FIELDS). Waits while the queue is full."""
        self._raise()
        self.queue.put((self.store._write_claim_rows, (rows,)))

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
