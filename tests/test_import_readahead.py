"""A large JSONL file is read and checked in a second process (verity.readahead):
the import must come out the same, errors and all, as when it is read in this one."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest

from verity import readahead
from verity.errors import VerityError
from verity.importer import import_file
from verity.store import Store

from conftest import EXAMPLE_JSON
from test_import_streaming import write_lines

BALTI = json.loads(EXAMPLE_JSON.read_text(encoding="utf-8"))
NONE_ADAPTER = (type(None), sqlite3.PrepareProtocol)


def jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def balti_records() -> list[dict]:
    return [{"type": part[:-1], **record} for part in ("sources", "claims", "stances") for record in BALTI[part]]


def tables(path: Path) -> dict:
    conn = sqlite3.connect(path)
    try:
        found = {table: conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
                 for table in ("sources", "claims", "stances", "reconciliations")}
        found["search"] = conn.execute(
            "SELECT rowid FROM stances_fts WHERE stances_fts MATCH 'quote OR killed' ORDER BY rowid").fetchall()
        return found
    finally:
        conn.close()


def both_ways(tmp_path: Path, monkeypatch, lines: Path, before: list[Path] = ()) -> tuple:
    """(outcome, tables) of importing `lines` read here and read ahead, each into a new database
    that first gets the files `before`; the outcome is the summary line or the error."""
    monkeypatch.setenv("VERITY_USER", "desk")
    results = []
    for ahead in ("0", "1"):
        monkeypatch.setenv("VERITY_READAHEAD", ahead)
        db = tmp_path / f"ahead-{ahead}.db"
        with Store.create(db) as store:
            for earlier in before:
                import_file(store, earlier)
            try:
                outcome = import_file(store, lines).line("the file")
            except VerityError as exc:
                outcome = f"{type(exc).__name__}: {exc}"
        results.append((outcome, tables(db)))
    return results


def test_the_balti_case_reads_the_same_either_way(tmp_path, monkeypatch):
    here, ahead = both_ways(tmp_path, monkeypatch, jsonl(tmp_path / "balti.jsonl", balti_records()))
    assert here == ahead
    assert here[0] == "Imported 14 sources, 17 claims, 33 stances from the file."
    assert NONE_ADAPTER not in sqlite3.adapters  # registered only while the writer runs


def test_many_stances_with_retractions_and_claims_in_between(tmp_path, monkeypatch):
    lines = write_lines(tmp_path / "many.jsonl", 12_000, claims=300)
    records = [json.loads(line) for line in lines.read_text().splitlines()]
    records.insert(500, {"type": "claim", "key": "late-claim", "text": "A claim between stances", "tags": ["a", "b"]})
    records.append({"type": "stance", "claim": "late-claim", "source": "Source 3", "position": "denies",
                    "quote": "Exactly this: \u0000 NUL, \u2028 é, 🙂", "logged_at": "2022-03-01T00:00:00Z"})
    for n in (700, 5_000, 9_999):  # logged already retracted: the full check, the same rows
        records[n]["retracted"] = {"reason": "wrong source", "at": "2022-03-02T00:00:00Z", "by": "desk"}
    here, ahead = both_ways(tmp_path, monkeypatch, jsonl(tmp_path / "mixed.jsonl", records))
    assert here == ahead
    assert here[0].startswith("Imported 40 sources, 301 claims, 12,001 stances")
    assert here[1]["stances"][-1][4] == "Exactly this: \u0000 NUL, \u2028 é, 🙂"


def test_every_kind_of_problem_is_reported_the_same_way(tmp_path, monkeypatch):
    records = balti_records()
    records[0]["reliability"] = "Z"  # a source that fails its check
    records[20]["text"] = "  "  # a claim that fails its check
    records[21] = {**records[21], "type": "claim", "key": records[22]["key"]}  # the same key, other fields
    records[40]["position"] = "maybe"
    records[41]["claim"] = "no-such-claim"
    records[42]["source"] = "No Such Source"
    records[43]["said_on"] = "2022-02-30"
    records[44]["type"] = "stanse"
    lines = jsonl(tmp_path / "bad.jsonl", records)
    with open(lines, "a") as out:
        out.write("{not json\n[1, 2]\n")
    here, ahead = both_ways(tmp_path, monkeypatch, lines)
    assert here == ahead
    assert here[0].startswith("InvalidValue: 11 problems in")
    assert here[1]["stances"] == []


def test_into_a_database_that_has_them_already(tmp_path, monkeypatch):
    lines = jsonl(tmp_path / "balti.jsonl", balti_records())
    here, ahead = both_ways(tmp_path, monkeypatch, lines, before=[lines])
    assert here == ahead
    assert "33 stances already logged, skipped" in here[0]


def test_a_child_that_fails_stops_the_import_with_a_plain_error(tmp_path, monkeypatch):
    monkeypatch.setattr(readahead, "COMMAND", [sys.executable, "-c", "import sys; sys.exit('disk on fire')"])
    monkeypatch.setenv("VERITY_READAHEAD", "1")
    lines = jsonl(tmp_path / "balti.jsonl", balti_records())
    with Store.create(tmp_path / "x.db") as store:
        with pytest.raises(VerityError) as failure:
            import_file(store, lines)
        assert store.counts() == {"sources": 0, "claims": 0, "stances": 0}
    assert str(failure.value) == (f"reading {lines} in a second process failed (disk on fire); "
                                  "set VERITY_READAHEAD=0 to read it in this one")
    assert NONE_ADAPTER not in sqlite3.adapters


def test_progress_is_told_every_byte(tmp_path, monkeypatch):
    monkeypatch.setenv("VERITY_READAHEAD", "1")
    lines = write_lines(tmp_path / "many.jsonl", 5_000)
    told = []
    with Store.create(tmp_path / "x.db") as store:
        import_file(store, lines, progress=told.append)
    assert told == sorted(told) and told[-1] == lines.stat().st_size and len(told) > 2


def test_which_files_are_read_ahead(tmp_path, monkeypatch):
    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    small.write_bytes(b"\n" * 10)
    large.write_bytes(b"\n" * 100)
    monkeypatch.delenv("VERITY_READAHEAD", raising=False)
    monkeypatch.setattr(readahead, "MIN_BYTES", 50)
    assert [readahead.wanted(small), readahead.wanted(large)] == [False, True]
    monkeypatch.setenv("VERITY_READAHEAD", "0")
    assert not readahead.wanted(large)
    monkeypatch.setenv("VERITY_READAHEAD", "1")
    assert readahead.wanted(small)
    monkeypatch.delenv("VERITY_READAHEAD")
    monkeypatch.setattr(sys, "executable", "")  # an embedded Python has no interpreter to start
    assert not readahead.wanted(large)


def test_the_child_runs_this_verity_whatever_folder_it_is_started_in(tmp_path, monkeypatch):
    # `python -m verity.readahead` would import a `verity` folder in the working directory first.
    impostor = tmp_path / "elsewhere" / "verity"
    impostor.mkdir(parents=True)
    (impostor / "__init__.py").write_text("raise ImportError('not this verity')\n")
    monkeypatch.chdir(impostor.parent)
    monkeypatch.setenv("VERITY_READAHEAD", "1")
    lines = jsonl(tmp_path / "balti.jsonl", balti_records())
    with Store.create(tmp_path / "x.db") as store:
        assert import_file(store, lines).stances == 33
