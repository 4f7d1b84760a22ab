"""Bad input through the real CLI: non-zero exit, one plain stderr line, nothing written."""

from __future__ import annotations

import hashlib
import os
import sqlite3

import pytest

from verity.errors import NotFound


@pytest.fixture
def seeded(cli, db_path, built_once):
    def steps(path):
        for args in (["init"], ["source", "add", "Afghan government spokesperson", "--affiliation", "Islamic Emirate"],
                     ["source", "add", "TTP spokesman", "--affiliation", "TTP"],
                     ["claim", "add", "Mufti Khalid Balti was killed", "--key", "balti-was-killed"],
                     ["stance", "add", "balti-was-killed", "TTP spokesman", "affirms"]):
            assert cli("--db", path, *args).exit_code == 0

    return built_once("seeded", steps, db_path)


def snapshot(path):
    data = {p: hashlib.sha256(open(p, "rb").read()).hexdigest()
            for p in (str(path), f"{path}-wal") if os.path.exists(p) and os.path.getsize(p)}
    return data


BAD = [
    # (arguments, words the message must contain)
    (["claim", "show", "balti-was-kiled"], ["no claim 'balti-was-kiled'", "did you mean 'balti-was-killed'"]),
    (["stance", "add", "balti-was-kiled", "TTP spokesman", "denies"], ["no claim", "did you mean"]),
    (["stance", "add", "balti-was-killed", "TTP spokesmen", "denies"], ["no source 'TTP spokesmen'", "did you mean 'TTP spokesman'"]),
    (["stance", "add", "balti-was-killed", "TTP spokesman", "deny"], ["'deny' is not a position", "did you mean 'denies'"]),
    (["stance", "add", "balti-was-killed", "TTP spokesman", "denies", "--said-on", "10/01/2022"], ["not an ISO date", "YYYY-MM-DD"]),
    (["stance", "add", "balti-was-killed", "TTP spokesman", "denies", "--said-on", "2022-02-30"], ["not a real date"]),
    (["stance", "add", "balti-was-killed", "TTP spokesman", "denies", "--said-on", "2022-01-10T25:00"], ["not a real date or time"]),
    (["source", "add", "Bill Roggio", "--reliability", "G"], ["'G' is not a reliability grade", "A, B, C, D, E, F"]),
    (["source", "add", "ttp SPOKESMAN"], ["already exists", "ignoring case"]),
    (["source", "add", "   "], ["source name is empty"]),
    (["claim", "add", ""], ["claim text is empty"]),
    (["claim", "add", "   "], ["claim text is empty"]),
    (["claim", "add", "Balti was killed again", "--key", "balti-was-killed"], ["already taken", "another --key"]),
    (["claim", "add", "Another", "--key", "Not A Slug"], ["not a slug", "'not-a-slug'"]),
    (["claim", "add", "?!"], ["cannot make a key", "--key"]),
    (["claim", "rule", "balti-was-killed", "mostly-flase"], ["not a ruling", "did you mean 'mostly-false'"]),
    (["claim", "rule", "nope", "true"], ["no claim 'nope'"]),
    (["claim", "rule", "balti-was-killed", ""], ["the ruling is empty", "give a ruling: true, mostly-true"]),
    (["stance", "add", "balti-was-killed", "TTP spokesman", " "], ["the position is empty", "give a position: affirms"]),
    (["claim", "list", "--verdict", "contestd"], ["not a verdict", "did you mean 'contested'"]),
    (["stance", "retract", "999", "--reason", "typo"], ["no stance with id 999", "from 1 to 1"]),
    (["stance", "retract", "1", "--reason", "  "], ["retraction reason is empty"]),
    (["stance", "retract", "first", "--reason", "typo"], ["stance id 'first' is not a number"]),
    (["reconcile", "no-such-claim"], ["no claim 'no-such-claim'"]),
    (["import", "stances.json", "--format", "xml"], ["'xml' is not an import format", "json, jsonl, csv"]),
    (["export", "--format", "jsonld"], ["'jsonld' is not an export format", "did you mean 'jsonl'"]),
    (["report", "--format", "pdf"], ["'pdf' is not a report format", "markdown, html"]),
]


@pytest.mark.parametrize("args,words", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_and_writes_nothing(cli, seeded, args, words):
    before = snapshot(seeded)
    result = cli(*args)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    for word in words:
        assert word in lines[0]
    assert "Traceback" not in result.stderr
    assert snapshot(seeded) == before


def test_an_empty_db_is_refused_not_taken_for_claims_db(cli, seeded, tmp_path, monkeypatch):
    """An empty --db (a variable that was never set, say) would else write to ./claims.db."""
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    result = cli("--db", "", "source", "add", "Typo")
    assert (result.exit_code, result.stderr) == (
        1, "Error: --db is empty; give a database file, or leave it out for ./claims.db\n")
    assert list((tmp_path / "work").iterdir()) == []
    monkeypatch.setenv("VERITY_DB", "")  # VERITY_DB=$DESK_DB, DESK_DB never set
    result = cli("source", "add", "Typo")
    assert (result.exit_code, result.stderr) == (
        1, "Error: VERITY_DB is empty; give a database file, or unset it for ./claims.db\n")
    assert list((tmp_path / "work").iterdir()) == []


def test_debug_shows_the_exception(cli, seeded, monkeypatch):
    monkeypatch.setenv("VERITY_DEBUG", "1")
    result = cli("claim", "show", "nope")
    assert result.exit_code != 0
    assert isinstance(result.exception, NotFound)


@pytest.mark.parametrize("kind", ["missing", "folder", "no-parent", "text", "foreign"])
def test_databases_that_cannot_be_opened(cli, tmp_path, kind):
    path = {
        "missing": tmp_path / "missing.db",
        "folder": tmp_path,
        "no-parent": tmp_path / "nowhere" / "x.db",
        "text": tmp_path / "notes.txt",
        "foreign": tmp_path / "other.db",
    }[kind]
    if kind == "text":
        path.write_text("not a database\n" * 200)
    if kind == "foreign":
        sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    before = path.read_bytes() if path.is_file() else None
    command = ["init"] if kind in ("no-parent", "text", "foreign") else ["claim", "list"]
    result = cli("--db", path, *command)
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("Error: ")
    assert "Traceback" not in result.stderr
    if before is not None:
        assert path.read_bytes() == before
    if kind == "missing":
        assert not path.exists()
        assert "verity init" in result.stderr
