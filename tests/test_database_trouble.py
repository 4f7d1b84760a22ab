"""The database file itself in trouble — locked by another writer, read-only, damaged, from a
newer verity: one plain line that says so and what to do, never a traceback, nothing written."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from support import EXAMPLE_DB, as_if_from_a_newer_verity, read_only, read_only_folder

from verity.errors import DatabaseUnavailable
from verity.store import Store


def run(db: Path, *args: str, user=None, timeout=60) -> subprocess.CompletedProcess:
    env = {**os.environ, "VERITY_USER": "tester"}
    return subprocess.run([sys.executable, "-m", "verity", "--db", str(db), *args], capture_output=True,
                          text=True, env=env, user=user, timeout=timeout)


def one_clean_line(result) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_a_write_waiting_past_the_busy_timeout_says_the_database_is_busy(balti_db, cli, monkeypatch):
    monkeypatch.setattr("verity.store.core.BUSY_TIMEOUT_MS", 300)
    holder = sqlite3.connect(balti_db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # as a long import holds it
    try:
        result = cli("--db", balti_db, "stance", "add", "balti-was-killed", "TTP spokesman", "denies")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.startswith("Error: ") and "is busy" in result.output and "try again" in result.output
    assert result.output.count("\n") == 1


def test_a_damaged_file_is_reported_on_read_and_write(tmp_path):
    db = tmp_path / "damaged.db"
    shutil.copy(EXAMPLE_DB, db)
    data = bytearray(db.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536  # the page size, from the file's header
    data[2 * page:3 * page] = os.urandom(page)  # a page of the tables, not the header
    db.write_bytes(bytes(data))
    before = db.read_bytes()
    for args in (["claim", "list"], ["stance", "add", "balti-was-killed", "TTP spokesman", "denies"]):
        line = one_clean_line(run(db, *args))
        assert "damaged" in line or "not a SQLite database" in line
    assert db.read_bytes() == before


@pytest.fixture
def read_only_copy(tmp_path):
    """claims.db that this process cannot write (`support.read_only`)."""
    db = tmp_path / "claims.db"
    shutil.copy(EXAMPLE_DB, db)
    with read_only(db):
        yield db


def test_a_read_only_file_cannot_be_written_and_says_so(read_only_copy):
    before = read_only_copy.read_bytes()
    line = one_clean_line(run(read_only_copy, "stance", "add", "balti-was-killed",
                              "TTP spokesman Mohammad Khurasani", "denies"))
    assert "read-only" in line and "permissions" in line
    assert read_only_copy.read_bytes() == before
    listed = run(read_only_copy, "claim", "list")
    assert listed.returncode == 0 and "balti-was-killed" in listed.stdout


@pytest.mark.slow  # six processes of verity
def test_a_database_on_read_only_media_is_read_and_a_write_says_it_cannot_be(tmp_path):
    """A folder nothing can be made in (a read-only mount, a stick with its lock on): SQLite
    cannot make there the -shm file a reader of a WAL database needs."""
    folder = tmp_path / "stick"
    folder.mkdir()
    db = folder / "claims.db"
    shutil.copy(EXAMPLE_DB, db)
    shutil.copy(Path(__file__).parent / "data" / "claims-before-sqlite-migrations.db", folder / "old.db")
    with read_only_folder(folder):
        listed = run(db, "claim", "list")
        assert listed.returncode == 0 and "balti-was-killed" in listed.stdout, listed.stderr
        line = one_clean_line(run(db, "source", "add", "A new voice"))
        assert "read-only" in line
        line = one_clean_line(run(folder / "old.db", "claim", "list"))
        assert line == (f"Error: cannot upgrade {folder / 'old.db'}, which an older verity made: its folder is "
                        "read-only; work on a copy you can write")
        assert sorted(p.name for p in folder.iterdir()) == ["claims.db", "old.db"]
    # A copy taken while a program had it open, its -wal beside it (without the -shm): what that
    # holds cannot be read in place, and verity says so.
    live = tmp_path / "live.db"
    shutil.copy(EXAMPLE_DB, live)
    writer = sqlite3.connect(live)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("UPDATE sources SET note = 'not yet checkpointed' WHERE id = 1")
    writer.commit()
    for suffix in ("", "-wal"):
        shutil.copy(f"{live}{suffix}", f"{db}{suffix}")
    writer.close()
    with read_only_folder(folder):
        line = one_clean_line(run(db, "claim", "list"))
        assert line.startswith(f"Error: cannot read {db}: a program had it open (its -wal file") and "copy" in line


def test_init_on_a_database_from_a_newer_verity_refuses_as_every_write_does(balti_db, cli):
    as_if_from_a_newer_verity(balti_db)
    before = balti_db.read_bytes()
    refused = {}
    for args in (["init"], ["source", "add", "Anyone"]):
        result = cli("--db", balti_db, *args)
        assert result.exit_code == 1, result.output
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
        refused[args[0]] = result.stderr
    assert refused["init"] == refused["source"]  # the same one line, not "is a verity database"
    assert refused["init"].startswith(f"Error: {balti_db} was written by a newer verity")
    assert "m999_from_the_future" in refused["init"] and "upgrade verity" in refused["init"]
    assert balti_db.read_bytes() == before


def _renumber_source_1(db: Path, *, before_m013: bool) -> None:
    """Renumber source 1 by raw SQL, as someone could once the triggers that refuse it are
    dropped; `before_m013`: in a database of the schema before them, which had none."""
    from verity.migrations.m013 import NEVER_RENUMBERED, UID_KEPT

    conn = sqlite3.connect(db)
    dropped = [f"{table}_never_renumbered" for table in NEVER_RENUMBERED]
    if before_m013:
        dropped += [f"{table}_uid_kept" for table in UID_KEPT]
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm013_never_renumbered'")
    for name in dropped:
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("UPDATE sources SET id = 1000 WHERE id = 1")  # stance 1 is one of its five
    conn.commit()
    conn.close()


def test_a_database_damaged_before_its_upgrade_is_said_to_be_so_and_left_as_it_was(balti_db, cli):
    """The upgrade finds stances whose source is not there: one line, and the file not upgraded."""
    Store.open(balti_db).close()
    _renumber_source_1(balti_db, before_m013=True)
    before = balti_db.read_bytes()
    result = cli("--db", balti_db, "stance", "list", "--claim", "balti-was-killed")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr == (f"Error: {balti_db} is damaged (stances row 1 points to a row of sources that is not "
                             "there, and 4 more like it); restore it from a backup, or export what can still be "
                             "read into a new database\n")
    assert balti_db.read_bytes() == before
    with sqlite3.connect(balti_db) as conn:
        assert not conn.execute("SELECT 1 FROM _sqlite_migrations WHERE name = 'm013_never_renumbered'").fetchone()


def test_a_write_meeting_a_stance_whose_source_is_not_there_says_the_file_is_damaged(balti_db, cli):
    """Every write reconciles the claims it touches, and that is where a stance whose source was
    renumbered is met: one line, nothing written (it was a traceback)."""
    Store.open(balti_db).close()
    _renumber_source_1(balti_db, before_m013=False)
    damaged = (f"Error: {balti_db} is damaged (a stance names source 1, which is not there); restore it from a "
               "backup, or export what can still be read into a new database\n")
    for source in ("3", "1000"):
        result = cli("--db", balti_db, "stance", "add", "balti-was-killed", source, "affirms",
                     "--said-on", "2022-01-15")
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert result.stderr == damaged
    with Store.open(balti_db) as store:
        assert store.counts()["stances"] == 33
        with pytest.raises(DatabaseUnavailable, match=r"is damaged \(a stance names source 1, which is not there\)"):
            store.rebuild_reconciliations()  # one pass over every claim, as an import or a merge makes
    assessed = cli("--db", balti_db, "assess")  # the estimate reads every counted stance too
    assert assessed.exit_code == 1 and assessed.stderr == damaged


def test_records_another_program_inserted_are_given_uids_and_reconciled(balti_db, cli):
    # The sqlite3 shell or sqlite-utils writes rows without a uid and reconciles nothing: the next
    # verity to open the file gives them the uids an import would and counts their stances.
    conn = sqlite3.connect(balti_db)
    with conn:
        conn.execute("INSERT INTO claims (key, text) VALUES ('raw-claim', 'A claim written by hand')")
        conn.execute("INSERT INTO sources (name) VALUES ('Hand-written source')")
        conn.execute("INSERT INTO sources (name) VALUES ('tahir khan (DAWN)')")  # a name one source has
        conn.execute("INSERT INTO stances (claim_id, source_id, position, logged_at) SELECT c.id, s.id, 'denies', "
                     "'2022-01-21T00:00:00Z' FROM claims c, sources s WHERE c.key = 'raw-claim' "
                     "AND s.name = 'Hand-written source'")
        conn.execute("INSERT INTO stances (claim_id, source_id, position, logged_at) SELECT c.id, s.id, 'denies', "
                     "'2022-01-21T00:00:00Z' FROM claims c, sources s WHERE c.key = 'balti-was-killed' "
                     "AND s.name = 'Hand-written source'")
    conn.close()
    listed = cli("--db", balti_db, "claim", "list", "--json")
    assert listed.exit_code == 0, listed.stderr
    verdicts = {c["key"]: c["verdict"] for c in json.loads(listed.stdout)}
    assert verdicts["raw-claim"] == "single-source"
    shown = cli("--db", balti_db, "claim", "show", "balti-was-killed")
    assert shown.exit_code == 0 and "Hand-written source" in shown.stdout
    conn = sqlite3.connect(balti_db)
    assert conn.execute("SELECT count(*) FROM claims WHERE uid IS NULL").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM stances WHERE uid IS NULL").fetchone()[0] == 0
    assert conn.execute("SELECT folded FROM sources WHERE name = 'Hand-written source'").fetchone()[0] == \
        "hand-written source"
    # ... and one with a name another source has is that source, as a desk merge makes them one.
    assert conn.execute("SELECT r.uid IS NOT NULL, k.name FROM sources r JOIN sources k ON k.id = r.merged_into "
                        "WHERE r.name = 'tahir khan (DAWN)'").fetchone() == (1, "Tahir Khan (Dawn)")
    conn.close()


def test_a_desk_file_with_an_unfinished_write_beside_it_says_so_and_how_to_undo_it(balti_db, cli, tmp_path):
    # A program killed while writing a file in rollback-journal mode leaves its -journal: SQLite
    # must undo that write before anyone reads the file, which a read-only open cannot.
    desk = tmp_path / "desk.db"
    shutil.copy(EXAMPLE_DB, desk)
    subprocess.run([sys.executable, "-c", (
        "import os, sqlite3\n"
        f"c = sqlite3.connect({str(desk)!r}, isolation_level=None)\n"
        "c.execute('PRAGMA journal_mode=DELETE'); c.execute('PRAGMA cache_size=2'); c.execute('BEGIN')\n"
        "c.execute('CREATE TABLE junk (x)')\n"
        "c.executemany('INSERT INTO junk VALUES (?)', [('y' * 1000,)] * 5000)\n"
        "os._exit(0)\n")], check=True)
    assert Path(f"{desk}-journal").exists()
    result = cli("--db", tmp_path / "new.db", "merge", desk)
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1
    assert "unfinished write" in result.stderr and f"verity --db {desk} claim list" in result.stderr
    assert not (tmp_path / "new.db").exists()
    assert cli("--db", desk, "claim", "list").exit_code == 0  # undoes it
    assert cli("--db", tmp_path / "new.db", "merge", desk).exit_code == 0


def _insert(path, *statements):
    conn = sqlite3.connect(path)
    with conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()


def test_records_another_program_wrote_take_nothing_verity_would_refuse(balti_db, cli):
    # A name an alias already has stays that alias's source's; a key no verity would give waits
    # unlisted, as it did before, instead of breaking every listing.
    assert cli("--db", balti_db, "claim", "edit", "balti-funeral-in-kunar", "--key", "balti-funeral",
               "--reason", "shorter").exit_code == 0
    _insert(balti_db, "INSERT INTO sources (name) VALUES ('TTP spokesman')",
            "INSERT INTO claims (key, text) VALUES ('Bad Key $(touch x)', 't'), ('3', 'only digits')",
            # a claim's old key, as its key: verity lets a claim take an old key, and so here
            "INSERT INTO claims (key, text) VALUES ('balti-funeral-in-kunar', 'Raw claim')")
    listed = cli("--db", balti_db, "claim", "list")
    assert listed.exit_code == 0, listed.stderr
    logged = cli("--db", balti_db, "stance", "add", "ttp-numbers-4000-to-10000-fighters", "TTP spokesman", "affirms")
    assert logged.exit_code == 0 and "TTP spokesman Mohammad Khurasani affirms" in logged.stderr
    shown = cli("--db", balti_db, "claim", "show", "balti-funeral-in-kunar")
    assert shown.exit_code == 0 and "Raw claim" in shown.stdout


def test_a_file_verity_may_not_write_is_read_with_such_records_as_they_are(balti_db, cli):
    _insert(balti_db, "INSERT INTO sources (name) VALUES ('Hand source')")
    with read_only(balti_db):
        listed = cli("--db", balti_db, "claim", "list")
    assert listed.exit_code == 0 and "militant-groups" in listed.stdout, listed.stderr


def test_a_desks_file_with_records_without_a_uid_is_merged_once_verity_has_given_them_theirs(balti_db, cli, tmp_path):
    desk = tmp_path / "desk.db"
    shutil.copy(EXAMPLE_DB, desk)
    _insert(desk, "INSERT INTO sources (name) VALUES ('Desk hand source')",
            "INSERT INTO stances (claim_id, source_id, position, logged_at) SELECT 1, id, 'denies', "
            "'2022-01-21T00:00:00Z' FROM sources WHERE name = 'Desk hand source'")
    refused = cli("--db", balti_db, "merge", desk)
    assert refused.exit_code == 1 and "without a uid" in refused.stderr and "claim list" in refused.stderr
    assert cli("--db", desk, "claim", "list").exit_code == 0  # gives them theirs
    merged = cli("--db", balti_db, "merge", desk)
    assert merged.exit_code == 0 and "1 source, 1 stance" in merged.stderr, merged.stderr


@pytest.mark.parametrize("source_id, said", [("-1", "names source -1"), ("'x'", "not an id"), ("1.5", "not an id")])
def test_assess_on_a_stance_naming_no_source_says_the_file_is_damaged(balti_db, cli, source_id, said):
    # A negative id would wrap to the last source's row and count as that source's stance.
    conn = sqlite3.connect(balti_db)
    with conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute(f"INSERT INTO stances (claim_id, source_id, position, logged_at, logged_by, uid) VALUES "
                     f"(1, {source_id}, 'denies', '2026-01-01T00:00:00Z', 'raw', '0199aaaa-0000-7000-8000-0000000000ff')")
    conn.close()
    assessed = cli("--db", balti_db, "assess")
    assert assessed.exit_code == 1 and "is damaged" in assessed.stderr and said in assessed.stderr


@pytest.mark.parametrize("renamed", [False, True], ids=["its name", "its old name"])
def test_a_record_written_under_a_sources_name_stays_that_sources_through_later_merges(cli, tmp_path, monkeypatch,
                                                                                        renamed):
    # Adopted as merged into the source that has the name (or has it as an alias), on record as
    # a merge, so that the settling of a later desk merge keeps it so on every desk.
    monkeypatch.setenv("VERITY_DESK", "kabul")
    a, b, c = (tmp_path / f"{name}.db" for name in "abc")
    for args in (["init"], ["source", "add", "Witness One", "--reliability", "B"],
                 ["claim", "add", "The strike hit a school", "--key", "strike"],
                 ["stance", "add", "strike", "Witness One", "affirms"]):
        assert cli("--db", a, *args).exit_code == 0
    if renamed:
        assert cli("--db", a, "source", "edit", "Witness One", "--name", "Witness Uno", "--reason", "r").exit_code == 0
    shutil.copy(a, b)
    _insert(a, "INSERT INTO sources (name) VALUES ('witness one')",
            "INSERT INTO stances (claim_id, source_id, position, logged_at, logged_by) SELECT 1, id, 'denies', "
            "'2026-01-02T00:00:00Z', 'rawtool' FROM sources WHERE name = 'witness one'")
    kept = "Witness Uno" if renamed else "Witness One"
    monkeypatch.setenv("VERITY_DESK", "delhi")
    assert cli("--db", c, "init").exit_code == 0 and cli("--db", c, "claim", "add", "Else", "--key", "e").exit_code == 0
    for desk, into, other in (("kabul", a, c), ("london", b, a), ("kabul", a, b)):
        monkeypatch.setenv("VERITY_DESK", desk)
        assert cli("--db", into, "merge", other).exit_code == 0
    for db in (a, b):
        listed = json.loads(cli("--db", db, "source", "list", "--json").stdout)
        assert [(s["name"], s["reliability"], s["stances"]) for s in listed] == [(kept, "B", 2)]
