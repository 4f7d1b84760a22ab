"""Stances are never edited, and an import edits none either: a stance that keeps the uid of one
logged before and says something else (an export's row edited in a spreadsheet, say) stops the
import, naming its place, the uid, each field that differs with both values, and the fix; nothing
is written. An unedited re-import still adds nothing (docs/import-export.md)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from test_import import snapshot

from verity.importer import ahead


def exported(cli, db: Path, fmt: str) -> str:
    result = cli("--db", db, "export", "--format", fmt)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def stance_id(db: Path, uid: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id FROM stances WHERE uid = ?", [uid]).fetchone()[0]


def fix(db: Path, uid: str) -> str:
    number = stance_id(db, uid)
    return (f"stances are never edited: to log this one as a new stance, logged now, remove its uid and "
            f"logged_at; if it corrects #{number}, retract that one too ('verity stance retract {number} --reason ...')")


# -- an edited row of each format, as a desk edits an export -------------------------------------------


def edited_csv(text: str, edits: dict[int, dict]) -> tuple[str, list[tuple[int, dict]]]:
    """The CSV with row `i` (0 the first after the header) given the values `edits[i]`; with the line
    each edited row starts on and the row as it was."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    rows, starts = [], []
    start = reader.line_num + 1
    for row in reader:
        rows.append(dict(zip(header, row)))
        starts.append(start)
        start = reader.line_num + 1
    before = [(starts[i], dict(rows[i])) for i in sorted(edits)]
    for i, values in edits.items():
        rows[i].update(values)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue(), before


def shown(value) -> str:
    """A value as a problem shows it: in single quotes, cut to 60 characters; 'none' for none."""
    if value is None:
        return "none"
    return f"'{value}'" if len(value) <= 58 else f"'{value[:57]}…'"


def refused(cli, db: Path, path: Path) -> str:
    """What `verity import` of `path` says as it stops, having written nothing."""
    before = snapshot(db)
    result = cli("--db", db, "import", path)
    assert result.exit_code == 1
    assert snapshot(db) == before
    return result.stderr


def first(records: list[dict], **values) -> int:
    return next(i for i, record in enumerate(records) if all(record.get(k) == v for k, v in values.items()))


@pytest.mark.parametrize("read_ahead", [False, True])
def test_an_edited_csv_row_stops_the_import_naming_its_line_uid_and_field(cli, balti_db, tmp_path, monkeypatch,
                                                                          read_ahead):
    if read_ahead:  # as a large file is read, by a second process: the same problem, the same place
        monkeypatch.setattr(ahead, "MIN_BYTES", 0)
        monkeypatch.setattr(ahead, "forkable", lambda: True)
    text = exported(cli, balti_db, "csv")
    row = first(list(csv.DictReader(io.StringIO(text, newline=""))), position="affirms", retracted_at="")
    edited, [(line, was)] = edited_csv(text, {row: {"position": "denies"}})
    path = tmp_path / "edited.csv"
    path.write_text(edited, encoding="utf-8")
    stderr = refused(cli, balti_db, path)
    assert stderr == (
        f"Error: stance {was['uid']} is logged already (#{stance_id(balti_db, was['uid'])}) and says otherwise "
        f"here (position: 'affirms' in the database, 'denies' here); {fix(balti_db, was['uid'])} "
        f"@ line {line}, column position; nothing was imported\n")


def test_an_edited_jsonl_line_stops_the_import_naming_its_line(cli, balti_db, tmp_path):
    lines = exported(cli, balti_db, "jsonl").splitlines()
    records = [json.loads(line) for line in lines]
    i = first(records, type="stance", position="affirms", retracted=None)
    records[i]["position"] = "denies"
    path = tmp_path / "edited.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    stderr = refused(cli, balti_db, path)
    uid = records[i]["uid"]
    assert stderr == (
        f"Error: stance {uid} is logged already (#{stance_id(balti_db, uid)}) and says otherwise here "
        f"(position: 'affirms' in the database, 'denies' here); {fix(balti_db, uid)} @ line {i + 1}, "
        "$.position; nothing was imported\n")


def test_an_edited_stance_of_a_document_stops_the_import_naming_its_line_and_path(cli, balti_db, tmp_path):
    text = exported(cli, balti_db, "json")
    document = json.loads(text)
    i = first(document["stances"], position="affirms", retracted=None)
    uid = document["stances"][i]["uid"]
    lines = text.splitlines(keepends=True)
    # the export as written, but the one line of that stance's position
    at = next(n for n, line in enumerate(lines) if f'"uid": "{uid}"' in line)
    position = max(n for n in range(at) if '"position": "affirms"' in lines[n])
    lines[position] = lines[position].replace('"affirms"', '"denies"')
    start = max(n for n in range(position) if lines[n].strip() == "{") + 1
    path = tmp_path / "edited.json"
    path.write_text("".join(lines), encoding="utf-8")
    stderr = refused(cli, balti_db, path)
    assert stderr == (
        f"Error: stance {uid} is logged already (#{stance_id(balti_db, uid)}) and says otherwise here "
        f"(position: 'affirms' in the database, 'denies' here); {fix(balti_db, uid)} "
        f"@ line {start}, $.stances[{i}].position; nothing was imported\n")


def test_every_edited_row_is_named_in_file_order_with_every_field_that_differs(cli, balti_db, tmp_path):
    text = exported(cli, balti_db, "csv")
    edited, was = edited_csv(text, {2: {"quote": "rewritten", "said_on": "2022-01-09"}, 5: {"note": ""},
                                    7: {"logged_by": "someone"}})
    path = tmp_path / "edited.csv"
    path.write_text(edited, encoding="utf-8")
    stderr = refused(cli, balti_db, path)
    lines = stderr.splitlines()
    assert lines[0] == f"Error: 3 problems in {path}; nothing was imported:"
    (first_line, first_row), (second_line, second_row), (third_line, third_row) = was
    assert lines[1].startswith(f"  stance {first_row['uid']} is logged already")
    assert (f"(quote: {shown(first_row['quote'])} in the database, 'rewritten' here; said_on: "
            f"{shown(first_row['said_on'] or None)} in the database, '2022-01-09' here)") in lines[1]
    assert lines[1].endswith(f"@ line {first_line}")  # two fields: the row
    assert f"stance {second_row['uid']} is logged" in lines[2] and "(note: " in lines[2]
    assert "in the database, none here)" in lines[2]
    assert lines[2].endswith(f"@ line {second_line}, column note")
    assert "(logged_by: 'verity-example' in the database, 'someone' here)" in lines[3]
    assert lines[3].endswith(f"@ line {third_line}, column logged_by")
    assert len(lines) == 4


# -- what is not an edit ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_an_unedited_export_imported_again_adds_nothing(cli, balti_db, tmp_path, fmt):
    path = tmp_path / f"again.{fmt}"
    path.write_text(exported(cli, balti_db, fmt), encoding="utf-8")
    result = cli("--db", balti_db, "import", path, "--json")
    assert result.exit_code == 0, result.stderr
    assert (json.loads(result.stdout)["stances"], json.loads(result.stdout)["stances_present"]) == (0, 33)


def test_what_the_file_leaves_out_is_not_compared(cli, balti_db, tmp_path):
    """A stance that gives its uid but not when or by whom it was logged is logged now by whoever
    imports it: that is no edit of the one logged with its uid."""
    records = [json.loads(line) for line in exported(cli, balti_db, "jsonl").splitlines()]
    stances = [{k: v for k, v in record.items() if k not in ("logged_at", "logged_by")}
               for record in records if record["type"] == "stance"]
    path = tmp_path / "without-times.jsonl"
    path.write_text("".join(json.dumps(stance) + "\n" for stance in stances), encoding="utf-8")
    result = cli("--db", balti_db, "import", path, "--json")
    assert result.exit_code == 0, result.stderr
    assert (json.loads(result.stdout)["stances"], json.loads(result.stdout)["stances_present"]) == (0, 33)
    # given, though, a time is what the file says: another time is an edit
    stances[0]["logged_at"] = "2022-01-18T10:00:00.000000Z"
    path.write_text("".join(json.dumps(stance) + "\n" for stance in stances), encoding="utf-8")
    result = cli("--db", balti_db, "import", path)
    assert result.exit_code == 1
    assert (f"(logged_at: {records[first(records, type='stance')]['logged_at']!r} in the database, "
            "'2022-01-18T10:00:00.000000Z' here)") in result.stderr
    assert "@ line 1, $.logged_at; nothing was imported" in result.stderr


def test_an_export_from_before_a_retraction_imports_again_as_nothing(cli, balti_db, tmp_path):
    """The file is older than the retraction, not an edit of the stance."""
    path = tmp_path / "before.csv"
    path.write_text(exported(cli, balti_db, "csv"), encoding="utf-8")
    assert cli("--db", balti_db, "stance", "retract", "1", "--reason", "misread").exit_code == 0
    result = cli("--db", balti_db, "import", path, "--json")
    assert result.exit_code == 0, result.stderr
    assert (json.loads(result.stdout)["stances"], json.loads(result.stdout)["stances_present"]) == (0, 33)


def test_a_retraction_in_the_file_is_not_imported_onto_a_logged_stance_but_merged(cli, balti_db, tmp_path):
    """A retraction is made with 'stance retract', or taken from another desk's export by a merge."""
    document = json.loads(exported(cli, balti_db, "json"))
    i = first(document["stances"], retracted=None)
    uid = document["stances"][i]["uid"]
    document["stances"][i]["retracted"] = {"reason": "the source withdrew it", "at": "2022-02-01T00:00:00Z",
                                           "by": "kabul"}
    path = tmp_path / "retracted.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    stderr = refused(cli, balti_db, path)
    number = stance_id(balti_db, uid)
    assert stderr == (
        f"Error: stance {uid} is logged already (#{number}), not retracted, and is retracted here "
        f"('the source withdrew it'); stances are never edited: retract it with 'verity stance retract "
        f"{number} --reason ...', or take another desk's retractions with 'verity merge' "
        f"@ $.stances[{i}].retracted.reason; nothing was imported\n")
    merged = cli("--db", balti_db, "merge", path)
    assert merged.exit_code == 0, merged.stderr
    assert "1 retraction" in merged.stderr


def test_the_fix_it_names_logs_the_edited_rows_as_new_stances(cli, balti_db, tmp_path):
    """Even a row whose only edit is its note (not part of the uid a stance's content gives) is then
    a new stance, logged now; and importing the file again adds nothing."""
    text = exported(cli, balti_db, "csv")
    path = tmp_path / "edited.csv"
    edits = {0: {"note": "a note corrected"}, 1: {"position": "denies"}}
    path.write_text(edited_csv(text, edits)[0], encoding="utf-8")
    assert cli("--db", balti_db, "import", path).exit_code == 1
    for values in edits.values():
        values.update(uid="", logged_at="")
    path.write_text(edited_csv(text, edits)[0], encoding="utf-8")
    result = cli("--db", balti_db, "import", path, "--json")
    assert result.exit_code == 0, result.stderr
    assert (json.loads(result.stdout)["stances"], json.loads(result.stdout)["stances_present"]) == (2, 31)
    again = cli("--db", balti_db, "import", path, "--json")
    assert (json.loads(again.stdout)["stances"], json.loads(again.stdout)["stances_present"]) == (0, 33)


# -- what the check costs ------------------------------------------------------------------------------


def lookups(store, path: Path) -> list[str]:
    """The statements an import of `path` into `store` runs that look stances up by a batch of uids."""
    from verity.importer import import_file

    seen: list[str] = []
    store.conn.set_trace_callback(seen.append)
    try:
        import_file(store, path)
    finally:
        store.conn.set_trace_callback(None)
    return [statement for statement in seen if "json_each" in statement]


def test_the_uids_of_a_batch_are_looked_up_at_once_and_not_at_all_into_an_empty_database(cli, balti_db, tmp_path,
                                                                                         monkeypatch):
    from verity.importer import records
    from verity.store import Store

    path = tmp_path / "balti.jsonl"
    path.write_text(exported(cli, balti_db, "jsonl"), encoding="utf-8")
    with Store.create(tmp_path / "new.db") as store:
        assert lookups(store, path) == []  # nothing logged before: nothing to look up, nothing to edit
    monkeypatch.setattr(records, "BATCH", 10)
    with Store.open(balti_db) as store:
        assert len(lookups(store, path)) == 4  # 33 stances: four batches, one look-up each



def test_a_stance_of_a_claim_merged_since_is_no_edit_but_another_claim_is(cli, balti_db, tmp_path):
    """A CSV names a stance's claim by key; after a merge that key finds the claim it was merged
    into, which is the same claim. Another claim is an edit."""
    text = exported(cli, balti_db, "csv")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    i = first(rows, claim="balti-was-killed")
    other = next(row["claim"] for row in rows if row["claim"] != "balti-was-killed")
    assert cli("--db", balti_db, "claim", "add", "Balti died", "--key", "balti-died").exit_code == 0
    merged = cli("--db", balti_db, "claim", "merge", "balti-was-killed", "--into", "balti-died", "--reason", "one")
    assert merged.exit_code == 0, merged.stderr
    path = tmp_path / "again.csv"
    path.write_text(text, encoding="utf-8")
    result = cli("--db", balti_db, "import", path, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["stances"] == 0
    edited, [(line, was)] = edited_csv(text, {i: {"claim": other}})
    path.write_text(edited, encoding="utf-8")
    result = cli("--db", balti_db, "import", path)
    assert result.exit_code == 1
    assert f"(claim: 'balti-was-killed' in the database, {other!r} here)" in result.stderr
    assert f"@ line {line}, column claim; nothing was imported" in result.stderr


def test_a_stance_logged_by_someone_else_is_another_stance(cli, balti_db, tmp_path):
    """Without a uid, a stance the file says another logged (at the same time) is not the one
    logged: its logged_by, given, counts as its logged_at does, as in the uid its content gives."""
    records = [json.loads(line) for line in exported(cli, balti_db, "jsonl").splitlines()]
    stance = {k: v for k, v in records[first(records, type="stance")].items() if k != "uid"}
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(stance) + "\n", encoding="utf-8")
    assert json.loads(cli("--db", balti_db, "import", path, "--json").stdout)["stances"] == 0
    path.write_text(json.dumps({**stance, "logged_by": "someone"}) + "\n", encoding="utf-8")
    assert json.loads(cli("--db", balti_db, "import", path, "--json").stdout)["stances"] == 1
