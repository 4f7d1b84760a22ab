"""Writing an import's stances on a second thread while the first reads and checks the next ones.

An import has two kinds of work of about the same size: Python reading and
checking records, and SQLite storing rows. Python runs one thread at a time but
lets go of its lock (the GIL) while SQLite runs a statement, so the two can run at
once on two cores — if SQLite gets long statements. `executemany` runs one
statement per row and takes the lock back after each, so the threads only take
turns. Here a batch of rows goes to SQLite as one statement instead: the rows as
one JSON array, unpacked by SQLite's `json_each`, while the reading thread goes on.

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
from typing import Optional, Sequence

import orjson

COLUMNS = ("claim_id", "source_id", "position", "quote", "url", "said_on", "via", "note",
           "logged_at", "logged_by", "retracted_at", "retraction_reason", "retracted_by")
INSERT_FROM_JSON = (
    f"INSERT INTO stances ({', '.join(COLUMNS)}) SELECT "
    + ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(COLUMNS)))
    + " FROM json_each(CAST(? AS TEXT))"  # given as UTF-8 bytes: no second copy as str
)
QUEUED_BATCHES = 2  # how far reading may run ahead of writing: bounds memory


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


class BackgroundWriter:
    """Inserts batches of stance rows on `conn` from a thread of its own.

    `feeds` are statements to run after each batch with the highest stance id
    before it (`Upkeep.feeds`: the full-text index fed in bulk, on this thread
    too). `after_id` is the highest stance id before the first batch.

    While it runs, Python is asked to hand its lock over every 0.5 ms rather
    than every 5 ms: each time a statement ends, the writer waits for the
    reader to let go, and at 5 ms a wait cost a fifth of a batch.
    """

    def __init__(self, conn: sqlite3.Connection, after_id: int = 0, feeds: Sequence[str] = ()):
        self.conn = conn
        self.after_id = after_id
        self.feeds = list(feeds)
        self.queue: queue.Queue[Optional[bytes]] = queue.Queue(maxsize=QUEUED_BATCHES)
        self.error: Optional[BaseException] = None
        self.switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(SWITCH_INTERVAL, self.switch_interval))
        self.thread = threading.Thread(target=self._run, name="verity-stance-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            batch = self.queue.get()
            try:
                if batch is None:
                    return
                if self.error is None:
                    self._insert(batch)
            except BaseException as exc:  # raised on the importer's side, which rolls back
                self.error = exc
            finally:
                self.queue.task_done()

    def _insert(self, batch: bytes | list[tuple]) -> None:
        if isinstance(batch, bytes):
            self.conn.execute(INSERT_FROM_JSON, [batch])
        else:
            self.conn.executemany(
                f"INSERT INTO stances ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", batch)
        if self.feeds:
            for sql in self.feeds:
                self.conn.execute(sql, [self.after_id])
            self.after_id = self.conn.execute("SELECT max(rowid) FROM stances").fetchone()[0]

    def write(self, rows: list[tuple]) -> None:
        """Queue rows (in COLUMNS order) to be inserted; waits while the queue is full."""
        self._raise()
        try:
            batch = orjson.dumps(rows)
        except TypeError:  # text Python holds but JSON cannot (a lone surrogate)
            batch = None
        if batch is None or b"\\u0000" in batch:  # ... or a NUL that json_extract would cut at
            self.wait()
            self._insert(rows)  # the plain way, here
            return
        self.queue.put(batch)

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
        if raising:
            self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error
