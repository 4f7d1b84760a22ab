"""An export names every record a stance (or a merge) refers to unambiguously: where two records
of the file share a key or name — a desk merge's re-keyed claim given its key back, a source
made one with another of its name — the reference gives the record's uid too (`claim_uid`,
`source_uid`, `merged_into_uid`), and import and merge file it there (docs/import-export.md)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest


def run(cli, *args):
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return result


def filed(db: Path) -> list[tuple]:
    """Each stance (by uid) with the uids of the very claim and source records it was logged on."""
    with sqlite3.connect(db) as conn:
        return sorted(conn.execute(
            "SELECT s.uid, c.uid, src.uid FROM stances s JOIN claims c ON c.id = s.claim_id "
            "JOIN sources src ON src.id = s.source_id").fetchall())


def counts(db: Path, verdict_of: str) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT r.verdict FROM reconciliations r JOIN claims c ON c.id = r.claim_id "
                            "WHERE c.text = ?", [verdict_of]).fetchone()[0]


@pytest.fixture
def key_given_back(tmp_path, cli, monkeypatch, built_once) -> Path:
    """a.db: its claim 'k' ("A strike hit a house", denied by S) and desk b's younger 'k' ("A drone
    killed five", affirmed by T), re-keyed by the desk merge; then a's 'k' merged into 'other', so
    b's takes the key 'k' back. Two claims of the database have the key 'k'."""
    return built_once("key-given-back", lambda a: _key_given_back(a, a.with_name("b.db"), cli, monkeypatch),
                      tmp_path / "a.db")


def _key_given_back(a: Path, b: Path, cli, monkeypatch) -> None:
    monkeypatch.setenv("VERITY_DESK", "a")
    run(cli, "--db", a, "init")
    run(cli, "--db", a, "source", "add", "S")
    run(cli, "--db", a, "claim", "add", "A strike hit a house", "--key", "k")
    run(cli, "--db", a, "stance", "add", "k", "S", "denies")
    monkeypatch.setenv("VERITY_DESK", "b")
    run(cli, "--db", b, "init")
    run(cli, "--db", b, "source", "add", "T")
    run(cli, "--db", b, "claim", "add", "A drone killed five", "--key", "k")
    run(cli, "--db", b, "stance", "add", "k", "T", "affirms")
    monkeypatch.setenv("VERITY_DESK", "a")
    assert "the younger re-keyed 'k-" in run(cli, "--db", a, "merge", b).stderr
    run(cli, "--db", a, "claim", "add", "Other claim", "--key", "other")
    run(cli, "--db", a, "claim", "merge", "k", "--into", "other", "--reason", "the same")
    with sqlite3.connect(a) as conn:
        assert conn.execute("SELECT count(*) FROM claims WHERE key = 'k'").fetchone()[0] == 2
    conn.close()


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_a_stance_on_one_of_two_claims_of_one_key_imports_onto_that_claim(cli, tmp_path, key_given_back, suffix):
    file, copy = tmp_path / f"a{suffix}", tmp_path / "copy.db"
    run(cli, "--db", key_given_back, "export", "--output", file)
    stances = [record for record in map(json.loads, file.read_text().splitlines()) if record["type"] == "stance"] \
        if suffix == ".jsonl" else json.loads(file.read_text())["stances"]
    with sqlite3.connect(key_given_back) as conn:
        uid_of = dict(conn.execute("SELECT text, uid FROM claims"))
    assert sorted((stance["claim"], stance["claim_uid"]) for stance in stances) == \
        sorted([("k", uid_of["A strike hit a house"]), ("k", uid_of["A drone killed five"])])
    assert not any("source_uid" in stance for stance in stances)  # S and T: one source of each name
    run(cli, "--db", copy, "import", file)
    assert filed(copy) == filed(key_given_back)
    # the denial counts for 'other', into which its claim was merged, as it does where it was logged
    assert counts(copy, "Other claim") == counts(key_given_back, "Other claim") == "single-source"
    assert counts(copy, "A drone killed five") == "single-source"
    again = tmp_path / f"again{suffix}"
    run(cli, "--db", copy, "export", "--output", again)
    assert again.read_bytes() == file.read_bytes()
    # imported again, into the copy and into the desk that wrote it: nothing added
    for target in (copy, key_given_back):
        assert run(cli, "--db", target, "import", file).stderr.startswith("Imported 0 sources, 0 claims, 0 stances")
        assert run(cli, "--db", target, "merge", file).stderr.startswith(f"Merged {file}: nothing to add")
        assert filed(target) == filed(key_given_back)


def test_the_csv_export_names_such_a_claim_by_its_uid_too(cli, tmp_path, key_given_back):
    # Imported into a database with the same sources and claims, it gives the same stances.
    whole, rows, copy = tmp_path / "a.json", tmp_path / "a.csv", tmp_path / "copy.db"
    run(cli, "--db", key_given_back, "export", "--output", whole)
    run(cli, "--db", key_given_back, "export", "--output", rows)
    header = rows.read_text().splitlines()[0].split(",")
    assert header[-2:] == ["claim_uid", "source_uid"]
    document = json.loads(whole.read_text())
    document["stances"] = []
    whole.write_text(json.dumps(document))
    run(cli, "--db", copy, "import", whole)
    run(cli, "--db", copy, "import", rows)
    assert filed(copy) == filed(key_given_back)
    again = tmp_path / "again.csv"
    run(cli, "--db", copy, "export", "--output", again)
    assert again.read_bytes() == rows.read_bytes()


def test_a_csv_export_without_two_records_of_one_name_has_its_columns_as_before(cli, tmp_path, balti_db):
    rows = tmp_path / "balti.csv"
    run(cli, "--db", balti_db, "export", "--output", rows)
    assert rows.read_text().splitlines()[0].endswith("retracted_on,uid,desk")


def test_such_an_export_merges_into_a_new_database_as_it_imports(cli, tmp_path, key_given_back):
    file, merged = tmp_path / "a.json", tmp_path / "merged.db"
    run(cli, "--db", key_given_back, "export", "--output", file)
    run(cli, "--db", merged, "merge", file)
    assert filed(merged) == filed(key_given_back)


@pytest.fixture(params=["Reuters", "reuters"], ids=["spelt alike", "in another case"])
def one_name_two_sources(tmp_path, cli, monkeypatch, request) -> Path:
    """a.db after merging b.db: each desk's source "Reuters" (one name, as names are matched:
    the younger merged into the older; b's spelt as the parameter says), each with a stance on
    the claim 'k'."""
    paths = {}
    for desk, position in (("a", "affirms"), ("b", "denies")):
        monkeypatch.setenv("VERITY_DESK", desk)
        path = paths[desk] = tmp_path / f"{desk}.db"
        run(cli, "--db", path, "init")
        run(cli, "--db", path, "source", "add", "Reuters" if desk == "a" else request.param)
        run(cli, "--db", path, "claim", "add", "It happened", "--key", "k")
        run(cli, "--db", path, "stance", "add", "k", "Reuters", position)
    monkeypatch.setenv("VERITY_DESK", "a")
    run(cli, "--db", paths["a"], "merge", paths["b"])
    return paths["a"]


@pytest.mark.parametrize("how", ["import", "merge"])
def test_a_stance_of_one_of_two_sources_of_one_name_stays_that_sources(cli, tmp_path, one_name_two_sources, how):
    file, copy = tmp_path / "a.json", tmp_path / "copy.db"
    run(cli, "--db", one_name_two_sources, "export", "--output", file)
    document = json.loads(file.read_text())
    assert sorted(source["name"].lower() for source in document["sources"]) == ["reuters", "reuters"]
    by_uid = {source["uid"]: source for source in document["sources"]}
    assert all(by_uid[stance["source_uid"]]["name"] == stance["source"] for stance in document["stances"])
    assert len({stance["source_uid"] for stance in document["stances"]}) == 2
    # the claims 'k' are one claim, of two records: each stance names its own
    assert len({stance["claim_uid"] for stance in document["stances"]}) == 2
    run(cli, "--db", copy, how, file)
    assert filed(copy) == filed(one_name_two_sources)


def test_the_csv_export_files_each_stance_on_its_own_source_of_one_name(cli, tmp_path, one_name_two_sources):
    # Imported into a database of the same sources and claims, the CSV gives back the same stances.
    document, table = tmp_path / "a.json", tmp_path / "a.csv"
    run(cli, "--db", one_name_two_sources, "export", "--output", document)
    run(cli, "--db", one_name_two_sources, "export", "--output", table)
    records = json.loads(document.read_text())
    records["stances"] = []
    document.write_text(json.dumps(records))
    copy = tmp_path / "copy.db"
    run(cli, "--db", copy, "import", document)
    run(cli, "--db", copy, "import", table)
    assert filed(copy) == filed(one_name_two_sources)


def test_a_merged_into_uid_naming_the_record_itself_is_read_as_none_given(cli, tmp_path, one_name_two_sources):
    file, copy = tmp_path / "a.json", tmp_path / "copy.db"
    run(cli, "--db", one_name_two_sources, "export", "--output", file)
    document = json.loads(file.read_text())
    [merged] = [source for source in document["sources"] if source["merged_into"]]
    merged["merged_into_uid"] = merged["uid"]
    file.write_text(json.dumps(document))
    run(cli, "--db", copy, "import", file)
    assert filed(copy) == filed(one_name_two_sources)


def test_an_export_without_two_records_of_one_name_gives_no_uids_of_references(cli, tmp_path, balti_db):
    # A file as it always was: the extra fields appear only where a key or name alone is ambiguous.
    file = tmp_path / "balti.json"
    run(cli, "--db", balti_db, "export", "--output", file)
    assert "_uid\"" not in file.read_text().replace('"record_uid"', "")


# -- what a file gives by hand -------------------------------------------------------------------

A1, A2, A3 = ("01a22299-b2b8-7f5c-94ca-cd007b5eaa6" + digit for digit in "123")
S1 = "01a22299-b2b8-7f5c-94ca-cd007b5eaa70"


def two_claims_of_one_key(**stance) -> dict:
    """Claims 'k' (A1, merged into 'other'), 'k' (A2) and 'other' (A3); one stance, as given."""
    return {"verity": 2, "sources": [{"name": "S", "uid": S1}], "claims": [
        {"key": "k", "text": "A strike hit a house", "uid": A1, "merged_into": "other"},
        {"key": "k", "text": "A drone killed five", "uid": A2},
        {"key": "other", "text": "Other claim", "uid": A3}],
        "stances": [{"claim": "k", "source": "S", "position": "denies", **stance}]}


def test_a_stance_without_its_claims_uid_is_filed_as_before(cli, tmp_path):
    # A file an earlier verity wrote: the key alone names the claim that holds it.
    file, db = tmp_path / "old.json", tmp_path / "x.db"
    file.write_text(json.dumps(two_claims_of_one_key()))
    run(cli, "--db", db, "import", file)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT c.uid FROM stances s JOIN claims c ON c.id = s.claim_id").fetchall() == [(A2,)]


@pytest.mark.parametrize("how", ["import", "merge"])
@pytest.mark.parametrize(("given", "said"), [
    ({"claim_uid": "A1"}, "expected"),
    ({"claim_uid": A3}, f"{A3} is the claim 'other', not 'k'"),
    ({"claim_uid": "01a22299-b2b8-7f5c-94ca-cd007b5eaa99"}, "01a22299-b2b8-7f5c-94ca-cd007b5eaa99"),
    ({"source_uid": A1}, A1),
])
def test_a_claim_uid_that_is_not_the_claims_is_refused_in_one_line(cli, tmp_path, how, given, said):
    file, db = tmp_path / "wrong.json", tmp_path / "x.db"
    file.write_text(json.dumps(two_claims_of_one_key(**given)))
    result = cli("--db", db, how, file)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and said in lines[0], result.stderr
    assert f"{next(iter(given))}" in lines[0]
    assert not db.exists()


@pytest.mark.parametrize("how", ["import", "merge"])
def test_a_claim_uid_files_the_stance_under_that_claim(cli, tmp_path, how):
    file, db = tmp_path / "given.json", tmp_path / "x.db"
    file.write_text(json.dumps(two_claims_of_one_key(claim_uid=A1, source_uid=S1)))
    run(cli, "--db", db, how, file)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT c.uid FROM stances s JOIN claims c ON c.id = s.claim_id").fetchall() == [(A1,)]


def test_merged_into_uid_says_which_of_two_claims_of_one_key(cli, tmp_path):
    file, db = tmp_path / "given.json", tmp_path / "x.db"
    document = two_claims_of_one_key()
    document["claims"].append({"key": "y", "text": "Why", "uid": "01a22299-b2b8-7f5c-94ca-cd007b5eaa80",
                               "merged_into": "k", "merged_into_uid": A1})
    file.write_text(json.dumps(document))
    run(cli, "--db", db, "import", file)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT i.uid FROM claims c JOIN claims i ON i.id = c.merged_into "
                            "WHERE c.key = 'y'").fetchall() == [(A1,)]
    document["claims"][-1]["merged_into_uid"] = A3
    file.write_text(json.dumps(document))
    result = cli("--db", tmp_path / "y.db", "import", file)
    assert result.exit_code == 1
    assert f"merged_into_uid {A3} is 'other', not the claim 'k' merged_into names" in result.stderr


# -- any state desks reach -----------------------------------------------------------------------


def stances_filed(store) -> list[tuple]:
    return sorted(store.conn.execute(
        "SELECT s.uid, c.uid, src.uid FROM stances s JOIN claims c ON c.id = s.claim_id "
        "JOIN sources src ON src.id = s.source_id").fetchall())


@pytest.mark.slow
def test_in_any_state_desks_reach_an_export_files_each_stance_on_its_record():
    """test_roundtrip's round trip, with stances logged among the desks' merges, and each compared by
    the very claim and source record it was logged on, not only by what it counts for."""
    from hypothesis import HealthCheck, example, given, settings
    from hypothesis import strategies as st
    from test_desks_convergence import DESKS, KEYS, NAMES, POSITIONS, desks_after, export_of, merged_operations

    from verity.importer import import_file
    from verity.importer.desks import merge_file
    from verity.store import Store

    stance = st.tuples(st.just("stance"), st.integers(0, len(DESKS) - 1), st.sampled_from(KEYS),
                       st.sampled_from(NAMES), st.sampled_from(POSITIONS), st.none())

    @settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(merged_operations(), st.lists(st.tuples(st.integers(0, 40), stance), min_size=1, max_size=8),
           st.integers(0, len(DESKS) - 1), st.sampled_from(("json", "jsonl")))
    # The case of docs/import-export.md: a claim merged away whose key a re-keyed claim took back.
    @example(ops=[("source", 0, "Alpha", None), ("claim", 0, "k1", "It happened"),
                  ("claim", 0, "k2", "It happened"), ("source", 1, "Beta", None),
                  ("claim", 1, "k1", "It did not happen"), ("sync", 0, 1, False), ("merge-claims", 0, "k1", "k2")],
             stances=[(2, ("stance", 0, "k1", "Alpha", "denies", None)),
                      (5, ("stance", 1, "k1", "Beta", "affirms", None))], which=0, fmt="json")
    def check(ops, stances, which, fmt):
        for at, op in sorted(stances, key=lambda s: s[0], reverse=True):
            ops.insert(min(at, len(ops)), op)
        with desks_after(ops) as (folder, stores):
            store = stores[which]
            path = export_of(store, folder, fmt)
            kept = stances_filed(store)
            for how, name in ((import_file, "imported.db"), (merge_file, "merged.db")):
                with Store.create(folder / name) as copy:
                    how(copy, path)
                    assert stances_filed(copy) == kept

    check()
