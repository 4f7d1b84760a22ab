"""Writing a command's output to a file: all of it, or nothing.

The output goes into a temporary file beside the target, which replaces the
target only once everything is written, so a failure (a full disk, a bad value,
Ctrl-C) never leaves a partial file behind, nor clobbers an old one. The report,
the export and the Datasette metadata are all written this way.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Iterable, Iterator, Optional, TextIO

from ..errors import CannotWrite
from ..store.merge import SIDECARS


def check_writable(path: Path, protect: Iterable[str | os.PathLike] = (), what: str = "report",
                   example: str = "report.md") -> None:
    """Fail early, with one line, when `path` cannot become the `what` file, or is one of `protect`."""
    folder = path.parent
    if path.is_dir():
        raise CannotWrite(f"cannot write {path}: it is a folder; give --output a file name such as {path / example}")
    if not folder.exists():
        raise CannotWrite(f"cannot write {path}: folder {folder} does not exist; create it or choose another --output")
    if not folder.is_dir():
        raise CannotWrite(f"cannot write {path}: {folder} is a file, not a folder; choose another --output")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CannotWrite(f"cannot write {path}: no permission to write in {folder}; choose another --output")
    if path.exists() and not os.access(path, os.W_OK):
        raise CannotWrite(f"cannot write {path}: the file is read-only; choose another --output")
    for database in protect:
        for other in database_files(database):
            if _same_file(path, other):
                raise CannotWrite(f"refusing to write the {what} over the database {other}; choose another --output")


# Beside a database, SQLite keeps its write-ahead log and shared memory (WAL mode) or its
# rollback journal (store.merge.SIDECARS): writing over any of them destroys what it holds.


def database_files(database: str | os.PathLike) -> list[Path]:
    """The database file and the files SQLite keeps beside it, whether they exist yet or not:
    beside the name given and, when that is a link, beside the file it leads to, where SQLite
    keeps them."""
    files = []
    for path in dict.fromkeys((Path(database), Path(os.path.realpath(database)))):
        files += [path, *(path.with_name(path.name + suffix) for suffix in SIDECARS)]
    return files


def _same_file(path: Path, other: Path) -> bool:
    """Whether `path` names `other`: the same file (through any link), or the same place once resolved."""
    if path.exists() and other.exists():
        return os.path.samefile(path, other)
    return os.path.realpath(path) == os.path.realpath(other)


def _new_file_mode(path: Path) -> int:
    """What a plain open() would give the file: its current mode, else 0666 less the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def written_atomically(path: Path, protect: Iterable[str | os.PathLike] = (), what: str = "report",
                       example: str = "report.md") -> Iterator[TextIO]:
    """A text stream (UTF-8) whose contents replace `path` once the block ends without error.

    `path` is checked first (see `check_writable`, which takes the other arguments).
    """
    import stat
    import tempfile

    check_writable(path, protect, what, example)
    descriptor = _descriptor(path)
    if descriptor is not None:
        # /dev/stdout, /dev/fd/3: a file this process has open already, perhaps to append to
        # (`>> log`): written through that, never opened again (which would empty it) nor replaced.
        yield from _written_to(path, descriptor)
        return
    try:
        special = not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:  # not there yet
        special = False
    if special:
        # A device or a pipe (a FIFO a program reads) is written to as it is: renaming a file
        # over it would put a file where the device was.
        yield from _written_to(path)
        return
    # Through a link to the file it names: replacing the link would leave a file where it was.
    # The folder it is in is then the one that must be writable.
    real = Path(os.path.realpath(path))
    if real != path.absolute():
        check_writable(real, protect, what, example)
    path = real
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    except OSError as exc:
        raise CannotWrite(f"cannot write {path}: {exc.strerror or exc}; choose another --output") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, _new_file_mode(path))
        os.replace(temp, path)
    except OSError as exc:
        _remove(temp)
        raise CannotWrite(f"cannot write {path}: {exc.strerror or exc}; check the disk and choose another --output") from None
    except BaseException:
        _remove(temp)
        raise


_DESCRIPTOR_LINK = re.compile(r"/(?:proc/(?:self|\d+)|dev)/fd/(\d+)")


def _descriptor(path: Path) -> Optional[int]:
    """The open file descriptor `path` names through its links (/dev/stdout is /proc/self/fd/1),
    or None when it names none."""
    hop = os.path.abspath(path)
    for _ in range(40):  # as many links as the system follows
        found = _DESCRIPTOR_LINK.fullmatch(hop)
        if found and (hop.startswith("/dev/") or hop.split("/")[2] in ("self", str(os.getpid()))):
            return int(found.group(1))
        if not os.path.islink(hop):
            return None
        hop = os.path.normpath(os.path.join(os.path.dirname(hop), os.readlink(hop)))
    return None


def _written_to(path: Path, descriptor: Optional[int] = None) -> Iterator[TextIO]:
    """A text stream straight into an existing device, pipe or open file (`descriptor`: written
    through a copy of it, as it was opened), with its errors said in one line."""
    try:
        opened = (os.fdopen(os.dup(descriptor), "w", encoding="utf-8", newline="") if descriptor is not None
                  else open(path, "w", encoding="utf-8", newline=""))
        with opened as out:
            yield on_screen(out)
            out.flush()
    except BrokenPipeError:
        if descriptor is None:
            raise CannotWrite(f"cannot write {path}: its reader has gone; choose another --output") from None
        raise  # stdout's own rule: `--output /dev/stdout | head` has what it wanted (cli.VerityApp)
    except OSError as exc:
        raise CannotWrite(f"cannot write {path}: {exc.strerror or exc}; check the device and choose another "
                          "--output") from None


def write_atomically(path: Path, chunks: Iterable[str], protect: Iterable[str | os.PathLike] = ()) -> int:
    """Write every chunk of a report to `path`, replacing it only once all are written. Returns bytes."""
    size = 0
    with written_atomically(path, protect) as out:
        for text in batched(chunks):
            out.write(text)
            size += len(text.encode("utf-8"))
    return size


def _remove(temp: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temp)


BATCH = 64 * 1024  # characters gathered per write: Jinja yields many tiny strings


def batched(chunks: Iterable[str], size: int = BATCH) -> Iterator[str]:
    """The same text in pieces of about `size` characters (the first one at once)."""
    pending: list[str] = []
    length = 0
    first = True
    for chunk in chunks:
        pending.append(chunk)
        length += len(chunk)
        if first or length >= size:
            yield "".join(pending)
            pending, length, first = [], 0, False
    if pending:
        yield "".join(pending)


def write_stream(out, chunks: Iterable[str]) -> None:
    """Write chunks to an open text stream, flushing each batch so a reader sees it at once."""
    for text in batched(chunks):
        out.write(text)
        out.flush()


def silence_stdout() -> None:
    """Point stdout at nothing, once it can take no more (a reader gone, a full disk): what
    Python would flush to it at exit would fail again, with a traceback."""
    import sys

    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)


def on_screen(out: TextIO) -> TextIO:
    """`out` as verity writes a document to it: on a terminal, which obeys the control characters
    a file only holds, through `names.Visible`."""
    from ..names import Visible

    return Visible(out) if out.isatty() else out
