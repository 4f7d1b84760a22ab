"""The store: writes, the stored reconciliation, concurrency, and the bundled example."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import re
import sqlite3
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from support import EXAMPLE_DB, ROOT

from verity.errors import Conflict, DatabaseUnavailable, Duplicate, InvalidValue, NotFound
from verity.models import POSITIONS, Claim, Retraction, Source, Stance
from verity.store import Store
from verity.store.rows import json_names as _json_names


def test_stances_are_stored_with_logged_at_and_logged_by(store):
    store.add_source(Source(name="TTP spokesman", affiliation="TTP"))
    store.add_claim(Claim(text="Balti was killed"))
    stance = store.add_stance(Stance(claim="balti-was-killed", source="ttp SPOKESMAN", position="affirms"))
    saved = store.get_stance(stance.id)
    assert saved.source == "TTP spokesman"
    assert saved.logged_by == "tester"
    assert saved.logged_at.endswith("Z") and saved.logged_at[:2] == "20"


def test_logged_by_falls_back_to_the_login_name(store, monkeypatch):
    import getpass

    monkeypatch.delenv("VERITY_USER")
    store.add_source(Source(name="S"))
    store.add_claim(Claim(text="C"))
    assert store.add_stance(Stance(claim="c", source="S", position="neutral")).logged_by == getpass.getuser()


def test_duplicate_names_ignore_case(store):
    store.add_source(Source(name="Bilal Karimi"))
    with pytest.raises(Duplicate, match="already exists"):
        store.add_source(Source(name="bilal karimi"))


def test_stances_cannot_be_edited_or_deleted_in_the_database(store):
    store.add_source(Source(name="S"))
    store.add_claim(Claim(text="C"))
    store.add_stance(Stance(claim="c", source="S", position="affirms"))
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        store.conn.execute("DELETE FROM stances")
    with pytest.raises(sqlite3.IntegrityError, match="never edited"):
        store.conn.execute("UPDATE stances SET position = 'denies'")


def test_retracted_twice_is_a_conflict(store):
    store.add_source(Source(name="S"))
    store.add_claim(Claim(text="C"))
    stance = store.add_stance(Stance(claim="c", source="S", position="affirms"))
    store.retract_stance(stance.id, "wrong source")
    with pytest.raises(Conflict, match="already retracted"):
        store.retract_stance(stance.id, "again")


def test_write_refreshes_only_the_touched_claim(store):
    store.add_source(Source(name="S"))
    for text in ("one", "two"):
        store.add_claim(Claim(text=text))
    store.conn.execute("UPDATE reconciliations SET verdict = 'sentinel' WHERE claim_id = 2")
    store.add_stance(Stance(claim="one", source="S", position="affirms"))
    verdicts = dict(store.conn.execute("SELECT claim_id, verdict FROM reconciliations"))
    assert verdicts == {1: "single-source", 2: "sentinel"}


def test_unknown_claim_suggests_close_keys(store):
    store.add_claim(Claim(text="Balti was killed"))
    with pytest.raises(NotFound, match="did you mean 'balti-was-killed'"):
        store.get_claim("balti-was-kiled")


def test_open_refuses_missing_and_foreign_files(tmp_path):
    with pytest.raises(DatabaseUnavailable, match="verity init"):
        Store.open(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()
    (tmp_path / "notes.txt").write_text("hello, not a database " * 100)
    with pytest.raises(DatabaseUnavailable, match="not a SQLite database"):
        Store.open(tmp_path / "notes.txt")
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(DatabaseUnavailable, match="not a verity database"):
        Store.open(other)


def test_wal_mode_and_busy_timeout(store):
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000  # a writer waits 30 s for another


def test_a_new_database_gets_large_pages_and_an_existing_one_keeps_its_own(tmp_path):
    from verity.store.core import PAGE_SIZE

    with Store.create(tmp_path / "new.db") as store:
        assert store.conn.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE != 4096
    (tmp_path / "empty.db").touch()  # an empty file made a verity database is new too
    with Store.create(tmp_path / "empty.db") as store:
        assert store.conn.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE
    for pragma in ("user_version = 1", "journal_mode = WAL"):  # SQLite has written these: a header, no table
        headed = tmp_path / f"headed-{pragma[:4]}.db"
        with contextlib.closing(sqlite3.connect(headed)) as conn:
            conn.execute(f"PRAGMA {pragma}")
        assert headed.stat().st_size > 0
        with Store.create(headed) as store:
            assert store.conn.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE
            assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    older = tmp_path / "older.db"
    older.write_bytes(EXAMPLE_DB.read_bytes())
    before = sqlite3.connect(older).execute("PRAGMA page_size").fetchone()[0]
    with Store.open(older) as store:
        assert store.conn.execute("PRAGMA page_size").fetchone()[0] == before


# -- the stored reconciliation never disagrees with a fresh computation --------------

operations = st.lists(
    st.one_of(
        st.tuples(st.just("stance"), st.integers(0, 3), st.integers(0, 4), st.sampled_from(POSITIONS),
                  st.one_of(st.none(), st.sampled_from(["2022", "2022-01", "2022-01-10", "2022-01-11",
                                                        "2022-01-11T08:00"]))),
        st.tuples(st.just("retract"), st.integers(0, 30)),
        st.tuples(st.just("rule"), st.integers(0, 3), st.sampled_from(["true", "false", "unproven"])),
        st.tuples(st.just("edit-source"), st.integers(0, 4),
                  st.sampled_from(["affiliation", "reliability", "name"]), st.sampled_from(["X", "Y", None, "B"])),
        st.tuples(st.just("alias"), st.integers(0, 4), st.sampled_from(["Alias", "Other", "a"])),
        st.tuples(st.just("merge-sources"), st.integers(0, 4), st.integers(0, 4)),
        st.tuples(st.just("edit-claim"), st.integers(0, 3), st.sampled_from(["renamed", "claim-0"])),
        st.tuples(st.just("merge-claims"), st.integers(0, 3), st.integers(0, 3)),
    ),
    max_size=25,
)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations)
def test_stored_reconciliation_matches_a_fresh_computation(tmp_path_factory, ops):
    """Whatever is logged, retracted, ruled, edited, aliased and merged, in any order, the
    stored reconciliations and stance statuses equal a fresh computation, and every
    correction leaves one change per field it changed."""
    path = tmp_path_factory.mktemp("prop") / "p.db"
    with Store.create(path) as store:
        sources = []
        for name, affiliation, grade in [("A", "X", "A"), ("B", "x ", None), ("C", None, "E"), ("D", "Y", "C"),
                                         ("E", None, "F")]:
            sources.append(store.add_source(Source(name=name, affiliation=affiliation, reliability=grade)).id)
        claims = [store.add_claim(Claim(text=f"claim {i}")).id for i in range(4)]
        stance_ids = []
        for op in ops:
            changes = store.conn.execute("SELECT count(*) FROM changes").fetchone()[0]
            expected = 0
            try:
                if op[0] == "stance":
                    _, claim, source, position, said_on = op
                    stance_ids.append(store.add_stance(Stance(
                        claim=claims[claim], source=sources[source], position=position, said_on=said_on)).id)
                elif op[0] == "retract" and stance_ids:
                    stance_id = stance_ids[op[1] % len(stance_ids)]
                    if store.get_stance(stance_id).retracted is None:
                        store.retract_stance(stance_id, "test")
                        expected = 1
                elif op[0] == "rule":
                    store.rule_claim(claims[op[1]], op[2])
                    expected = 1
                elif op[0] == "edit-source":
                    _, source, field, value = op
                    store.edit_source(sources[source], "test", **{field: value or ("Z" if field == "name" else None)})
                    expected = 1
                elif op[0] == "alias":
                    store.alias_source(sources[op[1]], op[2])
                    expected = 1
                elif op[0] == "merge-sources":
                    store.merge_sources(sources[op[1]], sources[op[2]], "test")
                    expected = 1
                elif op[0] == "edit-claim":
                    store.edit_claim(claims[op[1]], "test", key=op[2])
                    expected = 1
                elif op[0] == "merge-claims":
                    store.merge_claims(claims[op[1]], claims[op[2]], "test")
                    expected = 1
            except (Conflict, Duplicate, InvalidValue):
                expected = 0  # refused, as the rules say: nothing written
            assert store.conn.execute("SELECT count(*) FROM changes").fetchone()[0] == changes + expected
            assert list(store.reconciliations()) == list(store.fresh_reconciliations())
            stored = {row[0]: row for row in store.conn.execute(
                "SELECT stance_id, status, previous_id, claim_id, source_id FROM stance_statuses")}
            store.refresh_reconciliations()
            assert {row[0]: row for row in store.conn.execute(
                "SELECT stance_id, status, previous_id, claim_id, source_id FROM stance_statuses")} == stored


def test_rebuild_reconciliations_restores_a_damaged_table(balti_db):
    with Store.open(balti_db) as store:
        fresh = list(store.fresh_reconciliations())
        store.conn.execute("DELETE FROM reconciliations")
        assert store.rebuild_reconciliations() == len(fresh)
        assert list(store.reconciliations()) == fresh


def test_rebuild_rewrites_only_the_rows_that_differ(balti_db):
    with Store.open(balti_db) as store:
        fresh = list(store.fresh_reconciliations())
        before = store.conn.total_changes
        store.rebuild_reconciliations()
        assert store.conn.total_changes == before  # a sound table: nothing written
        store.conn.execute("UPDATE reconciliations SET score = NULL WHERE claim_id = 1")
        store.conn.execute("UPDATE reconciliations SET contradictions = 99 WHERE claim_id = 2")
        before = store.conn.total_changes
        store.rebuild_reconciliations()
        assert store.conn.total_changes == before + 2
        assert list(store.reconciliations()) == fresh


# Every kind of character json.dumps treats specially: quotes, backslashes, control
# characters, DEL, non-ASCII, line and paragraph separators, astral and lone surrogates.
any_text = st.text(st.one_of(st.characters(blacklist_categories=()), st.sampled_from('"\\\x00\x1f\x7f\u2028é😀')))


@pytest.mark.slow
@settings(max_examples=500, deadline=None)
@given(st.lists(any_text, max_size=6))
def test_stored_name_lists_are_the_text_json_dumps_gives(names):
    assert _json_names(tuple(names)) == json.dumps(names, ensure_ascii=False)


source_names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(source_names, st.sampled_from([None, "TTP", " ttp ", "Government"]),
                       st.sampled_from([None, "A", "C", "E", "F"])), min_size=1, max_size=5),
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 4), st.sampled_from(POSITIONS),
                       st.sampled_from([None, "2022-01-10", "2022-01-10T08:00"]), st.booleans()), max_size=20),
)
def test_full_refresh_stores_what_refreshing_claim_by_claim_stores(sources, stances):
    # Two ways to the same rows: claim by claim as each write refreshes (reading the
    # claims' stances through the index), and one full pass (the import's and rebuild's).
    with Store.create(":memory:") as store:
        names = []
        for name, affiliation, grade in sources:
            try:
                source = Source(name=name, affiliation=affiliation, reliability=grade)
            except ValueError:
                continue  # not a valid name (blank, too long ...)
            if store.find_source(source.name) is None:
                names.append(store.add_source(source).name)
        assume(names)
        for i in range(3):
            store.add_claim(Claim(text=f"claim {i}", key=f"claim-{i}"))
        for claim, source, position, said_on, retracted in stances:
            with contextlib.suppress(Conflict):  # a repeat of a stance logged already is refused
                store.add_stance(Stance(claim=f"claim-{claim}", source=names[source % len(names)],
                                        position=position, said_on=said_on,
                                        retracted=Retraction(reason="test") if retracted else None))
        by_claim = store.conn.execute("SELECT * FROM reconciliations ORDER BY claim_id").fetchall()
        store.conn.execute("DELETE FROM reconciliations")
        assert store.rebuild_reconciliations() == 3
        assert store.conn.execute("SELECT * FROM reconciliations ORDER BY claim_id").fetchall() == by_claim
        for row in by_claim:
            assert set(json.loads(row[4]) + json.loads(row[5]) + json.loads(row[6])) <= set(names)


# -- two writers at once ----------------------------------------------------------

def _writer(path: str, source: str, count: int) -> None:
    with Store.open(path) as store:
        for i in range(count):
            store.add_stance(Stance(claim="contested-claim", source=source, position="affirms",
                                    quote=f"{source} {i}"))


def test_two_writers_at_once_both_succeed(db_path):
    with Store.create(db_path) as store:
        store.add_source(Source(name="one"))
        store.add_source(Source(name="two"))
        store.add_claim(Claim(text="contested claim"))
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(db_path), name, 40)) for name in ("one", "two")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with Store.open(db_path) as store:
        assert store.counts()["stances"] == 80
        assert list(store.reconciliations()) == list(store.fresh_reconciliations())


def test_a_killed_writer_loses_nothing_committed(db_path):
    with Store.create(db_path) as store:
        store.add_source(Source(name="S"))
        store.add_claim(Claim(text="C"))
        store.add_stance(Stance(claim="c", source="S", position="affirms"))
    # A process that is killed in the middle of a transaction.
    code = (
        "import os, sys; from verity.store import Store; from verity.models import Stance\n"
        f"s = Store.open({str(db_path)!r})\n"
        "s.conn.execute('BEGIN IMMEDIATE')\n"
        "s.conn.execute(\"INSERT INTO stances (claim_id, source_id, position, logged_at) "
        "VALUES (1, 1, 'denies', '2022-01-10T00:00:00Z')\")\n"
        "os._exit(9)\n"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 9
    with Store.open(db_path) as store:
        assert store.counts()["stances"] == 1
        assert next(store.reconciliations()).verdict == "single-source"


# -- the bundled example ------------------------------------------------------------

def _content(path) -> dict:
    conn = sqlite3.connect(path)
    out = {"schema": sorted(conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall(),
                            key=lambda r: (r[0], r[1]))}
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        if re.search(r"_fts_(data|idx|docsize|config)$", table):
            continue  # full-text index pages: their bytes depend on insert batching, not content
        columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
        # When migrations were applied, and when and by whom records were made, differs by build.
        kept = [i for i, column in enumerate(columns)
                if column not in ("id", "applied_at", "created_at", "created_by", "added_at", "added_by")
                or (column == "id" and table != "_sqlite_migrations")]
        out[table] = [tuple(row[i] for i in kept) for row in conn.execute(f'SELECT * FROM "{table}"')]
    conn.close()
    return out


def test_committed_claims_db_matches_a_fresh_build(tmp_path):
    built = tmp_path / "fresh.db"
    subprocess.run(["sh", str(ROOT / "examples" / "build.sh"), str(built)], check=True,
                   capture_output=True, env={**os.environ, "PYTHON": sys.executable})
    assert _content(EXAMPLE_DB) == _content(built)


def test_the_balti_case_shows_every_verdict_the_article_supports(balti_db):
    with Store.open(balti_db) as store:
        verdicts = {r.claim: r.verdict for r in store.reconciliations()}
        counts = store.counts()
    assert counts == {"sources": 14, "claims": 17, "stances": 33}  # as the README says
    assert verdicts["balti-was-killed"] == "contested"
    assert verdicts["balti-was-current-ttp-spokesman"] == "contested"
    assert {"contested", "corroborated", "single-source", "unverified"} <= set(verdicts.values())
    data = json.loads((ROOT / "examples" / "balti.json").read_text())
    assert any(s["retracted"] for s in data["stances"])
