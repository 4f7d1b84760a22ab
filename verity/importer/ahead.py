"""Reading ahead: a large file's records read and made into rows in a second process.

An import does two kinds of work that need nothing from each other until the end:
reading (parsing each line, checking each field by the models' rules, deriving
uids: `rows.preparer`) and writing (finding sources and claims, SQLite). For a
large JSONL or CSV file the reading runs in a child process while this one writes,
so the two share the machine's cores. The child reads the records and makes them
ready as an import in-process does for a small file (`rows.preparer`), and sends
them, in batches, through a pipe; the records arrive in file order, and the importer
takes them as it would have. While the importer has taken every batch sent and waits,
the child sends the next batch's records as read and leaves making them ready to the
importer, which takes a record either way with the same outcome: so neither process
idles while the other has work, on two cores or more. Whatever the child raises is
raised here; when the import stops early, the child is stopped.

The child is forked, never spawned: a spawned child starts by running the program's
main script again, which a script that imports verity and calls `import_file` at
its top level does not expect. A fork copies whatever locks the process's other
threads hold, held for ever, so a process running other threads (an application
serving Datasette, say) reads in-process instead, as does one on a system without
fork; the result is the same.
"""

from __future__ import annotations

import array
import contextlib
import gc
import multiprocessing
import signal
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Callable, Iterator, Optional

from ..csvio import RowPlace, read_csv
from ..errors import VerityError, unreadable
from ..formats import LinePlace, Place
from ..jsonl import read_jsonl
from .rows import Record, preparer

try:  # to widen the pipe (`_widen`) and ask how much of it is still unread (`_starved`)
    import fcntl
    import termios
except ImportError:  # pragma: no cover - Windows, which has no fork: nothing is read ahead there
    fcntl = termios = None  # type: ignore[assignment]

# Below this a file is read in-process: starting a child costs more than it saves. The
# benchmark's 100k-stance file is 39 MB, the Balti case's 7 kB.
MIN_BYTES = 16 << 20
BATCH = 1_000  # records a message carries
PIPE_BYTES = 1 << 20  # what the pipe may hold (Linux's limit for a user, unless raised)
READERS: dict[str, Callable[..., Iterator[Record]]] = {"jsonl": read_jsonl, "csv": read_csv}
PLACES: dict[str, Callable[[int], Place]] = {"jsonl": LinePlace, "csv": RowPlace}  # a record's place, by its line

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
    """The records of the file, read by a child process: made ready there (`rows.preparer`), or
    left for the importer to make ready while it waits (see `_read`)."""
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    _widen(sending)
    child = context.Process(target=_read, args=(path, READERS[fmt], PLACES[fmt], user, sending, receiving),
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
    if fcntl is None:
        return
    with contextlib.suppress(AttributeError, OSError):  # no F_SETPIPE_SZ but on Linux
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
            # a record comes with the number of its line when that is its whole place (see `_read`)
            yield record_kind, data, place_of(place) if place.__class__ is int else place
        if kind == "end":
            return


def _read(path: Path, reader: Callable[..., Iterator[Record]], line_place: type, user: str, sending: Connection,
          receiving: Connection) -> None:
    """The child: read every record, make it ready (`rows.preparer`) unless the importer waits
    for this process (`_starved`), and send them in batches."""
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
            prepare, eager = preparer(user), True
            batch: list[Record] = []
            for record in reader(handle, told):
                if eager:
                    record = prepare(record)
                place = record[2]
                # A record's place as the number of its line: a place object costs more to send than its row.
                batch.append((record[0], record[1], place.line)
                             if place.__class__ is line_place and getattr(place, "column", None) is None else record)
                if len(batch) >= BATCH:
                    sending.send(("records", done, batch))
                    batch = []
                    eager = not _starved(sending)
            sending.send(("end", done, batch))
    except BaseException as exc:  # noqa: BLE001 - whatever it is, the importer raises it
        with contextlib.suppress(OSError):  # not when the importer has stopped listening
            sending.send(("raised", 0, _sendable(exc)))
    finally:
        sending.close()


def _starved(sending: Connection) -> bool:
    """Whether the importer has taken every batch sent so far: then it waits for this process,
    which leaves the next batch's records for the importer to make ready (`Importer.add` takes
    a record made ready or not, with the same outcome), so that the two share the work. Never
    but on Linux, whose FIONREAD on a pipe's writing end says what the reader has not read
    (on BSD and macOS it says what this end holds: nothing, always)."""
    if fcntl is None or not sys.platform.startswith("linux"):
        return False
    waiting = array.array("i", [0])
    try:
        fcntl.ioctl(sending.fileno(), termios.FIONREAD, waiting, True)
    except OSError:
        return False
    return waiting[0] == 0


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
