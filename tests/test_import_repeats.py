"""A stance whose uid another stance of the same file has follows the one rule a stance logged
before the import follows (docs/import-export.md): identical, it is skipped; its uid made from its
content (which leaves out its note) and saying otherwise, it is another stance, with a uid made
from that uid and its note; given by the file to two stances that differ, it is refused, naming
both. Near or far apart in the file, into an empty database or one with stances, the same."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from test_import import snapshot
from test_import_large import balti_records, in_batches, jsonl

from verity.importer import records as importing

HEADER = "claim,source,position,quote,said_on,note\n"
ROW = "k,Alpha,affirms,Q,2022-01-01,{}\n"
UID = "01b00000-0000-7000-8000-00000000abcd"


def run(cli, *args):
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def empty(cli, tmp_path):
    """A new database with the claim 'k' and the source 'Alpha', and no stance."""
    def make(name: str = "x.db") -> Path:
        db = tmp_path / name
        run(cli, "--db", db, "init")
        run(cli, "--db", db, "source", "add", "Alpha")
        run(cli, "--db", db, "claim", "add", "Some claim", "--key", "k")
        return db
    return make


def stances(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT note, uid FROM stances ORDER BY id").fetchall()


def summary(cli, db: Path, path: Path, *args) -> tuple[int, int]:
    """(stances logged, stances already logged) by an import that must succeed."""
    result = json.loads(run(cli, "--db", db, "import", path, "--json", *args).stdout)
    return result["stances"], result["stances_present"]


def document(tmp_path: Path, notes: list[str], **fields) -> Path:
    path = tmp_path / "stances.json"
    path.write_text(json.dumps({"verity": 1, "sources": [], "claims": [], "stances": [
        {"claim": "k", "source": "Alpha", "position": "affirms", "quote": "Q", "said_on": "2022-01-01",
         "note": note, **fields} for note in notes]}), encoding="utf-8")
    return path


def csv_file(tmp_path: Path, notes: list[str], name: str = "stances.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(ROW.format(note) for note in notes), encoding="utf-8")
    return path


@pytest.mark.parametrize("make", [
    csv_file,
    document,
    lambda tmp_path, notes: document(tmp_path, notes, logged_at="2022-02-01T00:00:00Z", logged_by="desk"),
], ids=["csv", "json", "json-logged-at-and-by"])
def test_a_repeated_uid_that_says_otherwise_is_another_stance_in_one_file_as_in_two(cli, tmp_path, empty, make):
    one = empty("one.db")
    assert summary(cli, one, make(tmp_path, ["first note", "second note", "first note"])) == (2, 1)
    assert [note for note, _uid in stances(one)] == ["first note", "second note"]
    # the same file again: nothing new
    assert summary(cli, one, make(tmp_path, ["first note", "second note", "first note"])) == (0, 3)
    two = empty("two.db")
    assert summary(cli, two, make(tmp_path, ["first note"])) == (1, 0)
    assert summary(cli, two, make(tmp_path, ["second note"])) == (1, 0)
    # in one go or in two, on any desk: the same stances, with the same uids
    assert stances(two) == stances(one)
    assert len({uid for _note, uid in stances(one)}) == 2


def test_a_third_note_gets_a_uid_of_its_own(cli, tmp_path, empty):
    db = empty()
    assert summary(cli, db, csv_file(tmp_path, ["a", "b", "c", "b", "c", "a"])) == (3, 3)
    assert [note for note, _uid in stances(db)] == ["a", "b", "c"]
    assert len({uid for _note, uid in stances(db)}) == 3


@pytest.mark.parametrize("fmt", ["csv", "json", "stdin"])
def test_one_uid_given_to_two_stances_that_differ_is_refused_naming_both(cli, tmp_path, empty, fmt):
    db = empty()
    if fmt == "json":
        path = document(tmp_path, ["first note", "second note"], uid=UID)
        places = ("$.stances[0]", "$.stances[1].note")
    else:
        path = tmp_path / "stances.csv"
        path.write_text(HEADER.replace("\n", ",uid\n") + "".join(
            ROW.format(note).replace("\n", f",{UID}\n") for note in ("first note", "first note", "second note")))
        places = ("line 2", "line 4, column note")
    before = snapshot(db)
    args = ("-", "--format", "csv") if fmt == "stdin" else (path,)
    result = cli("--db", db, "import", *args, input=path.read_text() if fmt == "stdin" else None)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: stance {UID} differs from the stance at {places[0]} with the same uid (note: 'first note' at "
        f"{places[0]}, 'second note' here); a uid names one stance: make them agree, or remove this one's uid and "
        f"logged_at to log it as another stance @ {places[1]}; nothing was imported\n")
    assert snapshot(db) == before


def test_a_retraction_only_one_of_them_has_is_a_difference(cli, tmp_path, empty):
    db = empty()
    stance = {"type": "stance", "claim": "k", "source": "Alpha", "position": "affirms", "uid": UID}
    path = jsonl(tmp_path / "stances.jsonl", [stance, {**stance, "retracted": {"reason": "misread"}}])
    result = cli("--db", db, "import", path)
    assert result.exit_code == 1
    assert (f"stance {UID} differs from the stance at line 1 with the same uid (retracted: none at line 1, "
            "'misread' here)") in result.stderr
    assert "@ line 2, $.retracted.reason; nothing was imported" in result.stderr


# -- far apart: in other batches, read ahead or not ------------------------------------------------


def repeated(records: list[dict], n: int, **fields) -> dict:
    """A copy of the n-th stance of `records`, with `fields` changed."""
    return {**[r for r in records if r["type"] == "stance"][n], **fields}


@pytest.mark.parametrize("before", [False, True], ids=["into-empty", "into-one-with-stances"])
def test_repeats_far_apart_follow_the_same_rule(tmp_path, monkeypatch, before):
    records = balti_records()
    earlier = []
    if before:  # stances logged before, none of them this file's
        other = [r for r in records if r["type"] != "stance"] + [repeated(records, 0, note="another desk's")]
        earlier = [jsonl(tmp_path / "other.jsonl", other)]
    records += [repeated(records, 1), repeated(records, 2, note="a corrected note"), repeated(records, 2),
                repeated(records, 2, note="a corrected note")]
    outcome, found = in_batches(tmp_path, monkeypatch, jsonl(tmp_path / "repeats.jsonl", records), earlier)
    # (the stance logged before has another note than the file's: another stance)
    assert outcome == (f"Imported {14 * (not before)} sources, {17 * (not before)} claims, 34 stances from the file "
                       f"({'14 sources and 17 claims already there; ' * before}3 stances already logged, skipped).")
    notes = [row[8] for row in found["stances"]]
    assert notes.count("a corrected note") == 1 and len(notes) == 34 + before


def test_a_uid_given_to_two_stances_far_apart_is_refused_naming_both(tmp_path, monkeypatch):
    records = balti_records()
    records[31]["uid"] = UID
    records += [repeated(records, 0), dict(records[31]), {**records[31], "quote": "Another quote"}]
    outcome, found = in_batches(tmp_path, monkeypatch, jsonl(tmp_path / "repeats.jsonl", records))
    assert outcome.startswith(f"Conflict: stance {UID} differs from the stance at line 32 with the same uid "
                              "(quote: 'A senior security official")
    assert outcome.endswith("'Another quote' here); a uid names one stance: make them agree, or remove this one's "
                            f"uid and logged_at to log it as another stance @ line {len(records)}, $.quote; "
                            "nothing was imported")
    assert found["stances"] == []


@pytest.mark.slow  # a process of verity importing a batch and more through a named pipe
def test_far_apart_from_standard_input_the_first_is_said_to_be_earlier(cli, tmp_path, empty, monkeypatch):
    monkeypatch.setattr(importing, "BATCH", 2)
    db = empty()
    path = tmp_path / "stances.csv"
    path.write_text(HEADER.replace("\n", ",uid\n") + "".join(
        ROW.format(note).replace("\n", f",{UID if note in 'xy' else ''}\n") for note in ("x", "a", "b", "c", "y")))
    result = cli("--db", db, "import", "-", "--format", "csv", input=path.read_text())
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: stance {UID} differs from the stance earlier in this file with the "
                                    "same uid (note: 'x' earlier, 'y' here)")
    # from the file itself, it is found
    result = cli("--db", db, "import", path)
    assert "differs from the stance at line 2 with the same uid (note: 'x' at line 2, 'y' here)" in result.stderr
    # from a named pipe, read once as standard input is (reading it again would wait for ever)
    import os
    import subprocess
    import sys

    monkeypatch.undo()  # the process run below has the real BATCH
    from verity.importer.records import BATCH

    fifo = tmp_path / "stances.pipe"
    os.mkfifo(fifo)
    import threading

    importing_it = subprocess.Popen([sys.executable, "-m", "verity", "--db", str(db), "import", str(fifo),
                                     "--format", "csv"], stderr=subprocess.PIPE, text=True)
    # the repeat a batch further on than its first (the process cannot be given a smaller BATCH);
    # written aside, so that a process that never opens the pipe fails the test rather than hangs it
    text = ("claim,source,position,quote,said_on,note,uid\n" + f"k,Alpha,affirms,Q,2022-01-01,x,{UID}\n"
            + "".join(f"k,Alpha,affirms,Q{n},2022-01-01,,\n" for n in range(BATCH + 1))
            + f"k,Alpha,affirms,Q,2022-01-01,y,{UID}\n")
    threading.Thread(target=fifo.write_text, args=(text,), daemon=True).start()
    try:
        _out, err = importing_it.communicate(timeout=60)
    finally:
        importing_it.kill()
    assert "differs from the stance earlier in this file with the same uid (note: 'x' earlier" in err, err


# -- how a difference shows its values ------------------------------------------------------------


def test_a_claims_differences_show_values_as_they_are_written(cli, balti_db, tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"verity": 1, "sources": [{"name": "Pakistani senior security official",
                                                            "kind": "official's view"}], "stances": [],
                                "claims": [{"key": "balti-was-killed", "text": "x", "tags": ["a", "b"]}]}))
    result = cli("--db", balti_db, "import", path)
    assert result.exit_code == 1
    error = result.stderr
    assert "text: 'Mufti Khalid Balti alias Mohammad Khurasani was killed in…' in the database, 'x' here" in error
    assert "subject: 'Mufti Khalid Balti' in the database, none here" in error
    assert "tags: 'ttp, casualty, afghanistan, pakistan' in the database, 'a, b' here" in error
    assert "ruling_explanation: 'Two adversaries confirm the death: a Pakistani senior sec…' in the database" in error
    assert "kind: 'official' in the database, 'official's view' here" in error
    assert "None" not in error and '"' not in error and "()" not in error
