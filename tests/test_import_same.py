"""What makes a stance in a file the one logged before the import, said once: the same claim and
source — compared as the records at the end of their merge chains (their roots), so a claim merged
since is the same claim — and the same content (docs/import-export.md). The same rule whether the
file gives the stance's uid or not, whether the file names a merged record by its own key or not;
and the advice an edited stance's error gives always logs the correction."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from test_import import snapshot
from test_roundtrip import records


def run(cli, *args):
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return result


def imported(cli, db: Path, path: Path) -> tuple[int, int]:
    """(stances logged, stances already logged) by an import that must succeed."""
    summary = json.loads(run(cli, "--db", db, "import", path, "--json").stdout)
    return summary["stances"], summary["stances_present"]


# -- a desk merge's export, imported back where it came from ------------------------------------------


@pytest.fixture
def desks(tmp_path, cli, monkeypatch):
    """one.db and two.db, each with a source 'Alpha News', a claim 'bridge-closed' of one text and
    a stance on it; two.db then merges one.db, so two's source and claim (the younger) are merged
    into one's, each keeping its own name and key."""
    paths = {}
    for name in ("one", "two"):
        monkeypatch.setenv("VERITY_DESK", name)
        path = paths[name] = tmp_path / f"{name}.db"
        run(cli, "--db", path, "init")
        run(cli, "--db", path, "source", "add", "Alpha News")
        run(cli, "--db", path, "claim", "add", "The bridge is closed", "--key", "bridge-closed")
        run(cli, "--db", path, "stance", "add", "bridge-closed", "Alpha News", "affirms")
        time.sleep(0.002)  # desk one's records are the older
    result = run(cli, "--db", paths["two"], "merge", paths["one"])
    assert "resolved 2 differences" in result.stderr
    return paths


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_a_desk_merges_export_imports_into_the_desk_it_merged(cli, tmp_path, desks, suffix):
    file, copy = tmp_path / f"two{suffix}", tmp_path / "copy.db"
    run(cli, "--db", desks["two"], "export", "--output", file)
    shutil.copy(desks["one"], copy)
    result = run(cli, "--db", copy, "import", file)
    assert result.stderr.startswith("Imported 1 source, 1 claim, 1 stance"), result.stderr
    assert records(copy) == records(desks["two"])
    # the claim one's stance names is the one it was logged on: nothing is an edit, nothing new
    assert run(cli, "--db", copy, "import", file).stderr.startswith("Imported 0 sources, 0 claims, 0 stances")
    assert records(copy) == records(desks["two"])


def test_two_records_of_one_name_that_differ_are_told_apart_by_uid(cli, tmp_path, monkeypatch):
    """Claim 'x' merged into 'y', and a younger claim 'x' (a desk's, say) merged into 'z': a stance
    logged on the one, given in a file with the other, is on another claim of the same key; the
    error says which claims they are."""
    db, file = tmp_path / "x.db", tmp_path / "edited.jsonl"
    run(cli, "--db", db, "init")
    run(cli, "--db", db, "source", "add", "S")
    for key in ("x", "y", "z"):
        run(cli, "--db", db, "claim", "add", f"Claim {key}", "--key", key)
    run(cli, "--db", db, "stance", "add", "x", "S", "affirms")
    run(cli, "--db", db, "claim", "merge", "x", "--into", "y", "--reason", "one")
    file.write_text(json.dumps({"type": "claim", "key": "x", "text": "Claim x again", "merged_into": "z",
                                "uid": "01b00000-0000-7000-8000-000000000001"}) + "\n", encoding="utf-8")
    run(cli, "--db", db, "import", file)
    with sqlite3.connect(db) as conn:
        (first, _y), (second, _z) = conn.execute(
            "SELECT c.uid, t.uid FROM claims c JOIN claims t ON t.id = c.merged_into WHERE c.key = 'x' ORDER BY c.id")
    lines = [json.loads(line) for line in run(cli, "--db", db, "export", "--format", "jsonl").stdout.splitlines()]
    claim = next(line for line in lines if line["type"] == "claim" and line["uid"] == second)
    stance = next(line for line in lines if line["type"] == "stance")
    # the export names the stance's claim by its uid too (two claims have its key); a file that
    # names it by its key alone (an earlier verity's) means the file's claim of that key
    assert stance.pop("claim_uid") == first
    file.write_text(json.dumps(claim) + "\n" + json.dumps(stance) + "\n", encoding="utf-8")
    before = snapshot(db)
    result = cli("--db", db, "import", file)
    assert result.exit_code == 1
    assert f"(claim: 'x' (uid {first}) in the database, 'x' (uid {second}) here)" in result.stderr, result.stderr
    assert snapshot(db) == before


# -- the advice an edit's error gives ------------------------------------------------------------------


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def csv_of(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize("given", [("logged_by",), ()])
def test_following_the_advice_logs_a_corrected_note(cli, tmp_path, given):
    """A stance first imported without its logged_at (so its uid, which leaves out its note, came
    from what it says and whom the file named): its exported row with a corrected note is an edit,
    and the advice (remove its uid and logged_at) then logs the correction as a new stance."""
    db, path = tmp_path / "x.db", tmp_path / "stances.csv"
    run(cli, "--db", db, "init")
    run(cli, "--db", db, "source", "add", "Alpha News")
    run(cli, "--db", db, "claim", "add", "The bridge is closed", "--key", "bridge-closed")
    first = {"claim": "bridge-closed", "source": "Alpha News", "position": "affirms", "note": "as first read"}
    first.update({field: "desk-a" for field in given})
    path.write_text(csv_of([first]), encoding="utf-8")
    assert imported(cli, db, path) == (1, 0)
    rows = rows_of(run(cli, "--db", db, "export", "--format", "csv").stdout)
    rows[0]["note"] = "corrected"
    path.write_text(csv_of(rows), encoding="utf-8")
    result = cli("--db", db, "import", path)
    assert result.exit_code == 1
    assert "(note: 'as first read' in the database, 'corrected' here)" in result.stderr
    assert "remove its uid and logged_at" in result.stderr
    rows[0].update(uid="", logged_at="")
    path.write_text(csv_of(rows), encoding="utf-8")
    assert imported(cli, db, path) == (1, 0)
    with sqlite3.connect(db) as conn:
        notes = conn.execute("SELECT note, uid FROM stances ORDER BY id").fetchall()
    assert [note for note, _uid in notes] == ["as first read", "corrected"]
    assert len({uid for _note, uid in notes}) == 2
    assert imported(cli, db, path) == (0, 1)  # and again: nothing new


def test_a_derived_uid_taken_by_a_stance_that_says_the_same_is_that_stance(cli, tmp_path):
    db, path = tmp_path / "x.db", tmp_path / "stances.csv"
    run(cli, "--db", db, "init")
    run(cli, "--db", db, "source", "add", "Alpha News")
    run(cli, "--db", db, "claim", "add", "The bridge is closed", "--key", "bridge-closed")
    path.write_text(csv_of([{"claim": "bridge-closed", "source": "Alpha News", "position": "affirms",
                             "note": "n", "logged_by": "desk-a"}]), encoding="utf-8")
    assert imported(cli, db, path) == (1, 0)
    assert imported(cli, db, path) == (0, 1)


# -- a claim merged since the stance was logged ---------------------------------------------------------


@pytest.mark.parametrize("with_uid", [True, False])
def test_a_stance_on_a_claim_merged_since_is_logged_already_with_its_uid_or_without(cli, tmp_path, with_uid):
    """A stance logged with 'stance add' (a uid no content gives) on claim 'a', exported, and 'a'
    merged into 'b': the stance, named on 'a', is the one logged, whether its uid is given or not."""
    db, path = tmp_path / "x.db", tmp_path / "again.jsonl"
    run(cli, "--db", db, "init")
    run(cli, "--db", db, "source", "add", "Alpha News")
    run(cli, "--db", db, "claim", "add", "It happened", "--key", "a")
    run(cli, "--db", db, "claim", "add", "It did happen", "--key", "b")
    run(cli, "--db", db, "stance", "add", "a", "Alpha News", "affirms")
    lines = [json.loads(line) for line in run(cli, "--db", db, "export", "--format", "jsonl").stdout.splitlines()]
    stance = next(line for line in lines if line["type"] == "stance")
    if not with_uid:
        del stance["uid"]
    path.write_text(json.dumps(stance) + "\n", encoding="utf-8")
    run(cli, "--db", db, "claim", "merge", "a", "--into", "b", "--reason", "the same claim")
    assert imported(cli, db, path) == (0, 1)
    # a source merged since, likewise
    run(cli, "--db", db, "source", "add", "Alpha")
    run(cli, "--db", db, "source", "merge", "Alpha News", "--into", "Alpha", "--reason", "the same outlet")
    assert imported(cli, db, path) == (0, 1)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM stances").fetchone()[0] == 1
