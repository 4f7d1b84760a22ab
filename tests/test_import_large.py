"""A large import: stances are written in batches, and the outcome — rows, summary, every
error and its place — is the same wherever the batches fall."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest
from support import EXAMPLE_JSON, write_lines

from verity.errors import VerityError
from verity.importer import ahead, import_file
from verity.importer import records as importing
from verity.models import Stance
from verity.store import Store

pytestmark = pytest.mark.slow  # big data: thousands of stances a test; left out of the quick run

BALTI = json.loads(EXAMPLE_JSON.read_text(encoding="utf-8"))
BATCH = importing.BATCH


def jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def balti_records() -> list[dict]:
    return [{"type": part[:-1], **record} for part in ("sources", "claims", "stances") for record in BALTI[part]]


def tables(path: Path) -> dict:
    conn = sqlite3.connect(path)
    try:
        found = {}
        for table in ("sources", "claims", "stances", "reconciliations"):
            # when a record was made here differs between two imports, not what it is
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})") if row[1] != "created_at"]
            found[table] = conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY 1").fetchall()
        found["search"] = conn.execute(
            "SELECT rowid FROM stances_fts WHERE stances_fts MATCH 'quote OR killed' ORDER BY rowid").fetchall()
        return found
    finally:
        conn.close()


def in_batches(tmp_path: Path, monkeypatch, lines: Path, before: list[Path] = ()) -> tuple:
    """(outcome, tables) of importing `lines` with the usual batches, with batches of 7
    stances, and read ahead by a second process (verity.importer.ahead) that makes each
    record ready or leaves that to the importer, each into a new database that first gets
    the files `before`; they must agree. The outcome is the
    summary line or the error."""
    monkeypatch.setenv("VERITY_USER", "desk")
    results, sent, starved = [], ahead.BATCH, ahead._starved
    for batch, read_ahead, raw in ((BATCH, False, False), (7, False, False), (BATCH, True, False), (BATCH, True, True)):
        monkeypatch.setattr(importing, "BATCH", batch)
        monkeypatch.setattr(ahead, "MIN_BYTES", 0 if read_ahead else 1 << 60)
        # raw: the reader leaves every record after the first three to this process to make ready, as
        # it does while this one waits for it (ahead._starved); the forked child inherits the change
        monkeypatch.setattr(ahead, "BATCH", 3 if raw else sent)
        monkeypatch.setattr(ahead, "_starved", (lambda sending: True) if raw else starved)
        # The suite's in-process Datasette servers leave threads behind; the child reads nothing they hold.
        monkeypatch.setattr(ahead, "forkable", lambda: True)
        assert ahead.can_read_ahead(lines, "jsonl") == read_ahead
        db = tmp_path / f"batch-{batch}-{read_ahead}-{raw}.db"
        with Store.create(db) as store:
            for earlier in before:
                import_file(store, earlier)
            try:
                outcome = import_file(store, lines).line("the file")
            except VerityError as exc:
                outcome = f"{type(exc).__name__}: {exc}"
        results.append((outcome, tables(db)))
    assert results[0] == results[1] == results[2] == results[3]
    return results[0]


def test_the_balti_case_and_no_process_wide_change(tmp_path, monkeypatch):
    adapters, interval = dict(sqlite3.adapters), sys.getswitchinterval()
    outcome, _tables = in_batches(tmp_path, monkeypatch, jsonl(tmp_path / "balti.jsonl", balti_records()))
    assert outcome == "Imported 14 sources, 17 claims, 33 stances from the file."
    assert sqlite3.adapters == adapters and sys.getswitchinterval() == interval


@pytest.mark.slow
def test_many_stances_with_retractions_and_claims_in_between(tmp_path, monkeypatch):
    lines = write_lines(tmp_path / "many.jsonl", 12_000, claims=300)
    records = [json.loads(line) for line in lines.read_text().splitlines()]
    records.insert(500, {"type": "claim", "key": "late-claim", "text": "A claim between stances", "tags": ["a", "b"]})
    records.append({"type": "stance", "claim": "late-claim", "source": "Source 3", "position": "denies",
                    "quote": "Exactly this: \u0007 bell, \u2028 é, 🙂", "logged_at": "2022-03-01T00:00:00Z"})
    for n in (700, 5_000, 9_999):  # logged already retracted: the full check, the same rows
        records[n]["retracted"] = {"reason": "wrong source", "at": "2022-03-02T00:00:00Z", "by": "desk"}
    outcome, found = in_batches(tmp_path, monkeypatch, jsonl(tmp_path / "mixed.jsonl", records))
    assert outcome.startswith("Imported 40 sources, 301 claims, 12,001 stances")
    assert found["stances"][-1][4] == "Exactly this: \u0007 bell, \u2028 é, 🙂"
    assert [row[0] for row in found["stances"] if row[12]] == [n - 340 for n in (700, 5_000, 9_999)]  # reason


def test_every_kind_of_problem_is_said(tmp_path, monkeypatch):
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
    outcome, found = in_batches(tmp_path, monkeypatch, lines)
    assert outcome.startswith("InvalidValue: 11 problems in")
    assert found["stances"] == [] and found["claims"] == []


def test_into_a_database_that_has_them_already(tmp_path, monkeypatch):
    lines = jsonl(tmp_path / "balti.jsonl", balti_records())
    outcome, found = in_batches(tmp_path, monkeypatch, lines, before=[lines])
    assert "33 stances already logged, skipped" in outcome
    assert len(found["stances"]) == 33


def test_progress_is_told_every_byte(tmp_path):
    lines = write_lines(tmp_path / "many.jsonl", 5_000)
    told = []
    with Store.create(tmp_path / "x.db") as store:
        import_file(store, lines, progress=told.append)
    assert told == sorted(told) and told[-1] == lines.stat().st_size and len(told) > 2


# A stance's claim and source are found as it is staged, among those read before it; the
# stances are written a batch at a time. What is not found must be said as if each line were
# checked as it is read: in file order, once per key, with forward references refused and
# repeated claims compared.

def many(tmp_path: Path, stances: int = 12_000, claims: int = 300) -> list[dict]:
    lines = write_lines(tmp_path / "many.jsonl", stances, claims=claims)
    return [json.loads(line) for line in lines.read_text().splitlines()]


HEAD = 40 + 300  # the sources and claims before write_lines' stances


def line_of(records: list[dict], record: dict) -> int:
    return next(n for n, r in enumerate(records, 1) if r is record)


def test_problems_found_in_batches_are_said_in_file_order(tmp_path, monkeypatch):
    records = many(tmp_path)
    stances = records[HEAD:]
    # Unknown claims (said once each); claims defined after the stance (refused), on their
    # own in a batch and after a repeated claim.
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
    outcome, found = in_batches(tmp_path, monkeypatch, jsonl(tmp_path / "bad.jsonl", records))
    lines = outcome.splitlines()
    assert lines[0].startswith("InvalidValue: 6 problems in")  # not Conflict: not all conflicts
    assert [line.split(" @ ")[1] for line in lines[1:]] == [
        f"line {line_of(records, r)}, $" + (".claim" if r["type"] == "stance" else "") for r in bad]
    assert "claim 'claim-6' differs from the one earlier in this file" in lines[6]
    assert found["claims"] == found["stances"] == []


def test_problems_found_as_read_and_in_batches_are_said_in_file_order(tmp_path, monkeypatch):
    records = many(tmp_path)
    records[HEAD + 400]["claim"] = "nope-1"
    records[HEAD + 3_000].update(claim="nope-2", source="No Such Source")  # the claim first, then the source
    records[HEAD + 3_001]["position"] = "maybe"
    records[HEAD + 8_000]["claim"] = "nope-1"
    records[HEAD + 8_001]["claim"] = "nope-3"
    records.insert(HEAD + 9_000, {"type": "claim", "key": "claim-6", "text": "Not claim 6"})
    outcome, _found = in_batches(tmp_path, monkeypatch, jsonl(tmp_path / "bad.jsonl", records))
    places = [line.split(" @ ")[1] for line in outcome.splitlines()[1:]]
    assert places == [f"line {HEAD + 401}, $.claim", f"line {HEAD + 3_001}, $.claim",
                      f"line {HEAD + 3_001}, $.source", f"line {HEAD + 3_002}, $.position",
                      f"line {HEAD + 8_002}, $.claim", f"line {HEAD + 9_001}, $"]


def test_a_problem_far_into_a_file_names_its_line_and_writes_nothing(tmp_path):
    records = many(tmp_path, stances=3 * BATCH)
    records[-2]["source"] = "Nobody at all"
    lines = jsonl(tmp_path / "late.jsonl", records)
    with Store.create(tmp_path / "x.db") as store:
        with pytest.raises(VerityError) as failure:
            import_file(store, lines)
        assert store.counts() == {"sources": 0, "claims": 0, "stances": 0}
    assert str(failure.value) == (f"no source 'Nobody at all'; add the source on an earlier line, or first with "
                                  f"'verity source add' @ line {len(records) - 1}, $.source; nothing was imported")


@pytest.mark.slow
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
    outcome, found = in_batches(tmp_path, monkeypatch, jsonl(tmp_path / "repeats.jsonl", records))
    assert outcome.startswith("Imported 40 sources, 303 claims, 12,002 stances from the file.")
    assert [row[0] for row in found["claims"]] == list(range(1, 304))


@pytest.mark.slow
def test_claims_there_before_any_stance(tmp_path, monkeypatch):
    records = many(tmp_path)
    claims = jsonl(tmp_path / "claims.jsonl", [r for r in records if r["type"] != "stance"][:200])
    records.insert(HEAD + 50, {"type": "claim", "key": "fresh", "text": "A claim not there before"})
    records.append({**records[-1], "claim": "fresh"})
    lines = jsonl(tmp_path / "all.jsonl", records)
    outcome, _found = in_batches(tmp_path, monkeypatch, lines, before=[claims])
    assert outcome == ("Imported 0 sources, 141 claims, 12,001 stances from the file "
                       "(40 sources and 160 claims already there).")
    records[300]["text"] = "Claim number 260, told otherwise"  # claim-260: there before, with other text
    outcome, _found = in_batches(tmp_path, monkeypatch, jsonl(tmp_path / "other.jsonl", records), before=[claims])
    assert outcome.startswith("Conflict: claim 'claim-260' differs from the one already in the database")


def test_a_claim_there_before_written_otherwise_by_another_tool(tmp_path):
    # The same claim, its tags as JSON without spaces: the same claim all the same.
    records = many(tmp_path)
    records[40 + 3]["tags"] = ["a", "b"]
    records.insert(HEAD, {"type": "claim", "key": "after", "text": "A claim after the one there"})
    records.append({**records[-1], "claim": "after"})
    records.append({"type": "claim", "key": "last", "text": "A claim after it is found out"})
    records.append({**records[-2], "claim": "last"})
    lines = jsonl(tmp_path / "all.jsonl", records)
    with Store.create(tmp_path / "x.db") as store:
        with store.conn:
            store.conn.execute("INSERT INTO claims (key, text, tags) VALUES ('claim-3', 'Claim number 3', '[\"a\",\"b\"]')")
        outcome = import_file(store, lines).line("the file")
    assert outcome == ("Imported 40 sources, 301 claims, 12,002 stances from the file "
                       "(1 claim already there).")
    assert [row[0] for row in tables(tmp_path / "x.db")["claims"]] == list(range(1, 303))


# -- what SQLite is given, and what it refuses ----------------------------------------------


def _jsonl_stances(path: Path, texts: list[str]) -> Path:
    records = [{"type": "source", "name": "S"}, {"type": "claim", "key": "c", "text": "C"}]
    records += [{"type": "stance", "claim": "c", "source": "S", "position": "affirms", "quote": text,
                 "note": text, "via": text, "logged_at": f"2022-01-01T00:00:{i:02d}Z"}
                for i, text in enumerate(texts)]
    return jsonl(path, records)


def test_text_arrives_exactly_as_given(tmp_path):
    texts = ["emoji 🙂 and ümlaut", 'quote " and \\ backslash', "tab\tand\nnewline", "line \u2028 separator",
             "x" * 5000, "0", "null", "[1]", "bell \u0007 inside"]
    with Store.create(tmp_path / "v.db") as store:
        import_file(store, _jsonl_stances(tmp_path / "odd.jsonl", texts))
        rows = store.conn.execute("SELECT quote, note, via FROM stances ORDER BY id").fetchall()
    assert rows == [(text, text, text) for text in texts]


def test_claims_between_batches_of_stances_see_every_earlier_stance(tmp_path):
    records = [{"type": "source", "name": "S"}]
    for c in range(3):
        records.append({"type": "claim", "key": f"c{c}", "text": f"Claim {c}"})
        records += [{"type": "stance", "claim": f"c{c}", "source": "S", "position": "denies",
                     "logged_at": f"2022-01-01T00:00:00.{n:06d}Z"} for n in range(BATCH + 7)]
    path = jsonl(tmp_path / "mixed.jsonl", records)
    with Store.create(tmp_path / "v.db") as store:
        summary = import_file(store, path)
        assert summary.stances == 3 * (BATCH + 7)
        counts = store.conn.execute(
            "SELECT c.key, count(*) FROM stances s JOIN claims c ON c.id = s.claim_id GROUP BY c.key").fetchall()
        assert counts == [(f"c{c}", BATCH + 7) for c in range(3)]
        assert [r.verdict for r in store.reconciliations()] == ["single-source"] * 3


def test_a_failure_in_sqlite_rolls_the_whole_import_back(tmp_path):
    records = [{"type": "source", "name": "S"}, {"type": "claim", "key": "c", "text": "C"}]
    records += [{"type": "stance", "claim": "c", "source": "S", "position": "affirms",
                 "quote": "boom" if n == BATCH + 3 else "fine", "logged_at": f"2022-01-01T00:00:00.{n:06d}Z"}
                for n in range(3 * BATCH)]
    path = jsonl(tmp_path / "boom.jsonl", records)
    with Store.create(tmp_path / "v.db") as store:
        # Something only SQLite refuses, in the second batch.
        store.conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON stances WHEN NEW.quote = 'boom' "
                           "BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END")
        with pytest.raises(Exception, match="refused by a trigger"):
            import_file(store, path)
        assert store.counts() == {"sources": 0, "claims": 0, "stances": 0}
        assert not store.conn.in_transaction
        # The connection works as before: the next import goes through.
        store.conn.execute("DROP TRIGGER refuse")
        assert import_file(store, path).stances == 3 * BATCH


def test_the_full_text_index_matches_every_stance(tmp_path):
    words = ["convoy", "ceasefire", "spokesman"]
    records = [{"type": "source", "name": "S"}, {"type": "claim", "key": "c", "text": "C"}]
    records += [{"type": "stance", "claim": "c", "source": "S", "position": "affirms",
                 "quote": f"the {words[n % 3]} of day {n}", "note": "checked" if n % 2 else None,
                 "logged_at": f"2022-01-01T00:00:00.{n:06d}Z"} for n in range(2 * BATCH + 11)]
    path = jsonl(tmp_path / "fts.jsonl", records)
    with Store.create(tmp_path / "v.db") as store:
        import_file(store, path)
        store.conn.execute("INSERT INTO stances_fts (stances_fts) VALUES ('integrity-check')")
        for n, word in enumerate(words):
            ids = [row[0] for row in store.conn.execute(
                "SELECT rowid FROM stances_fts WHERE stances_fts MATCH ? ORDER BY rowid", [word])]
            assert ids == list(range(n + 1, 2 * BATCH + 12, 3))
        assert store.conn.execute(
            "SELECT count(*) FROM stances_fts WHERE stances_fts MATCH 'note:checked'").fetchone()[0] == BATCH + 5
        # and a stance logged afterwards is indexed by the restored trigger
        added = store.add_stance(Stance(claim="c", source="S", position="denies", quote="a lone armistice"))
        assert store.conn.execute(
            "SELECT rowid FROM stances_fts WHERE stances_fts MATCH 'armistice'").fetchall() == [(added.id,)]


def test_the_stances_full_text_index_is_fed_only_columns_that_never_change(tmp_path):
    # A load feeds the stances' full-text index a batch at a time with its update and delete
    # triggers dropped (store/upkeep.py): right only while every indexed column is one the
    # stances_never_edited trigger refuses to change.
    with Store.create(tmp_path / "v.db") as store:
        indexed = {row[1] for row in store.conn.execute("PRAGMA table_info(stances_fts)")}
        guard = store.conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'stances_never_edited'").fetchone()[0]
        guarded = {column.strip() for column in guard.split(" OF ", 1)[1].split(" ON ", 1)[0].split(",")}
        assert indexed and indexed <= guarded, indexed - guarded


def test_a_merge_into_a_new_file_indexes_every_stance(tmp_path):
    # A merge stages stances without feeding the index batch by batch: what it has not fed, the
    # load's end does.
    records = [{"type": "source", "name": "S"}, {"type": "claim", "key": "c", "text": "C"}]
    records += [{"type": "stance", "claim": "c", "source": "S", "position": "affirms", "quote": f"the convoy {n}",
                 "logged_at": f"2022-01-01T00:00:00.{n:06d}Z"} for n in range(BATCH + 7)]
    with Store.create(tmp_path / "a.db") as store:
        import_file(store, jsonl(tmp_path / "a.jsonl", records))
    with Store.create(tmp_path / "b.db") as store:
        store.merge_database(str(tmp_path / "a.db"))
        store.conn.execute("INSERT INTO stances_fts (stances_fts) VALUES ('integrity-check')")
        assert store.conn.execute(
            "SELECT count(*) FROM stances_fts WHERE stances_fts MATCH 'convoy'").fetchone()[0] == BATCH + 7


def test_stances_logged_retracted_keep_their_place_in_logging_order(tmp_path):
    records = [{"type": "source", "name": f"S{n}"} for n in range(3)]
    records.append({"type": "claim", "key": "c", "text": "C"})
    records += [{"type": "stance", "claim": "c", "source": f"S{n % 3}", "position": "affirms", "quote": f"q{n}",
                 "logged_at": f"2022-01-01T00:00:00.{n:06d}Z",
                 "retracted": {"reason": f"r{n}", "at": "2022-02-01T00:00:00Z", "by": "desk"} if n % 7 == 3 else None}
                for n in range(BATCH + 50)]
    path = jsonl(tmp_path / "retracted.jsonl", records)
    with Store.create(tmp_path / "v.db") as store:
        import_file(store, path)
        rows = store.conn.execute("SELECT id, quote, retraction_reason FROM stances ORDER BY id").fetchall()
        verdicts = [(r.verdict, r.affirming) for r in store.reconciliations()]
    assert [row[1] for row in rows] == [f"q{n}" for n in range(BATCH + 50)]
    assert [row[0] for row in rows if row[2]] == [n + 1 for n in range(BATCH + 50) if n % 7 == 3]
    assert verdicts == [("corroborated", ("S0", "S1", "S2"))]
