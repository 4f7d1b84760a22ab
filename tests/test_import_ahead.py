"""A large file is read by a second process (verity.importer.ahead) while this one writes:
what it finds or raises arrives here, a child that dies is noticed, and a child is never
left behind. (tests/test_import_large.py checks that the outcome, errors included, is the
same read ahead as read in-process.)"""

from __future__ import annotations

import csv
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from support import write_lines

from verity.errors import InvalidValue
from verity.importer import ahead, import_file
from verity.importer.rows import prepared as rows_prepared
from verity.store import Store


@pytest.fixture
def always_ahead(monkeypatch):
    monkeypatch.setattr(ahead, "MIN_BYTES", 0)
    # The suite's in-process Datasette servers leave threads behind; the child reads nothing they hold.
    monkeypatch.setattr(ahead, "forkable", lambda: True)


def no_children_left() -> bool:
    return not multiprocessing.active_children()


def test_a_large_file_is_read_ahead_and_a_small_one_is_not(tmp_path, monkeypatch):
    lines = write_lines(tmp_path / "many.jsonl", 200)
    monkeypatch.setattr(ahead, "forkable", lambda: True)
    assert not ahead.can_read_ahead(lines, "jsonl")  # far below MIN_BYTES
    monkeypatch.setattr(ahead, "MIN_BYTES", lines.stat().st_size)
    assert ahead.can_read_ahead(lines, "jsonl") and ahead.can_read_ahead(lines, "csv")
    assert not ahead.can_read_ahead(lines, "json")  # a document is parsed whole, not streamed
    assert not ahead.can_read_ahead(tmp_path / "missing.jsonl", "jsonl")  # the importer says why


def test_not_from_a_process_running_other_threads(tmp_path):
    # A fork copies a lock another thread holds, held for ever: such a process reads in-process.
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not ahead.forkable()
    finally:
        release.set()
        other.join()


def test_progress_is_told_up_to_the_last_byte(tmp_path, always_ahead):
    lines = write_lines(tmp_path / "many.jsonl", 5_000)
    told = []
    with Store.create(tmp_path / "x.db") as store:
        assert import_file(store, lines, progress=told.append).stances == 5_000
    assert told == sorted(told) and told[-1] == lines.stat().st_size and len(told) > 2
    assert no_children_left()


def test_what_the_reader_raises_is_raised_here_and_nothing_is_written(tmp_path, monkeypatch, always_ahead):
    lines = write_lines(tmp_path / "many.jsonl", 3_000)
    readers = dict(ahead.READERS)

    def failing(handle, progress):
        for n, record in enumerate(readers["jsonl"](handle, progress)):
            if n == 2_500:
                raise InvalidValue("the disk said no")
            yield record

    monkeypatch.setitem(ahead.READERS, "jsonl", failing)  # the forked child inherits it
    with Store.create(tmp_path / "x.db") as store:
        with pytest.raises(InvalidValue, match="the disk said no"):
            import_file(store, lines)
        assert store.counts() == {"sources": 0, "claims": 0, "stances": 0}
    assert no_children_left()


def test_an_exception_that_cannot_travel_is_said_in_words(tmp_path, monkeypatch, always_ahead):
    class Unpicklable(Exception):
        def __reduce__(self):
            raise TypeError("not this one")

    def failing(handle, progress):
        raise Unpicklable("odd trouble")
        yield  # pragma: no cover

    monkeypatch.setitem(ahead.READERS, "jsonl", failing)
    lines = write_lines(tmp_path / "many.jsonl", 10)
    with Store.create(tmp_path / "x.db") as store:
        with pytest.raises(ahead.ReaderStopped, match=r"reading the file failed \(Unpicklable: odd trouble\)"):
            import_file(store, lines)


def test_a_reader_killed_midway_is_noticed_and_nothing_is_written(tmp_path, monkeypatch, always_ahead):
    readers = dict(ahead.READERS)

    def killed(handle, progress):
        for n, record in enumerate(readers["jsonl"](handle, progress)):
            if n == 2_500:
                os.kill(os.getpid(), signal.SIGKILL)
            yield record

    monkeypatch.setitem(ahead.READERS, "jsonl", killed)
    lines = write_lines(tmp_path / "many.jsonl", 3_000)
    with Store.create(tmp_path / "x.db") as store:
        with pytest.raises(ahead.ReaderStopped, match="stopped before the end of the file; nothing was imported"):
            import_file(store, lines)
        assert store.counts() == {"sources": 0, "claims": 0, "stances": 0}
    assert no_children_left()


def test_the_reader_is_stopped_when_the_import_fails_here(tmp_path, always_ahead):
    lines = write_lines(tmp_path / "many.jsonl", 20_000)
    with Store.create(tmp_path / "x.db") as store:
        store.conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON claims WHEN NEW.key = 'claim-150' "
                           "BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END")
        with pytest.raises(Exception, match="refused by a trigger"):
            import_file(store, lines)
        assert store.counts() == {"sources": 0, "claims": 0, "stances": 0}
    assert no_children_left()


def test_csv_is_read_ahead_with_its_places(tmp_path, always_ahead):
    rows = [["claim", "source", "position", "quote"]]
    rows += [["c", "S", "affirms", f"quote {n}"] for n in range(3_000)]
    rows.insert(2_001, ["c", "Nobody", "affirms", "who?"])  # an unknown source on line 2002
    path = tmp_path / "stances.csv"
    with open(path, "w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)
    first = tmp_path / "first.jsonl"
    first.write_text('{"type": "source", "name": "S"}\n{"type": "claim", "key": "c", "text": "C"}\n')
    with Store.create(tmp_path / "x.db") as store:
        import_file(store, first)
        with pytest.raises(InvalidValue) as refused:
            import_file(store, path)
        assert store.counts() == {"sources": 1, "claims": 1, "stances": 0}
    assert str(refused.value).startswith("no source 'Nobody'") and "line 2002" in str(refused.value)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.parametrize("starved", [False, True])
def test_records_read_ahead_arrive_with_the_places_read_in_process(tmp_path, monkeypatch, fmt, starved):
    # A record's place crosses the pipe as its line number and is made again here: of the class
    # the format's reader gives (a CSV row's names its retraction's columns), made ready or left
    # to the importer (_starved), with the place a problem inside it would name.
    monkeypatch.setattr(ahead, "BATCH", 7)
    monkeypatch.setattr(ahead, "_starved", lambda sending: starved)
    path = tmp_path / f"stances.{fmt}"
    if fmt == "csv":
        rows = [["claim", "source", "position", "quote"]] + [["c", "S", "affirms", f"q{n}"] for n in range(30)]
        with open(path, "w", newline="", encoding="utf-8") as out:
            csv.writer(out).writerows(rows)
    else:
        write_lines(path, 30)
    with open(path, "rb") as handle:
        here = list(rows_prepared(ahead.READERS[fmt](handle), "me"))
    with ahead.read_ahead(path, fmt, "me", None) as records:
        there = list(records)
    assert [(type(place), str(place), str(place.field("retracted").field("on"))) for _, _, place in there] \
        == [(type(place), str(place), str(place.field("retracted").field("on"))) for _, _, place in here]
    left = [kind for kind, _, _ in there].count("stance")  # left to the importer to make ready
    assert left == (sum(kind == "stance-row" for kind, _, _ in here[7:]) if starved else 0)  # all after the first batch


def test_the_command_line_may_fork_a_reader():
    # `verity import` runs no thread of its own: a large file is read ahead there.
    code = ("import verity.cli, verity.cli.io, verity.importer\n"
            "from verity.importer import ahead\n"
            "assert ahead.forkable(), 'threads: %r' % __import__('threading').enumerate()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_import_bar_on_a_terminal_starts_no_thread(tmp_path, monkeypatch):
    # rich draws its bar from a thread of its own unless told not to: that would keep
    # `verity import` at a terminal from reading ahead.
    from verity.cli import io

    big = tmp_path / "big.jsonl"
    big.write_bytes(b"\n" * (io.PROGRESS_MIN_BYTES + 1))
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    before = threading.active_count()
    with io._progress(big, stdin=False) as told:
        assert told is not None
        told(10)
        assert threading.active_count() == before
        told(io.PROGRESS_MIN_BYTES + 1)


@pytest.mark.slow  # runs processes of verity
def test_the_reader_ends_when_the_importer_is_killed(tmp_path):
    # A writer killed (SIGKILL: no clean-up) must not leave its reader blocked on a full pipe.
    lines = write_lines(tmp_path / "many.jsonl", 20_000)
    code = ("import pathlib, sys, time\n"
            "from verity.importer import ahead, import_file\n"
            "from verity.store import Store\n"
            "ahead.MIN_BYTES = 0\n"
            "def stall(done):\n"
            "    print('reading', flush=True)\n"
            "    time.sleep(60)\n"
            f"import_file(Store.create({str(tmp_path / 'x.db')!r}), pathlib.Path({str(lines)!r}), progress=stall)\n")
    importer = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert importer.stdout.readline() == "reading\n"
        with open(f"/proc/{importer.pid}/task/{importer.pid}/children") as children:
            (reader,) = [int(pid) for pid in children.read().split()]
    finally:
        importer.kill()
        importer.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _running(reader):
        time.sleep(0.05)
    ended = not _running(reader)
    if not ended:  # stopped by its PID, so the failing test leaves nothing behind
        os.kill(reader, signal.SIGKILL)
    assert ended


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def test_not_from_a_daemonic_process():
    # A pool's worker may not have children of its own: it reads in-process.
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        assert pool.apply(ahead.forkable) is False
