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
import threading
from typing import Optional

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


class BackgroundWriter:
    """Inserts batches of stance rows on `conn` from a thread of its own."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.queue: queue.Queue[Optional[bytes]] = queue.Queue(maxsize=QUEUED_BATCHES)
        self.error: Optional[BaseException] = None
        self.thread = threading.Thread(target=self._run, name="verity-stance-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            batch = self.queue.get()
            try:
                if batch is None:
                    return
                if self.error is None:
                    self.conn.execute(INSERT_FROM_JSON, [batch])
            except BaseException as exc:  # raised on the importer's side, which rolls back
                self.error = exc
            finally:
                self.queue.task_done()

    def write(self, rows: list[tuple]) -> None:
        """Queue rows (in COLUMNS order) to be inserted; waits while the queue is full."""
        self._raise()
        try:
            batch = orjson.dumps(rows)
        except TypeError:  # text Python holds but JSON cannot (a lone surrogate)
            batch = None
        if batch is None or b"\\u0000" in batch:  # ... or a NUL that json_extract would cut at: insert directly
            self.wait()
            self.conn.executemany(
                f"INSERT INTO stances ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", rows)
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
        if raising:
            self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error
