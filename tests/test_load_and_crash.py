"""Under load and through crashes the record stays whole: writers at once, and `kill -9` in the
middle of an import or of a `stance add`; after each, SQLite's integrity check passes, nothing is
half-written (an import is all or nothing), and the stored reconciliations equal a fresh
computation. The quick ones run always; the heavy ones are marked slow."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import EXAMPLE_DB, write_lines

from verity.store import Store


def verity(db: Path, *args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "VERITY_USER": "tester"}
    return subprocess.Popen([sys.executable, "-m", "verity", "--db", str(db), *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs)


def assert_whole(db: Path) -> dict[str, int]:
    """The database passes SQLite's integrity and foreign-key checks and its stored
    reconciliations and stance statuses are what the reconciler computes afresh; returns the counts."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()
    with Store.open(db) as store:
        assert list(store.reconciliations()) == list(store.fresh_reconciliations())
        statuses = "SELECT stance_id, status, previous_id, claim_id, source_id FROM stance_statuses ORDER BY stance_id"
        stored = store.conn.execute(statuses).fetchall()
        store.refresh_reconciliations()
        assert store.conn.execute(statuses).fetchall() == stored
        return store.counts()


@pytest.fixture
def balti(tmp_path) -> Path:
    db = tmp_path / "claims.db"
    shutil.copy(EXAMPLE_DB, db)
    return db


def _stance_count(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM stances").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.slow
def test_a_stance_add_killed_at_any_moment_leaves_a_whole_record(balti):
    """`stance add` killed with SIGKILL at moments spread over its run: each time the stance is
    there or not, never half; the reconciliation is never stale."""
    rng = random.Random(14)
    count = _stance_count(balti)
    for attempt in range(4):
        process = verity(balti, "stance", "add", "balti-was-killed", "Afghan Taliban", "affirms",
                         "--quote", f"attempt {attempt}")
        time.sleep(rng.uniform(0.05, 0.6))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        after = _stance_count(balti)
        assert after in (count, count + 1)
        count = after
        assert_whole(balti)


@pytest.mark.slow
def test_writers_at_once_all_succeed_and_the_record_is_whole(balti):
    """Six `verity` processes adding stances and one reconciling, all at once."""
    sources = ["Afghan Taliban", "Amir Rana", "Bill Roggio", "Michael Kugelman", "Associated Press", "Former TTP member"]
    before = _stance_count(balti)
    per_writer = 8
    script = "\n".join(
        f"{sys.executable} -m verity --db {balti} stance add balti-was-killed '{source}' "
        f"{'affirms' if n % 2 else 'denies'} --quote '{source} {n}' >/dev/null || exit 1"
        for source in sources for n in range(per_writer))
    writers = [subprocess.Popen(["sh", "-c", "\n".join(line for line in script.splitlines() if f"'{source}" in line)],
                                env={**os.environ, "VERITY_USER": "tester"}, stderr=subprocess.PIPE)
               for source in sources]
    reader = subprocess.Popen(["sh", "-c", " && ".join([f"{sys.executable} -m verity --db {balti} reconcile --json "
                                                         ">/dev/null"] * 6)], stderr=subprocess.PIPE)
    for process in (*writers, reader):
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    counts = assert_whole(balti)
    assert counts["stances"] == before + len(sources) * per_writer


@pytest.mark.slow
def test_an_import_killed_midway_leaves_all_or_nothing(balti, tmp_path):
    """SIGKILL during a large import into an existing database, at several moments: afterwards
    the database holds every record of the file or none of them, and is whole."""
    source = write_lines(tmp_path / "many.jsonl", 60_000, claims=300, sources=30)
    before = assert_whole(balti)
    probe = tmp_path / "probe.db"
    shutil.copy(balti, probe)
    started = time.monotonic()
    done = verity(probe, "import", str(source))
    _, err = done.communicate(timeout=600)
    assert done.returncode == 0, err
    whole_import = time.monotonic() - started
    full = assert_whole(probe)
    for fraction in (0.3, 0.6, 0.9):
        process = verity(balti, "import", str(source))
        time.sleep(whole_import * fraction)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        counts = assert_whole(balti)
        assert counts in (before, full), (fraction, counts)
        if counts == full:
            break  # it had finished: nothing left to kill


@pytest.mark.slow
def test_an_import_killed_while_writing_a_new_file_leaves_no_database_or_a_whole_one(tmp_path):
    source = write_lines(tmp_path / "some.jsonl", 8_000, claims=100, sources=20)
    db = tmp_path / "new.db"
    process = verity(db, "import", str(source))
    time.sleep(0.8)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    if db.exists() and db.stat().st_size:
        counts = assert_whole(db)
        assert counts["stances"] in (0, 8_000)


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP], ids=["kill", "closed terminal"])
def test_a_kill_or_a_closed_terminal_leaves_nothing_half_written(tmp_path, stop):
    # As Ctrl-C does: an --output's partial file is removed and the old file kept, and a new
    # file's import is removed, instead of left for the next command to trip over.
    source = write_lines(tmp_path / "some.jsonl", 60_000, claims=300, sources=30)
    db = tmp_path / "desk.db"
    assert verity(db, "import", str(source)).wait(timeout=300) == 0
    target = tmp_path / "out.json"
    target.write_text("the export of yesterday\n")
    exporting = verity(db, "export", "--output", str(target))
    while exporting.poll() is None and not any(p.name.endswith(".partial") for p in tmp_path.iterdir()):
        time.sleep(0.01)
    exporting.send_signal(stop)
    _out, err = exporting.communicate(timeout=60)
    assert exporting.returncode in (0, 128 + stop)  # 0: it had finished
    assert b"Traceback" not in err and b"Exception ignored" not in err, err.decode()[-400:]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
    if exporting.returncode:
        assert target.read_text() == "the export of yesterday\n"
    new = tmp_path / "new.db"
    importing = verity(new, "import", str(source))
    while importing.poll() is None and not new.exists():
        time.sleep(0.01)
    time.sleep(0.3)
    importing.send_signal(stop)
    _out, err = importing.communicate(timeout=60)
    assert importing.returncode in (0, 128 + stop)
    assert b"Traceback" not in err and b"Exception ignored" not in err, err.decode()[-400:]
    assert not importing.returncode or not [p for p in tmp_path.iterdir() if p.name.startswith("new.db")]


@pytest.mark.slow
def test_a_merge_stopped_at_any_moment_says_nothing_but_that_it_stopped(tmp_path, balti):
    # Stopped while it still reads the other file, a merge must not trade what stopped it for
    # an error about letting go of that file (a traceback, the database "locked").
    source = write_lines(tmp_path / "desk.jsonl", 60_000, claims=300, sources=30)
    desk = tmp_path / "desk.db"
    assert verity(desk, "import", str(source)).wait(timeout=300) == 0
    before = _stance_count(balti)
    for delay in (0.3, 0.6, 0.9, 1.2, 1.5, 2.0):
        merging = verity(balti, "merge", str(desk))
        time.sleep(delay)
        merging.send_signal(signal.SIGTERM)
        _out, err = merging.communicate(timeout=120)
        assert merging.returncode in (0, 128 + signal.SIGTERM, -signal.SIGTERM)  # the last: before it began
        assert b"Traceback" not in err and b"locked" not in err, err.decode()[-500:]
        if merging.returncode == 0:
            break
        if _stance_count(balti) != before:  # stopped after it committed: all of it, then
            assert _stance_count(balti) == before + 60_000
            break
    assert_whole(balti)


@pytest.mark.slow
def test_two_imports_into_one_new_file_started_together_both_land(tmp_path):
    # The one that finds the file just made, still empty, waits for its maker to write its
    # tables instead of calling it an empty file that is not a verity database.
    one = write_lines(tmp_path / "one.jsonl", 3_000, claims=50, sources=10)
    two = tmp_path / "two.jsonl"
    two.write_text(one.read_text().replace("Source ", "Other source ").replace("claim-", "other-claim-"))
    for round_ in range(3):
        db = tmp_path / f"new-{round_}.db"
        first, second = verity(db, "import", str(one)), verity(db, "import", str(two))
        errors = [p.communicate(timeout=120)[1] for p in (first, second)]
        assert (first.returncode, second.returncode) == (0, 0), errors
        assert assert_whole(db)["stances"] == 6_000
