"""Reading ahead: a large file's records read and made into rows in a second process.

An import does two kinds of work that need nothing from each other until the end:
reading (parsing each line, checking each field by the models' rules, deriving
uids: `rows.prepared`) and writing (finding sources and claims, SQLite). For a
large JSONL or CSV file the reading runs in a child process while this one writes,
so the two share the machine's cores. The child runs the very generator an import
runs in-process for a small file, and sends what it yields, in batches, through a
pipe; the records arrive in file order, and the importer takes them as it would
have. Whatever the child raises is raised here; when the import stops early, the
child is stopped.

The child is forked, never spawned: a spawned child starts by running the program's
main script again, which a script that imports verity and calls `import_file` at
its top level does not expect. A fork copies whatever locks the process's other
threads hold, held for ever, so a process running other threads (an application
serving Datasette, say) reads in-process instead, as does one on a system without
fork; the result is the same.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import signal
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Callable, Iterator, Optional

from ..csvio import read_csv
from ..errors import VerityError, unreadable
from ..formats import CsvPlace, LinePlace, Place
from ..jsonl import read_jsonl
from .rows import Record, prepared

# Below this a file is read in-process: starting a child costs more than it saves. The
# benchmark's 100k-stance file is 39 MB, the Balti case's 7 kB.
MIN_BYTES = 16 << 20
BATCH = 1_000  # records a message carries
PIPE_BYTES = 1 << 20  # what the pipe may hold (Linux's limit for a user, unless raised)
READERS: dict[str, Callable[..., Iterator[Record]]] = {"jsonl": read_jsonl, "csv": read_csv}
PLACES: dict[str, Callable[[int], Place]] = {"jsonl": LinePlace, "csv": CsvPlace}  # a record's place, by its line
ROWS = frozenset({"stance-row", "claim-row"})  # the records `prepared` made into rows

Progress = Callable[[int], None]


def can_read_ahead(path: Path, fmt: str) -> bool:
    """Whether `path` is worth reading in a child process, and this process may fork one."""
    if fmt not in READERS or not forkable():
        return False
    try:
        return path.stat().st_size >= MIN_BYTES
    except OSError:
        return False  # the importer says why it cannot read it


def forkable() -> bool:
    """Whether this process can fork a child safely: it has fork, no thread but this one, and
    may have children (a daemonic process, a pool's worker, may not)."""
    return ("fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
            and not multiprocessing.current_process().daemon)


@contextlib.contextmanager
def read_ahead(path: Path, fmt: str, user: str, progress: Optional[Progress]) -> Iterator[Iterator[Record]]:
    """The prepared records of the file (`rows.prepared`), read by a child process."""
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    _widen(sending)
    child = context.Process(target=_read, args=(path, READERS[fmt], user, sending, receiving),
                            name="verity import reader", daemon=True)
    try:
        child.start()
    finally:
        sending.close()  # the child's end: once the child is gone, receiving says so (EOFError)
    try:
        yield _received(receiving, progress, PLACES[fmt])
    finally:
        receiving.close()
        if child.is_alive():
            child.terminate()
        child.join()


def _widen(connection: Connection) -> None:
    """Let the pipe hold a few batches, so the child reads on while this process writes
    (a pipe holds 64 kB unless asked; a batch is some 300 kB). Linux only; elsewhere the
    two take turns more often."""
    with contextlib.suppress(ImportError, AttributeError, OSError):
        import fcntl

        fcntl.fcntl(connection.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _received(receiving: Connection, progress: Optional[Progress], place_of: Callable[[int], Place]
              ) -> Iterator[Record]:
    while True:
        try:
            kind, done, body = receiving.recv()
        except EOFError:
            raise ReaderStopped("the process reading the file stopped before the end of the file; nothing was "
                                "imported: import it again") from None
        if kind == "raised":
            raise body
        if progress is not None:
            progress(done)
        for record_kind, data, place in body:
            # a prepared row comes with the number of its line (see `_read`)
            yield record_kind, data, place_of(place) if record_kind in ROWS else place
        if kind == "end":
            return


def _read(path: Path, reader: Callable[..., Iterator[Record]], user: str, sending: Connection,
          receiving: Connection) -> None:
    """The child: read and prepare every record, and send them in batches."""
    # The fork gave this process the importer's end of the pipe too: closed, so that when the
    # importer is gone (killed, even) nothing reads the pipe and sending fails, ending this one.
    receiving.close()
    # Ctrl-C reaches the whole process group: the importer stops this process itself, so it
    # is never cut off halfway through a message.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.disable()  # this process's objects live until they are sent: nothing for the collector to find
    done = 0

    def told(position: int) -> None:
        nonlocal done
        done = position

    try:
        try:
            handle = open(path, "rb")
        except OSError as exc:
            raise unreadable(path, exc) from None
        with handle:
            batch: list[Record] = []
            for record in prepared(reader(handle, told), user):
                # A row's place as the number of its line: a place object costs more to send than its row.
                batch.append((record[0], record[1], record[2].line) if record[0] in ROWS else record)
                if len(batch) >= BATCH:
                    sending.send(("records", done, batch))
                    batch = []
            sending.send(("end", done, batch))
    except BaseException as exc:  # noqa: BLE001 - whatever it is, the importer raises it
        with contextlib.suppress(OSError):  # not when the importer has stopped listening
            sending.send(("raised", 0, _sendable(exc)))
    finally:
        sending.close()


def _sendable(exc: BaseException) -> BaseException:
    """The exception, or ReaderStopped saying it when it cannot be pickled."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return ReaderStopped(f"reading the file failed ({type(exc).__name__}: {exc}); nothing was imported")


class ReaderStopped(VerityError):
    """The process reading a file ahead stopped, or failed in a way that could not be sent back."""
