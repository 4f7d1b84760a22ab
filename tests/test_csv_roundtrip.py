"""The CSV export carries each stance's uid, desk and the retraction's `on`, and the CSV import
reads them back through the stance record's own rules: through the real CLI."""

from __future__ import annotations

import csv
import io
import json

import pytest
from support import ROOT
from test_import import snapshot

from verity.importer import ahead
from verity.store import Store


@pytest.fixture
def case(cli, balti_db, monkeypatch):
    """The Balti case with a stance logged on a desk whose name a spreadsheet would take for a
    formula, then retracted with the day the source withdrew it."""
    monkeypatch.setenv("VERITY_DB", str(balti_db))
    monkeypatch.setenv("VERITY_DESK", "=Kabul desk")
    added = cli("stance", "add", "balti-was-killed", "Afghan Taliban", "denies", "--quote", "-no such thing",
                "--json")
    assert added.exit_code == 0, added.stderr
    stance_id = json.loads(added.stdout)["id"]
    retracted = cli("stance", "retract", stance_id, "--reason", "the source withdrew it", "--on", "2022-02-01")
    assert retracted.exit_code == 0, retracted.stderr
    monkeypatch.delenv("VERITY_DESK")
    return balti_db


def stances_of(cli, db) -> list[dict]:
    """Every stance as the JSON export holds it."""
    result = cli("--db", db, "export")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["stances"]


def rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def records_without_stances(cli, db, tmp_path):
    """The JSON export of `db` without its stances (nor the corrections, which name them)."""
    document = json.loads(cli("--db", db, "export").stdout)
    document["stances"], document["changes"] = [], []
    path = tmp_path / "records.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_a_csv_export_carries_uid_desk_and_when_the_source_withdrew_it(cli, case):
    exported = cli("--db", case, "export", "--format", "csv")
    assert exported.exit_code == 0, exported.stderr
    expected = stances_of(cli, case)
    written = rows(exported.stdout)
    assert [row["uid"] for row in written] == [s["uid"] for s in expected]
    last = written[-1]
    # as it is, like every cell of the export: data for importing, not a report (docs/import-export.md)
    assert (last["desk"], last["quote"]) == ("=Kabul desk", "-no such thing")
    assert (last["retracted_on"], last["retraction_reason"], last["retracted_by"]) == (
        "2022-02-01", "the source withdrew it", "tester")


@pytest.mark.parametrize("create_missing", [False, True])
def test_a_csv_round_trip_into_a_new_database_keeps_every_stance(cli, case, tmp_path, create_missing):
    """uid, desk and the whole retraction (at, reason, by, on) come back as the JSON export has them."""
    stances = tmp_path / "stances.csv"
    assert cli("--db", case, "export", "--output", stances).exit_code == 0
    copy = tmp_path / "copy.db"
    if create_missing:  # a new database holding nothing: the rows make their sources and claims
        imported = cli("--db", copy, "import", stances, "--create-missing", "--json")
    else:
        assert cli("--db", copy, "import", records_without_stances(cli, case, tmp_path)).exit_code == 0
        imported = cli("--db", copy, "import", stances, "--json")
    assert imported.exit_code == 0, imported.stderr
    assert json.loads(imported.stdout)["stances"] == 34
    assert stances_of(cli, copy) == stances_of(cli, case)
    assert cli("--db", copy, "export", "--format", "csv").stdout == stances.read_text(encoding="utf-8")
    if not create_missing:
        assert cli("--db", copy, "reconcile", "--json").stdout == cli("--db", case, "reconcile", "--json").stdout


def test_importing_the_same_csv_twice_adds_nothing(cli, case, tmp_path):
    stances = tmp_path / "stances.csv"
    assert cli("--db", case, "export", "--output", stances).exit_code == 0
    copy = tmp_path / "copy.db"
    assert cli("--db", copy, "import", records_without_stances(cli, case, tmp_path)).exit_code == 0
    assert cli("--db", copy, "import", stances).exit_code == 0
    before = stances_of(cli, copy)
    again = cli("--db", copy, "import", stances, "--json")
    assert again.exit_code == 0, again.stderr
    assert (json.loads(again.stdout)["stances"], json.loads(again.stdout)["stances_present"]) == (0, 34)
    assert stances_of(cli, copy) == before == stances_of(cli, case)  # each under the uid it was exported with
    # and into the database it came from: every stance is there already, by its uid
    back = cli("--db", case, "import", stances, "--json")
    assert (json.loads(back.stdout)["stances"], json.loads(back.stdout)["stances_present"]) == (0, 34)


@pytest.mark.parametrize("column, value, error", [
    ("uid", "not-a-uid", "'not-a-uid' is not a uid; a uid is a UUID such as 0190a4f2-3c1e-7d2a-9b3c-1f2e3d4c5b6a "
     "(leave it out and verity gives the record one) @ line 35, column uid"),
    ("retracted_on", "1 Feb 2022", "withdrawal date '1 Feb 2022' is not an ISO date; use YYYY-MM-DD, YYYY-MM or "
     "YYYY (when only the month or year is known), or an ISO date-time @ line 35, column retracted_on"),
])
@pytest.mark.parametrize("read_ahead", [False, True])
def test_a_bad_cell_of_a_new_column_is_one_line_naming_its_line_and_column(cli, case, tmp_path, monkeypatch,
                                                                           column, value, error, read_ahead):
    if read_ahead:  # as a large file is read, by a second process: the place comes back the same
        monkeypatch.setattr(ahead, "MIN_BYTES", 0)
        monkeypatch.setattr(ahead, "forkable", lambda: True)
    written = rows(cli("--db", case, "export", "--format", "csv").stdout)
    written[-1][column] = value
    bad = tmp_path / "bad.csv"
    with open(bad, "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(written[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(written)
    copy = tmp_path / "copy.db"
    assert cli("--db", copy, "import", records_without_stances(cli, case, tmp_path)).exit_code == 0
    before = snapshot(copy)
    result = cli("--db", copy, "import", bad)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {error}; nothing was imported\n"
    assert snapshot(copy) == before


def test_a_retraction_cell_is_named_by_its_column(cli, case, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("claim,source,position,Retracted on\nbalti-was-killed,Afghan Taliban,denies,2022-02-01\n",
                   encoding="utf-8")
    result = cli("--db", case, "import", bad)
    assert result.exit_code == 1
    assert "@ line 2, column retraction_reason" in result.stderr and "retracted." not in result.stderr


def test_a_csv_of_the_old_columns_imports_as_before(cli, balti_db, tmp_path, monkeypatch):
    """No uid, desk or retracted_on: each stance gets the uid its content gives, the same on any desk."""
    monkeypatch.setenv("VERITY_DB", str(balti_db))
    example = ROOT / "examples" / "stances.csv"
    result = cli("import", example, "--create-missing")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"Imported 1 source, 0 claims, 3 stances from {example} (created 1 missing source).\n"
    other = tmp_path / "other.db"
    assert cli("--db", other, "import", example, "--create-missing").exit_code == 0
    assert [s["uid"] for s in stances_of(cli, other)] == [s["uid"] for s in stances_of(cli, balti_db)[-3:]]
    # the export then carries those uids, and reading it back adds nothing
    exported = tmp_path / "stances.csv"
    assert cli("export", "--output", exported).exit_code == 0
    assert [row["uid"] for row in rows(exported.read_text(encoding="utf-8"))] == [
        s["uid"] for s in stances_of(cli, balti_db)]
    again = cli("import", exported, "--json")
    assert json.loads(again.stdout)["stances"] == 0, again.stderr
    with Store.open(balti_db) as store:
        assert [s.desk for s in list(store.all_stances())[-3:]] == [None, None, None]
