"""verity import: JSON documents, JSONL and CSV, all or nothing, every error located."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from pathlib import Path

import pytest
from support import EXAMPLE_JSON

from verity.store import Store, upkeep

BALTI = json.loads(EXAMPLE_JSON.read_text(encoding="utf-8"))


def snapshot(path: Path) -> dict:
    """The database's bytes (and its WAL's), to prove a failed import wrote nothing."""
    return {p: hashlib.sha256(open(p, "rb").read()).hexdigest()
            for p in (str(path), f"{path}-wal") if os.path.exists(p) and os.path.getsize(p)}


def jsonl_of(document: dict) -> str:
    lines = []
    for part in ("sources", "claims", "stances"):
        for record in document.get(part, []):
            lines.append(json.dumps({"type": part[:-1], **record}, ensure_ascii=False))
    return "\n".join(lines) + "\n"


@pytest.fixture
def balti(cli, db_path, tmp_path):
    """A database holding the Balti example, its state settled by a successful command."""
    assert cli("init").exit_code == 0
    result = cli("import", str(EXAMPLE_JSON))
    assert result.exit_code == 0, result.stderr
    assert cli("reconcile", "--json").exit_code == 0
    return db_path


def counts(db_path: Path) -> dict:
    with Store.open(db_path) as store:
        return store.counts()


# -- JSON documents ----------------------------------------------------------------


def test_json_document_imports_everything_in_order(cli, balti):
    assert counts(balti) == {"sources": 14, "claims": 17, "stances": 33}
    with Store.open(balti) as store:
        stances = list(store.all_stances())
    assert [(s.claim, s.source, s.logged_at) for s in stances] == [
        (s["claim"], s["source"], s["logged_at"]) for s in BALTI["stances"]]
    retracted = [s for s in stances if s.retracted]
    assert retracted and retracted[0].retracted.reason.startswith("logged against the wrong source")


def test_summary_line_counts_what_was_added(cli, db_path):
    cli("init")
    result = cli("import", str(EXAMPLE_JSON))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr.strip().splitlines()[-1] == (
        f"Imported 14 sources, 17 claims, 33 stances from {EXAMPLE_JSON}.")


def test_reimporting_the_same_file_adds_nothing(cli, balti):
    result = cli("import", str(EXAMPLE_JSON))
    assert result.exit_code == 0, result.stderr
    assert "Imported 0 sources, 0 claims, 0 stances" in result.stderr
    assert "33 stances already logged, skipped" in result.stderr
    assert counts(balti) == {"sources": 14, "claims": 17, "stances": 33}


def test_import_creates_a_missing_database(cli, tmp_path):
    target = tmp_path / "new.db"
    result = cli("--db", target, "import", str(EXAMPLE_JSON))
    assert result.exit_code == 0, result.stderr
    assert f"Created {target}." in result.stderr
    assert counts(target)["stances"] == 33


def test_a_failed_import_leaves_no_new_database_behind(cli, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "source", "name": "S"}\n{"type": "stance"}\n')
    target = tmp_path / "new.db"
    result = cli("--db", target, "import", bad)
    assert result.exit_code == 1
    assert not list(tmp_path.glob("new.db*"))


@pytest.mark.parametrize("name, text", [
    ("bad.json", '{"sources": ['),  # not JSON: found before any record is read
    ("bad.csv", "claim,source,positon\n"),  # a header that names no position column
    ("bad.jsonld", '{"@type": "ClaimReview"}'),  # a review with nothing to import
])
def test_no_new_database_is_left_behind_whatever_fails(cli, tmp_path, name, text):
    bad = tmp_path / name
    bad.write_text(text)
    target = tmp_path / "new.db"
    result = cli("--db", target, "import", bad)
    assert result.exit_code == 1 and result.stderr.startswith("Error: ")
    assert not list(tmp_path.glob("new.db*"))


def test_a_bad_stance_in_the_middle_of_a_document_leaves_nothing_behind(cli, balti, tmp_path):
    document = json.loads(json.dumps(BALTI))
    document["stances"][12]["position"] = "maybe"
    for stance in document["stances"]:
        stance["logged_at"] = stance["logged_at"].replace("2022-01-18", "2022-01-19")  # all new
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    before = snapshot(balti)
    result = cli("import", bad)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: 'maybe' is not a position")
    assert "@ $.stances[12].position" in result.stderr
    assert "use one of: affirms, partially-affirms, neutral, partially-denies, denies" in result.stderr
    assert "nothing was imported" in result.stderr
    assert snapshot(balti) == before


def test_every_error_of_a_document_is_listed_with_its_path(cli, balti, tmp_path):
    document = json.loads(json.dumps(BALTI))
    document["sources"][1]["reliabilty"] = "B"
    document["claims"][3]["text"] = ""
    document["stances"][12]["position"] = "maybe"
    document["stances"][13]["claim"] = "balti-was-kiled"
    document["stances"][14]["said_on"] = "2022-02-30"
    document["stances"][15]["retracted"] = {"at": "2022-01-18T09:19:00Z"}
    document["extra"] = 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    before = snapshot(balti)
    result = cli("import", bad)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == f"Error: 7 problems in {bad}; nothing was imported:"
    expected = [
        "unknown field 'extra'; expected only: verity, sources, claims, stances, questions, changes @ $.extra",
        "unknown field 'reliabilty' (did you mean 'reliability'?); rename or remove it @ $.sources[1].reliabilty",
        "claim text is empty",
        "@ $.claims[3].text",
        "'maybe' is not a position",
        "@ $.stances[12].position",
        "no claim 'balti-was-kiled' (did you mean 'balti-was-killed'?)",
        "@ $.stances[13].claim",
        "said-on date '2022-02-30' is not a real date or time",
        "@ $.stances[14].said_on",
        "required field missing; expected why the stance was retracted @ $.stances[15].retracted.reason",
    ]
    for words in expected:
        assert words in result.stderr
    assert snapshot(balti) == before


def test_errors_are_listed_up_to_a_limit(cli, db_path, tmp_path):
    cli("init")
    document = {"sources": [{"name": "S"}], "claims": [{"text": "C"}],
                "stances": [{"claim": "c", "source": "S", "position": "nope"}] * 30}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    result = cli("import", bad)
    lines = result.stderr.splitlines()
    assert lines[0] == f"Error: 30 problems in {bad}; nothing was imported:"
    assert len(lines) == 1 + 20 + 1
    assert lines[-1] == "  (and 10 more)"
    assert lines[1].endswith("@ $.stances[0].position")


def test_one_error_is_one_line(cli, db_path, tmp_path):
    cli("init")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"sources": [{"name": "S", "reliability": "G"}]}))
    result = cli("import", bad)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: 'G' is not a reliability grade; use one of: A, B, C, D, E, F (Admiralty code: A best, "
        "E worst, F cannot be judged) @ $.sources[0].reliability; nothing was imported"]


@pytest.mark.parametrize("text, words", [
    ("[1, 2]", "a verity JSON document is an object with sources, claims and stances"),
    ('{"verity": 3}', "document version 3 is not one this verity reads"),
    ('{"stances": {}}', "expected a list of stances @ $.stances"),
    ('{"sources": [', "is not valid JSON (line 1, column 14"),
    ('{"claims": [{"text": "C", "tags": "one"}], "sources": [{"name": null}]}', "expected text, got null @ $.sources[0].name"),
    ('{"claims": [{"text": "C", "tags": 5}]}', "expected a list of tags, got 5 @ $.claims[0].tags"),
    ('{"claims": [7]}', "expected an object with the claim fields, got 7 @ $.claims[0]"),
])
def test_malformed_documents(cli, db_path, tmp_path, text, words):
    cli("init")
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    before = snapshot(db_path)
    result = cli("import", bad)
    assert result.exit_code == 1
    assert words in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(db_path) == before


def test_absent_logged_at_and_logged_by_default_to_now_and_the_importer(cli, db_path, tmp_path):
    cli("init")
    doc = tmp_path / "doc.json"
    doc.write_text(json.dumps({
        "sources": [{"name": "S"}], "claims": [{"text": "Balti was killed"}],
        "stances": [{"claim": "balti-was-killed", "source": "s", "position": "Affirms",
                     "retracted": {"reason": "typo"}}]}))
    assert cli("import", doc).exit_code == 0
    with Store.open(db_path) as store:
        (stance,) = store.all_stances()
    assert stance.position == "affirms" and stance.source == "S"
    assert stance.logged_by == "tester" and stance.logged_at.startswith("20")
    assert stance.retracted.at.startswith("20") and stance.retracted.reason == "typo"


# -- existing records ------------------------------------------------------------------


def test_sources_and_claims_that_agree_are_reused(cli, balti, tmp_path):
    doc = tmp_path / "more.json"
    source = dict(BALTI["sources"][0], name=BALTI["sources"][0]["name"].upper())  # names ignore case
    doc.write_text(json.dumps({
        "sources": [source], "claims": [BALTI["claims"][0]],
        "stances": [{"claim": BALTI["claims"][0]["key"], "source": source["name"], "position": "denies",
                     "said_on": "2022-02-01"}]}))
    result = cli("import", doc)
    assert result.exit_code == 0, result.stderr
    assert "Imported 0 sources, 0 claims, 1 stance" in result.stderr
    assert "1 source and 1 claim already there" in result.stderr
    assert counts(balti) == {"sources": 14, "claims": 17, "stances": 34}


def test_records_that_differ_from_the_database_stop_the_import_naming_both(cli, balti, tmp_path):
    document = json.loads(json.dumps(BALTI))
    document["sources"][0]["kind"] = "analyst"
    document["claims"][0]["ruling"] = "false"
    doc = tmp_path / "conflict.json"
    doc.write_text(json.dumps(document))
    before = snapshot(balti)
    result = cli("import", doc)
    assert result.exit_code == 1
    name, key = BALTI["sources"][0]["name"], BALTI["claims"][0]["key"]
    assert (f"source {name!r} differs from the one already in the database "
            "(kind: 'official' in the database, 'analyst' here); make them agree or rename one @ $.sources[0]"
            ) in result.stderr
    assert (f"claim {key!r} differs from the one already in the database "
            "(ruling: 'mostly-true' in the database, 'false' here)") in result.stderr
    assert snapshot(balti) == before


def test_two_records_of_one_file_that_differ_are_a_conflict(cli, db_path, tmp_path):
    cli("init")
    lines = tmp_path / "twice.jsonl"
    lines.write_text(
        '{"type": "source", "name": "S", "kind": "official"}\n'
        '{"type": "source", "name": "s", "kind": "analyst"}\n'
        '{"type": "claim", "key": "c", "text": "One"}\n'
        '{"type": "claim", "key": "c", "text": "Two"}\n'
        '{"type": "claim", "key": "c", "text": "One"}\n')
    result = cli("import", lines)
    assert result.exit_code == 1
    assert ("source 's' differs from the one at line 1 (kind: 'official' at line 1, 'analyst' here)"
            ) in result.stderr
    assert "@ line 2, $" in result.stderr
    assert ("claim 'c' differs from the one earlier in this file (text: 'One' earlier, 'Two' here)"
            ) in result.stderr
    assert result.stderr.startswith("Error: 2 problems")


# -- JSONL -------------------------------------------------------------------------------


def test_jsonl_imports_a_stream_of_records(cli, db_path, tmp_path):
    cli("init")
    lines = tmp_path / "balti.jsonl"
    lines.write_text(jsonl_of(BALTI), encoding="utf-8")
    result = cli("import", lines)
    assert result.exit_code == 0, result.stderr
    assert counts(db_path) == {"sources": 14, "claims": 17, "stances": 33}


def test_a_bad_line_in_the_middle_of_jsonl_leaves_nothing_and_names_its_line(cli, balti, tmp_path):
    document = json.loads(json.dumps(BALTI))
    for stance in document["stances"]:
        stance["logged_at"] = stance["logged_at"].replace("2022-01-18", "2022-01-20")
    text = jsonl_of(document).splitlines()
    text[40] = text[40].replace('"position": "', '"position": "sort-of-')
    text[41] = text[41][:-5]  # cut off: not JSON
    text[42] = '{"type": "stanse", "claim": "x"}'
    text[43] = "[1]"
    text.insert(44, "")  # blank lines are fine
    lines = tmp_path / "bad.jsonl"
    lines.write_text("\n".join(text) + "\n")
    before = snapshot(balti)
    result = cli("import", lines)
    assert result.exit_code == 1
    err = result.stderr
    assert err.startswith(f"Error: 4 problems in {lines}; nothing was imported:")
    assert "is not a position" in err and "@ line 41, $.position" in err
    assert "not a JSON object (column" in err and "@ line 42, $" in err
    assert '"stanse" is not a record type (did you mean \'stance\'?); expected "type": "source", "claim", "stance", "question" or "change" @ line 43, $.type' in err
    assert "expected a JSON object with a \"type\", got a list @ line 44, $" in err
    assert snapshot(balti) == before


def test_jsonl_stance_before_its_claim_is_an_error_naming_the_fix(cli, db_path, tmp_path):
    cli("init")
    lines = tmp_path / "order.jsonl"
    lines.write_text('{"type": "source", "name": "S"}\n'
                     '{"type": "stance", "claim": "c", "source": "S", "position": "affirms"}\n'
                     '{"type": "claim", "key": "c", "text": "C"}\n')
    result = cli("import", lines)
    assert result.exit_code == 1
    assert ("no claim 'c'; add the claim on an earlier line, or first with 'verity claim add' "
            "@ line 2, $.claim; nothing was imported") in result.stderr


def test_a_broken_claim_does_not_also_fail_each_of_its_stances(cli, db_path, tmp_path):
    cli("init")
    lines = tmp_path / "broken.jsonl"
    lines.write_text('{"type": "source", "name": "S"}\n'
                     '{"type": "claim", "key": "c", "text": "C", "tagz": []}\n'
                     + '{"type": "stance", "claim": "c", "source": "S", "position": "affirms"}\n' * 5)
    result = cli("import", lines)
    assert result.exit_code == 1
    assert result.stderr.count("@") == 1
    assert "unknown field 'tagz' (did you mean 'tags'?)" in result.stderr


def test_format_option_overrides_the_extension(cli, db_path, tmp_path):
    cli("init")
    lines = tmp_path / "records.txt"
    lines.write_text(jsonl_of(BALTI))
    result = cli("import", lines)
    assert result.exit_code == 1
    assert "cannot tell the format of" in result.stderr and "--format" in result.stderr
    assert cli("import", lines, "--format", "jsonl").exit_code == 0


def test_standard_input_with_a_format(cli, db_path):
    cli("init")
    result = cli("import", "-", "--format", "jsonl", input=jsonl_of(BALTI))
    assert result.exit_code == 0, result.stderr
    assert "from standard input" in result.stderr
    assert counts(db_path)["stances"] == 33
    result = cli("import", "-", input=jsonl_of(BALTI))
    assert result.exit_code == 1 and "give --format" in result.stderr


def test_missing_file(cli, db_path, tmp_path):
    cli("init")
    result = cli("import", tmp_path / "nope.json")
    assert result.exit_code == 1
    assert result.stderr == f"Error: cannot read {tmp_path / 'nope.json'}: no such file; check the path\n"


def test_progress_is_reported_while_reading(db_path, tmp_path):
    from verity.importer import import_file
    from verity.jsonl import PROGRESS_EVERY

    lines = tmp_path / "many.jsonl"
    with open(lines, "w") as out:
        out.write('{"type": "source", "name": "S"}\n{"type": "claim", "key": "c", "text": "C"}\n')
        for i in range(PROGRESS_EVERY * 2):
            out.write(json.dumps({"type": "stance", "claim": "c", "source": "S", "position": "affirms",
                                  "logged_at": f"2022-01-01T00:00:{i % 60:02d}Z"}) + "\n")
    seen = []
    with Store.create(db_path) as store:
        import_file(store, lines, progress=seen.append)
    assert len(seen) >= 2 and seen == sorted(seen) and seen[-1] == lines.stat().st_size


# -- CSV ---------------------------------------------------------------------------------

CSV_HEADER = "claim,source,position,quote,url,said_on,via,note\n"


def test_csv_rows_are_stances(cli, balti, tmp_path):
    rows = tmp_path / "stances.csv"
    rows.write_text(
        "Claim,Source,Position,Quote,URL,Said on,Via,Note\n"
        'balti-was-killed,ttp spokesman mohammad khurasani,Affirms,"He died, we confirm",https://x.example/1,2022-01-12,Dawn,\n'
        "balti-was-killed,Afghan Taliban,denies,,,,,\n", encoding="utf-8-sig")
    result = cli("import", rows)
    assert result.exit_code == 0, result.stderr
    assert "Imported 0 sources, 0 claims, 2 stances" in result.stderr
    with Store.open(balti) as store:
        last = list(store.all_stances())[-2:]
    assert last[0].quote == "He died, we confirm" and last[0].said_on == "2022-01-12"
    assert last[0].source == "TTP spokesman Mohammad Khurasani" and last[0].position == "affirms"
    assert last[1].quote is None and last[1].logged_by == "tester"
    result = cli("import", rows)  # the same rows again: already logged
    assert "2 stances already logged, skipped" in result.stderr
    assert counts(balti)["stances"] == 35


def test_a_bad_csv_row_in_the_middle_leaves_nothing_and_names_its_line(cli, balti, tmp_path):
    rows = tmp_path / "bad.csv"
    rows.write_text(
        CSV_HEADER
        + "balti-was-killed,Afghan Taliban,denies,,,,,\n"
        + 'balti-was-killed,Afghan Taliban,deny,"a quote\nover two lines",,,,\n'
        + "balti-was-killed,Afghan Talibn,denies,,,10/01/2022,,\n"
        + "balti-was-killed,Afghan Taliban,denies,,,,\n"
        + ",Afghan Taliban,denies,,,,,\n"
        + "balti-was-killed,Afghan Taliban,denies,,,,,\n")
    before = snapshot(balti)
    result = cli("import", rows)
    assert result.exit_code == 1
    err = result.stderr
    assert err.startswith(f"Error: 5 problems in {rows}; nothing was imported:")
    assert "'deny' is not a position (did you mean 'denies'?)" in err and "@ line 3, column position" in err
    assert "said-on date '10/01/2022' is not an ISO date" in err and "@ line 5, column said_on" in err
    assert "no source 'Afghan Talibn' (did you mean 'Afghan Taliban'?)" in err and "@ line 5, column source" in err
    assert "7 cells, but the header has 8 columns" in err and "@ line 6" in err
    assert 'required field missing; expected the key of a claim, e.g. "balti-was-killed" @ line 7, column claim' in err
    assert snapshot(balti) == before


@pytest.mark.parametrize("header, words", [
    ("claim,source,position,qoute\n", "unknown column 'qoute' (did you mean 'quote' or 'note'?)"),
    ("claim,source,quote\n", "no position column; a stance row needs claim, source and position"),
    ("claim,source,position,claim\n", "column 'claim' appears twice"),
    ("", "the file is empty; expected a header row"),
])
def test_csv_header_problems(cli, balti, tmp_path, header, words):
    rows = tmp_path / "bad.csv"
    rows.write_text(header + ("balti-was-killed,Afghan Taliban,denies,x\n" if header else ""))
    result = cli("import", rows)
    assert result.exit_code == 1
    assert words in result.stderr and "@ line 1" in result.stderr


def test_csv_that_is_not_utf8(cli, balti, tmp_path):
    rows = tmp_path / "latin1.csv"
    rows.write_bytes((CSV_HEADER + "balti-was-killed,Afghan Taliban,denies,Caf\xe9,,,,\n").encode("latin-1"))
    result = cli("import", rows)
    assert result.exit_code == 1
    assert "not UTF-8 text" in result.stderr


def test_csv_needs_existing_claims_and_sources_unless_told_to_create_them(cli, balti, tmp_path):
    rows = tmp_path / "new.csv"
    rows.write_text(CSV_HEADER
                    + "balti-was-killed,Jane Analyst,partially-affirms,,,2022-01-14,,\n"
                    + "balti-reburied-in-swat,Jane Analyst,affirms,,,,,\n"
                    + "Balti was buried in Kunar,Jane Analyst,affirms,,,,,\n"
                    + "Balti was buried in Kunar,afghan taliban,denies,,,,,\n")
    before = snapshot(balti)
    result = cli("import", rows)
    assert result.exit_code == 1
    assert ("no source 'Jane Analyst'; add it first with 'verity source add', or import with --create-missing "
            "@ line 2, column source") in result.stderr
    assert "no claim 'balti-reburied-in-swat'" in result.stderr and "verity claim add" in result.stderr
    assert snapshot(balti) == before

    result = cli("import", rows, "--create-missing")
    assert result.exit_code == 0, result.stderr
    assert ("Imported 1 source, 2 claims, 4 stances from "
            f"{rows} (created 1 missing source and 2 missing claims).") in result.stderr
    with Store.open(balti) as store:
        assert store.get_claim("balti-reburied-in-swat").text == "balti-reburied-in-swat"
        assert store.get_claim("balti-was-buried-in-kunar").text == "Balti was buried in Kunar"
        assert store.get_source("jane analyst").kind is None


def test_create_missing_says_every_problem_of_a_row(cli, balti, tmp_path):
    # A claim that cannot be made (its key is another claim's) and a source that cannot
    # (a control character) on one row: both are said.
    rows = tmp_path / "new.csv"
    rows.write_text(CSV_HEADER + "Balti was killed!,Bad\x02Source,affirms,,,,,\n")
    result = cli("import", rows, "--create-missing")
    assert result.exit_code == 1
    assert "2 problems" in result.stderr
    assert "the key it would get, 'balti-was-killed', is taken" in result.stderr
    assert "cannot create source 'Bad\\x02Source'" in result.stderr


def test_create_missing_is_only_for_csv(cli, balti):
    result = cli("import", str(EXAMPLE_JSON), "--create-missing")
    assert result.exit_code == 1 and "--create-missing is for CSV files" in result.stderr


# -- the database after an import -----------------------------------------------------


def schema(db_path: Path) -> set:
    with sqlite3.connect(db_path) as conn:
        return set(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))


def test_an_import_into_an_empty_database_keeps_its_schema_and_search(cli, db_path, tmp_path):
    cli("init")
    empty = schema(db_path)
    lines = tmp_path / "balti.jsonl"
    lines.write_text(jsonl_of(BALTI))
    assert cli("import", lines).exit_code == 0
    assert schema(db_path) == empty  # indexes and search triggers put back as they were
    with sqlite3.connect(db_path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for fts in sorted(t for t in tables if t.endswith("_fts")):
            conn.execute(f"INSERT INTO {fts} ({fts}) VALUES ('integrity-check')")
        if "stances_fts" in tables:
            hits = conn.execute("SELECT count(*) FROM stances_fts WHERE stances_fts MATCH 'spokesman'").fetchone()[0]
            like = conn.execute("SELECT count(*) FROM stances WHERE quote LIKE '%spokesman%' "
                                "OR note LIKE '%spokesman%'").fetchone()[0]
            assert hits == like > 0
    # a later stance is indexed by the triggers as before
    assert cli("stance", "add", "balti-was-killed", "Afghan Taliban", "denies", "--quote", "zyxwv").exit_code == 0
    if "stances_fts" in tables:
        with sqlite3.connect(db_path) as conn:
            assert conn.execute("SELECT count(*) FROM stances_fts WHERE stances_fts MATCH 'zyxwv'").fetchone()[0] == 1


def test_an_import_into_an_empty_database_marks_estimates_stale_and_guards_again(cli, db_path, tmp_path):
    # The load suspends the per-row guards and staleness triggers of the empty tables: what
    # they would have done is done once, and they are back for what comes after.
    cli("init")
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO assessment_runs (method, computed_at) VALUES ('test', '2026-01-01T00:00:00Z')")
    lines = tmp_path / "stances.jsonl"  # nothing but sources, claims and stances: no ruling marks them stale
    lines.write_text(jsonl_of({"sources": [{"name": "S"}], "claims": [{"key": "c", "text": "C"}],
                               "stances": [{"claim": "c", "source": "S", "position": "affirms"}]}))
    assert cli("import", lines).exit_code == 0
    with sqlite3.connect(db_path) as conn:
        # the guards the load suspends, by name, are the schema's (a renamed one would stay on)
        triggers = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert upkeep._GUARDS <= triggers
        assert conn.execute("SELECT stale_since FROM assessment_runs").fetchone()[0] is not None
        conn.execute("UPDATE assessment_runs SET stale_since = NULL")
        for table in ("stances", "claims", "sources"):
            with pytest.raises(sqlite3.IntegrityError, match="never replaced"):
                conn.execute(f"INSERT INTO {table} SELECT * FROM {table} LIMIT 1")
    assert cli("stance", "add", "c", "S", "denies").exit_code == 0
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT stale_since FROM assessment_runs").fetchone()[0] is not None


def test_a_stance_naming_a_merged_claim_counts_for_the_claim_it_was_merged_into(cli, db_path, tmp_path):
    # As `stance add` finds it: the key of a claim merged into another names that other claim.
    cli("init")
    cli("source", "add", "S")
    cli("claim", "add", "Claim A", "--key", "a")
    cli("claim", "add", "Claim B", "--key", "b")
    assert cli("claim", "merge", "a", "--into", "b", "--reason", "the same claim").exit_code == 0
    lines = tmp_path / "stance.jsonl"
    lines.write_text('{"type": "stance", "claim": "a", "source": "S", "position": "denies"}\n')
    result = cli("import", lines)
    assert result.exit_code == 0, result.stderr
    assert "1 stance" in result.stderr
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT c.key, s.position FROM stances s JOIN claims c ON c.id = s.claim_id").fetchall() \
            == [("b", "denies")]


def test_an_import_of_claims_alone_leaves_estimates_fresh(cli, db_path, tmp_path):
    # Only what the suspended triggers would have done is done: no stance went in, so the
    # estimates (made from stances and rulings) are not stale.
    cli("init")
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO assessment_runs (method, computed_at) VALUES ('test', '2026-01-01T00:00:00Z')")
    lines = tmp_path / "claims.jsonl"
    lines.write_text(jsonl_of({"sources": [{"name": "S"}], "claims": [{"key": "c", "text": "C"}]}))
    assert cli("import", lines).exit_code == 0
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT stale_since FROM assessment_runs").fetchone()[0] is None


def test_the_position_check_holds_again_after_an_import(db_path, tmp_path):
    # The import writes rows the models' rules have checked without SQLite's CHECK; it is back after,
    # on the same connection.
    from verity.importer import import_file

    lines = tmp_path / "balti.jsonl"
    lines.write_text(jsonl_of(BALTI))
    with Store.create(db_path) as store:
        import_file(store, lines)
        with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
            store.conn.execute("INSERT INTO stances (claim_id, source_id, position, logged_at) "
                               "VALUES (1, 1, 'maybe', '2022-01-01T00:00:00Z')")


def test_the_stored_reconciliation_is_fresh_after_import(cli, balti):
    with Store.open(balti) as store:
        stored = list(store.reconciliations())
        fresh = list(store.fresh_reconciliations())
    assert stored == fresh


def generated(n_claims: int, n_sources: int, per_claim: int) -> dict:
    """A document big enough for the bulk path: sources with shared affiliations, mixed positions."""
    import random

    rng = random.Random(5)
    positions = ["affirms", "partially-affirms", "neutral", "partially-denies", "denies"]
    sources = [{"name": f"Source {i}", "affiliation": f"Group {i % 7}" if i % 3 else None,
                "reliability": "ABCDEF"[i % 6] if i % 4 else None} for i in range(n_sources)]
    claims = [{"key": f"claim-{i}", "text": f"Claim {i}", "ruling": "false" if i % 50 == 0 else None}
              for i in range(n_claims)]
    stances = []
    for n in range(n_claims * per_claim):
        stances.append({
            "claim": f"claim-{rng.randrange(n_claims)}", "source": f"Source {rng.randrange(n_sources)}",
            "position": rng.choice(positions), "quote": f"quote {n}" if n % 3 else None,
            "said_on": f"2022-01-{1 + rng.randrange(28):02d}" if n % 5 else None,
            "logged_at": f"2022-02-01T00:{n // 60 % 60:02d}:{n % 60:02d}.{n:06d}Z",
            "retracted": {"reason": "wrong source", "at": "2022-03-01T00:00:00Z"} if n % 97 == 0 else None})
    return {"verity": 1, "sources": sources, "claims": claims, "stances": stances}


def test_the_bulk_refresh_stores_what_the_per_claim_refresh_would(cli, db_path, tmp_path):
    lines = tmp_path / "big.jsonl"
    lines.write_text(jsonl_of(generated(1500, 40, 3)))
    assert cli("import", lines).exit_code == 0
    with Store.open(db_path) as store:
        bulk = store.conn.execute("SELECT * FROM reconciliations ORDER BY claim_id").fetchall()
        assert len(bulk) == 1500
        with store.transaction():
            store.refresh_reconciliations(range(1, 1501))
            per_claim = store.conn.execute("SELECT * FROM reconciliations ORDER BY claim_id").fetchall()
        assert bulk == per_claim
        assert list(store.reconciliations()) == list(store.fresh_reconciliations())


def test_the_bundled_examples_import(cli, balti_db, monkeypatch):
    from support import ROOT

    monkeypatch.setenv("VERITY_DB", str(balti_db))
    result = cli("import", ROOT / "examples" / "stances.csv", "--create-missing")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.endswith("(created 1 missing source).\n")
    result = cli("import", ROOT / "examples" / "claimreview.json")
    assert result.exit_code == 0, result.stderr
    assert "2 claims, 2 stances" in result.stderr
    with Store.open(balti_db) as store:
        misleading = store.get_claim("the-ttp-s-current-spokesman-was-killed-in")
    assert (misleading.ruling, misleading.ruled_by) == ("mixture", "Example Fact Desk")


# -- a new file is filled without the write-ahead log ---------------------------------


def journal_mode_at_finish(monkeypatch) -> dict:
    """Note the journal mode the import ran in, as it finishes (refreshing the reconciliations)."""
    seen = {}
    refresh = Store.refresh_reconciliations

    def noting(self, *args, **kwargs):
        seen["mode"] = self.conn.execute("PRAGMA journal_mode").fetchone()[0]
        return refresh(self, *args, **kwargs)
    monkeypatch.setattr(Store, "refresh_reconciliations", noting)
    return seen


def test_an_import_into_a_new_file_runs_without_the_log_and_leaves_it_in_wal_mode(cli, tmp_path, monkeypatch):
    seen = journal_mode_at_finish(monkeypatch)
    target = tmp_path / "new.db"
    result = cli("--db", target, "import", str(EXAMPLE_JSON))
    assert result.exit_code == 0, result.stderr
    assert seen["mode"] == "delete"  # new pages written once, straight into the file
    assert sorted(p.name for p in tmp_path.glob("new.db*")) == ["new.db"]  # no journal, no log left
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    assert counts(target) == {"sources": 14, "claims": 17, "stances": 33}


def test_an_import_into_an_existing_database_keeps_the_log(cli, balti, monkeypatch, tmp_path):
    seen = journal_mode_at_finish(monkeypatch)
    document = json.loads(json.dumps(BALTI))
    for stance in document["stances"]:
        stance["logged_at"] = stance["logged_at"].replace("2022-01-18", "2022-01-19")  # all new
    more = tmp_path / "more.json"
    more.write_text(json.dumps(document))
    result = cli("import", more)
    assert result.exit_code == 0, result.stderr
    assert seen["mode"] == "wal"  # others may be reading it: they go on reading


def test_a_new_file_someone_else_has_open_is_imported_in_wal_mode(tmp_path, monkeypatch):
    from verity.importer import import_file

    seen = journal_mode_at_finish(monkeypatch)
    path = tmp_path / "new.db"
    store = Store.create(path)
    other = sqlite3.connect(path)
    assert other.execute("SELECT count(*) FROM sources").fetchone() == (0,)
    # cannot leave WAL while `other` has it open: at once, no 30 s wait
    import_file(store, EXAMPLE_JSON, new_file=True)
    assert seen["mode"] == "wal"
    assert other.execute("SELECT count(*) FROM stances").fetchone() == (33,)
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000
    other.close()
    store.close()


def test_a_database_left_in_rollback_mode_is_opened_in_wal_mode(tmp_path):
    # What an import into a new file leaves if it is killed before it switches back.
    path = tmp_path / "left.db"
    Store.create(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
    conn.close()
    with Store.open(path) as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
