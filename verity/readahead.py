"""Reading and checking a large JSONL file in a second process, while this one writes.

An import of a million stances has two kinds of work of about the same size:
Python parsing and checking each record, and SQLite storing rows. In one
process they compete for Python's lock (the GIL); here the first runs in a
child process on another core. The child parses every line, checks every
plain stance with the same `stance_row_maker` the importer uses in-process and
every claim with the same kind of quick check (`claim_row_maker`, else cattrs), then sends what it made, in chunks, to the parent. The parent does what needs
the database — sources, claims, ids, errors that depend on what is stored — and
runs the records the quick check did not pass through the importer's full path,
so an import gives the same result, and the same errors, either way.

The child runs `verity.readahead.main` with the file's path and the user. It writes frames to its
standard output: an 8-byte length, then `marshal` data (both ends are the same
Python): `(bytes read so far, items)`, and last a frame of length 0. An item is

- `(line, same_time, claim, source, position, quote, …, retracted_by)`: a stance
  that passed the quick check, its values in `STANCE_COLUMNS` order, `same_time`
  whether the line gave `logged_at`;
- `(line, None, row)`: a claim that passed its check, as `store.claim_row` gives it;
- `(line, kind, data, field)`: any other record ("source", "claim", "stance",
  or "error" with its message as data), as `jsonl.numbered_records` gives it.
"""

from __future__ import annotations

import marshal
import os
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator, Optional

from .errors import VerityError

CHUNK = 500  # records per frame
MIN_BYTES = 16 * 1024 * 1024  # smaller ones are read here: a child costs 0.12 s (an empty file)
# The child runs this very verity, wherever it was imported from (not whatever a
# `verity` folder in the working directory would give `python -m`); then the
# file's path and who imports it.
_HOME = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMAND = [sys.executable, "-c", f"import sys; sys.path.insert(0, {_HOME!r}); "
           "from verity.readahead import main; main()"]
_FRAME = struct.Struct("<Q")
_NOT_RETRACTED = (None, None, None)


def wanted(path: Path) -> bool:
    """Whether to read this file in a child process: large enough to pay for it.
    VERITY_READAHEAD=1 or 0 forces it on or off (for tests and benchmarks)."""
    forced = os.environ.get("VERITY_READAHEAD")
    if forced in ("0", "1"):
        return forced == "1"
    if not sys.executable:  # embedded: no interpreter to start
        return False
    try:
        return path.stat().st_size >= MIN_BYTES and (os.cpu_count() or 1) > 1
    except OSError:
        return False


def produce(handle: BinaryIO, out: BinaryIO, user: str) -> None:
    """The child's side: read `handle`, write frames to `out`."""
    from .formats import claim_row_maker, line_place, stance_row_maker, structure_record
    from .jsonl import numbered_records
    from .models import Claim
    from .store import claim_row, claim_row_of

    make, make_claim = stance_row_maker(), claim_row_maker()
    done = 0

    def progress(count: int) -> None:
        nonlocal done
        done = count

    items: list[tuple] = []
    for kind, data, number, field in numbered_records(handle, progress):
        if kind == "stance":
            if "logged_by" not in data:
                data["logged_by"] = user
            values = make(data)
            if values is not None:
                items.append((number, "logged_at" in data) + values + _NOT_RETRACTED)
            else:
                items.append((number, kind, data, field))
        elif kind == "claim":
            values = make_claim(data)
            if values is not None:
                items.append((number, None, claim_row_of(values)))
            else:  # no key, or not plain: the full check, which describes any problem
                claim, errors = structure_record(data, Claim, line_place(number))
                items.append((number, None, claim_row(claim)) if claim is not None else (number, kind, data, field))
        else:
            items.append((number, kind, data, field))
        if len(items) >= CHUNK:
            _send(out, (done, items))
            items = []
    _send(out, (done, items))
    out.write(_FRAME.pack(0))
    out.flush()


def _send(out: BinaryIO, chunk: tuple) -> None:
    blob = marshal.dumps(chunk)
    out.write(_FRAME.pack(len(blob)))
    out.write(blob)


class Child:
    """The child process reading `path`; iterate `chunks()` for (bytes read, items)."""

    def __init__(self, path: Path, user: str):
        self.path = path
        self.errors = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [*COMMAND, str(path), user],
            # stderr to a file, not a pipe: a child blocked writing a long error would never finish
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.errors,
        )

    def chunks(self) -> Iterator[tuple[int, list[tuple]]]:
        read = self.process.stdout.read
        loads = marshal.loads
        while True:
            head = read(_FRAME.size)
            if len(head) < _FRAME.size:
                raise self._failure()
            (size,) = _FRAME.unpack(head)
            if size == 0:
                return
            blob = read(size)
            if len(blob) < size:
                raise self._failure()
            yield loads(blob)

    def _failure(self) -> VerityError:
        self.process.wait()
        self.errors.seek(0)
        lines = self.errors.read().decode("utf-8", "replace").strip().splitlines()
        why = lines[-1] if lines else f"exit code {self.process.returncode}"
        return VerityError(f"reading {self.path} in a second process failed ({why}); "
                           "set VERITY_READAHEAD=0 to read it in this one")

    def close(self) -> None:
        """Stop the child, whether or not it has finished."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.process.stdout.close()
        self.errors.close()


def main(argv: Optional[list[str]] = None) -> None:
    path, user = (argv if argv is not None else sys.argv[1:])
    with open(path, "rb") as handle:
        produce(handle, sys.stdout.buffer, user)


if __name__ == "__main__":
    main()
