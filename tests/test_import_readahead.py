"""A large JSONL file is read and checked in a second process (verity.readahead):
the import must come out the same, errors and all, as when it is read in this one."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest
from support import EXAMPLE_JSON
from test_import_streaming import write_lines

from verity import readahead
from verity.errors import VerityError
from verity.importer import import_file
from verity.store import Store

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


# Into a database with no stances, the writer finds each stance's claim by its key (no map of
# keys is kept in memory). What it finds wrong must be said as the import read here says it:
# in file order, once per key, with forward references refused, repeated claims compared.

def many(tmp_path: Path, stances: int = 12_000, claims: int = 300) -> list[dict]:
    lines = write_lines(tmp_path / "many.jsonl", stances, claims=claims)
    return [json.loads(line) for line in lines.read_text().splitlines()]


HEAD = 40 + 300  # the sources and claims before write_lines' stances


def line_of(records: list[dict], record: dict) -> int:
    return next(n for n, r in enumerate(records, 1) if r is record)


def test_problems_the_writer_finds_are_said_in_file_order(tmp_path, monkeypatch):
    records = many(tmp_path)
    stances = records[HEAD:]
    # Unknown claims (said once each); claims defined after the stance (refused, as
    # here), on their own in the writer's statement and after a repeated claim.
    for n, key in ((400, "nope-1"), (450, "late-claim"), (2_471, "next-claim"), (5_450, "later-claim"),
                   (8_000, "nope-2"), (9_000, "nope-1")):
        stances[n]["claim"] = key
    stances[8_000]["retracted"] = {"reason": "wrong source", "at": "2022-03-02T00:00:00Z"}  # the full check
    bad = [stances[n] for n in (400, 450, 2_471, 5_450, 8_000)]
    claims = {n: {"type": "claim", "key": key, "text": text} for n, key, text in (
        (460, "late-claim", "Defined late"), (2_470, "claim-5", "Claim number 5"),  # the same claim again
        (2_472, "next-claim", "Defined late"), (5_460, "later-claim", "Defined late"),
        (10_000, "claim-6", "Not claim 6"), (10_001, "claim-5", "Claim number 5"))}
    for n in sorted(claims, reverse=True):
        records.insert(HEAD + n, claims[n])
    bad.append(claims[10_000])
    here, ahead = both_ways(tmp_path, monkeypatch, jsonl(tmp_path / "bad.jsonl", records))
    assert here == ahead
    lines = here[0].splitlines()
    assert lines[0].startswith("InvalidValue: 6 problems in")  # not Conflict: not all conflicts
    assert [line.split(" @ ")[1] for line in lines[1:]] == [
        f"line {line_of(records, r)}, $" + (".claim" if r["type"] == "stance" else "") for r in bad]
    assert "claim 'claim-6' differs from the one earlier in this file" in lines[6]
    assert here[1]["claims"] == here[1]["stances"] == []


def test_problems_found_here_and_by_the_writer_are_said_in_file_order(tmp_path, monkeypatch):
    records = many(tmp_path)
    records[HEAD + 400]["claim"] = "nope-1"
    records[HEAD + 3_000].update(claim="nope-2", source="No Such Source")  # the claim first, then the source
    records[HEAD + 3_001]["position"] = "maybe"
    records[HEAD + 8_000]["claim"] = "nope-1"
    records[HEAD + 8_001]["claim"] = "nope-3"
    records.insert(HEAD + 9_000, {"type": "claim", "key": "claim-6", "text": "Not claim 6"})
    here, ahead = both_ways(tmp_path, monkeypatch, jsonl(tmp_path / "bad.jsonl", records))
    assert here == ahead
    places = [line.split(" @ ")[1] for line in here[0].splitlines()[1:]]
    assert places == [f"line {HEAD + 401}, $.claim", f"line {HEAD + 3_001}, $.claim",
                      f"line {HEAD + 3_001}, $.source", f"line {HEAD + 3_002}, $.position",
                      f"line {HEAD + 8_002}, $.claim", f"line {HEAD + 9_001}, $"]


def test_repeated_claims_leave_no_gap_in_the_ids(tmp_path, monkeypatch):
    records = many(tmp_path)
    repeat = {"type": "claim", "key": "claim-5", "text": "Claim number 5"}
    records.insert(HEAD - 100, dict(repeat))
    records.insert(HEAD + 2_000, dict(repeat))
    for n in range(3):
        records.insert(HEAD + 2_001 + n, {"type": "claim", "key": f"new-{n}", "text": f"New claim {n}"})
    records.insert(HEAD + 2_010, {**records[HEAD + 2_010], "claim": "new-2"})
    records.insert(HEAD + 9_000, dict(repeat))
    records.append({**records[-1], "claim": " new-1 "})  # spaces around a key are not part of it
    here, ahead = both_ways(tmp_path, monkeypatch, jsonl(tmp_path / "repeats.jsonl", records))
    assert here == ahead
    assert here[0].startswith("Imported 40 sources, 303 claims, 12,002 stances from the file.")
    assert [row[0] for row in here[1]["claims"]] == list(range(1, 304))


def test_claims_there_before_any_stance(tmp_path, monkeypatch):
    records = many(tmp_path)
    claims = jsonl(tmp_path / "claims.jsonl", [r for r in records if r["type"] != "stance"][:200])
    records.insert(HEAD + 50, {"type": "claim", "key": "fresh", "text": "A claim not there before"})
    records.append({**records[-1], "claim": "fresh"})
    lines = jsonl(tmp_path / "all.jsonl", records)
    here, ahead = both_ways(tmp_path, monkeypatch, lines, before=[claims])
    assert here == ahead
    assert here[0] == ("Imported 0 sources, 141 claims, 12,001 stances from the file "
                       "(40 sources and 160 claims already there).")
    records[300]["text"] = "Claim number 260, told otherwise"  # claim-260: there before, with other text
    here, ahead = both_ways(tmp_path, monkeypatch, jsonl(tmp_path / "other.jsonl", records), before=[claims])
    assert here == ahead
    assert here[0].startswith("Conflict: claim 'claim-260' differs from the one already in the database")


def test_a_claim_there_before_written_otherwise_by_another_tool(tmp_path, monkeypatch):
    # The same claim, its tags as JSON without spaces: the writer cannot tell it is the same,
    # the importer can; the import then goes on, looking claims up in the database.
    records = many(tmp_path)
    records[40 + 3]["tags"] = ["a", "b"]
    records.insert(HEAD, {"type": "claim", "key": "after", "text": "A claim after the one there"})
    records.append({**records[-1], "claim": "after"})
    records.append({"type": "claim", "key": "last", "text": "A claim after it is found out"})
    records.append({**records[-2], "claim": "last"})
    lines = jsonl(tmp_path / "all.jsonl", records)
    results = []
    for ahead in ("0", "1"):
        monkeypatch.setenv("VERITY_READAHEAD", ahead)
        db = tmp_path / f"ahead-{ahead}.db"
        with Store.create(db) as store:
            with store.conn:
                store.conn.execute("INSERT INTO claims (key, text, tags) VALUES ('claim-3', 'Claim number 3', '[\"a\",\"b\"]')")
            outcome = import_file(store, lines).line("the file")
        results.append((outcome, tables(db)))
    assert results[0] == results[1]
    assert results[0][0] == ("Imported 40 sources, 301 claims, 12,002 stances from the file "
                             "(1 claim already there).")
    assert [row[0] for row in results[0][1]["claims"]] == list(range(1, 303))
