"""Migrations: a blank database gets exactly this schema; an older one upgrades without loss."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from support import as_if_from_a_newer_verity

from verity import migrations, uids
from verity.errors import DatabaseUnavailable
from verity.models import Source
from verity.store import Store


def schema(path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name"
    ).fetchall()
    conn.close()
    return [(name, " ".join(sql.split())) for name, sql in rows]


def test_blank_database_migrates_to_the_exact_schema(db_path):
    Store.create(db_path).close()
    got = schema(db_path)
    names = [name for name, _ in got]
    assert names == EXPECTED_NAMES
    sql = dict(got)
    assert sql["sources"] == (
        'CREATE TABLE "sources" ( id INTEGER PRIMARY KEY, uid TEXT UNIQUE, name TEXT NOT NULL, folded TEXT, '
        "kind TEXT, affiliation TEXT, reliability TEXT CHECK (reliability IN ('A', 'B', 'C', 'D', 'E', 'F')), "
        "url TEXT, note TEXT, merged_into INTEGER REFERENCES sources(id), created_at TEXT, created_by TEXT, "
        "desk TEXT )"
    )
    assert sql["claims"] == (
        'CREATE TABLE "claims" ( id INTEGER PRIMARY KEY, uid TEXT UNIQUE, key TEXT NOT NULL, text TEXT NOT NULL, '
        "subject TEXT, tags TEXT NOT NULL DEFAULT '[]', note TEXT, ruling TEXT CHECK (ruling IN "
        "('true', 'mostly-true', 'mixture', 'mostly-false', 'false', 'unproven')), "
        "ruling_explanation TEXT, ruled_at TEXT, ruled_by TEXT, question_id INTEGER REFERENCES questions(id), "
        "merged_into INTEGER REFERENCES claims(id), rekeyed_from TEXT, created_at TEXT, created_by TEXT, desk TEXT )"
    )
    assert sql["stances"] == (
        "CREATE TABLE stances ( id INTEGER PRIMARY KEY, claim_id INTEGER NOT NULL REFERENCES claims(id), "
        "source_id INTEGER NOT NULL REFERENCES sources(id), position TEXT NOT NULL CHECK (position IN "
        "('affirms', 'partially-affirms', 'neutral', 'partially-denies', 'denies')), quote TEXT, url TEXT, "
        "said_on TEXT, via TEXT, note TEXT, logged_at TEXT NOT NULL, logged_by TEXT, retracted_at TEXT, "
        "retraction_reason TEXT, retracted_by TEXT , uid TEXT, desk TEXT, retracted_on TEXT)"
    )
    assert sql["claims_similar_fts"] == (
        "CREATE VIRTUAL TABLE claims_similar_fts USING fts5( text, subject, note, content='claims', "
        "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
    )
    assert sql["claim_lookalikes"] == (
        "CREATE TABLE claim_lookalikes ( claim_id INTEGER NOT NULL REFERENCES claims(id), same_as_id INTEGER "
        "NOT NULL REFERENCES claims(id), score REAL NOT NULL, PRIMARY KEY (claim_id, same_as_id) ) WITHOUT ROWID"
    )
    assert sql["claims_key"] == "CREATE UNIQUE INDEX claims_key ON claims (key) WHERE merged_into IS NULL"
    assert sql["sources_folded"] == "CREATE UNIQUE INDEX sources_folded ON sources (folded) WHERE merged_into IS NULL"
    assert sql["stances_uid"] == "CREATE UNIQUE INDEX stances_uid ON stances (uid)"
    assert sql["rulings"] == (
        "CREATE TABLE rulings ( id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, claim_id INTEGER NOT NULL "
        "REFERENCES claims(id), ruling TEXT NOT NULL CHECK (ruling IN ('true', 'mostly-true', 'mixture', "
        "'mostly-false', 'false', 'unproven')), explanation TEXT, ruled_at TEXT, ruled_by TEXT, desk TEXT )"
    )
    assert sql["aliases"] == (
        "CREATE TABLE aliases ( id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, source_id INTEGER REFERENCES "
        "sources(id), claim_id INTEGER REFERENCES claims(id), alias TEXT NOT NULL, folded TEXT NOT NULL, added_at "
        "TEXT, added_by TEXT, desk TEXT, CHECK ((source_id IS NULL) != (claim_id IS NULL)) )"
    )
    assert sql["changes"] == (
        "CREATE TABLE changes ( id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, at TEXT NOT NULL, by TEXT, "
        "desk TEXT, action TEXT NOT NULL CHECK (action IN ('edit', 'alias', 'merge', 'rule', 'retract')), "
        "record_type TEXT NOT NULL CHECK (record_type IN ('source', 'claim', 'stance', 'question')), record_id "
        "INTEGER NOT NULL, record_uid TEXT NOT NULL, field TEXT, old TEXT, new TEXT, reason TEXT )"
    )
    assert sql["questions"] == (
        "CREATE TABLE questions ( id INTEGER PRIMARY KEY, uid TEXT NOT NULL UNIQUE, key TEXT NOT NULL UNIQUE, "
        "text TEXT NOT NULL, created_at TEXT, created_by TEXT, desk TEXT )"
    )
    assert sql["reconciliations"] == (
        "CREATE TABLE reconciliations ( claim_id INTEGER PRIMARY KEY REFERENCES claims(id), "
        "verdict TEXT NOT NULL, score REAL, agreement REAL, affirming TEXT NOT NULL, denying TEXT NOT NULL, "
        "neutral TEXT NOT NULL, affirming_origins INTEGER NOT NULL, denying_origins INTEGER NOT NULL, "
        "contradictions INTEGER NOT NULL )"
    )
    assert sql["stance_statuses"] == (
        "CREATE TABLE stance_statuses ( stance_id INTEGER PRIMARY KEY REFERENCES stances(id), "
        "status TEXT NOT NULL CHECK (status IN ('counted', 'superseded', 'retracted')), "
        "previous_id INTEGER REFERENCES stances(id) , claim_id INTEGER REFERENCES claims(id), "
        "source_id INTEGER REFERENCES sources(id))"
    )
    assert sql["counted_stances"] == (
        "CREATE VIEW counted_stances AS SELECT s.id, c.key AS claim, src.name AS source, "
        "src.kind AS source_kind, src.affiliation, src.reliability, s.position, s.quote, s.said_on, s.via, "
        "s.url, s.logged_at, c.id AS claim_id, src.id AS source_id FROM stances s "
        "LEFT JOIN stance_statuses st ON st.stance_id = s.id JOIN claims c ON c.id = coalesce(st.claim_id, s.claim_id) "
        "JOIN sources src ON src.id = coalesce(st.source_id, s.source_id) "
        "WHERE coalesce(st.status, 'counted') = 'counted'"
    )
    assert sql["stance_statuses_claim_id"] == (
        "CREATE INDEX stance_statuses_claim_id ON stance_statuses (claim_id) WHERE claim_id IS NOT NULL"
    )
    # Every view is the one m004 generates from the rules' constants, and no other.
    for name, select in migrations.views().items():
        assert sql[name] == " ".join(f"CREATE VIEW {name} AS{select}".split()), name
    assert sql["stances_claim_source"] == 'CREATE INDEX "stances_claim_source" ON "stances" ("claim_id", "source_id")'
    assert sql["reconciliations_verdict"] == 'CREATE INDEX "reconciliations_verdict" ON "reconciliations" ("verdict")'
    with Store.open(db_path) as store:
        applied = [row[0] for row in store.conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
        assert applied == [name for name, _ in migrations.MIGRATIONS]
        fks = {(r[2], r[3], r[4]) for r in store.conn.execute("PRAGMA foreign_key_list(stances)")}
        assert fks == {("claims", "claim_id", "id"), ("sources", "source_id", "id")}


# Every schema object a fresh database has after all migrations, ordered by type then name.
EXPECTED_NAMES = [
    "aliases_claim_id", "aliases_folded", "aliases_source_id", "changes_at", "changes_record",
    "claim_lookalikes_same_as_id", "claims_key", "claims_merged_into", "claims_question_id",
    "idx__sqlite_migrations_migration_set_name", "reconciliations_agreement", "reconciliations_score",
    "reconciliations_verdict", "rulings_claim_id", "sources_folded", "sources_merged_into",
    "stance_statuses_claim_id", "stances_claim_source",
    "stances_position", "stances_source_id", "stances_uid", "_sqlite_migrations", "alias_names_fts",
    "alias_names_fts_config", "alias_names_fts_data", "alias_names_fts_docsize", "alias_names_fts_idx", "aliases",
    "assessed_sources", "assessment_runs", "assessments", "changes", "claim_lookalikes", "claims", "claims_fts",
    "claims_fts_config", "claims_fts_data", "claims_fts_docsize", "claims_fts_idx", "claims_similar_fts",
    "claims_similar_fts_config", "claims_similar_fts_data", "claims_similar_fts_docsize", "claims_similar_fts_idx",
    "meaning_vectors", "question_reconciliations", "questions", "reconciliations", "rulings", "similarity_checks", "source_names_fts",
    "source_names_fts_config", "source_names_fts_data", "source_names_fts_docsize", "source_names_fts_idx",
    "sources", "stance_statuses", "stances", "stances_fts", "stances_fts_config", "stances_fts_data",
    "stances_fts_docsize", "stances_fts_idx", "alias_names_ai", "aliases_never_deleted", "aliases_never_edited", "aliases_never_replaced",
    "assessment_runs_never_renumbered",
    "changes_never_deleted", "changes_never_edited", "changes_never_replaced", "claims_ad", "claims_ai", "claims_au",
    "claims_make_estimates_stale_0", "claims_never_deleted", "claims_never_renumbered", "claims_never_replaced",
    "claims_never_replaced_by_key", "claims_never_replaced_by_update_of_key",
    "claims_never_replaced_by_update_of_uid", "claims_similar_ad",
    "claims_similar_ai", "claims_similar_au", "claims_uid_kept", "questions_never_deleted", "questions_never_renumbered",
    "questions_never_replaced", "questions_never_replaced_by_update_of_key", "questions_uid_kept", "rulings_make_estimates_stale_0",
    "rulings_never_deleted", "rulings_never_edited", "rulings_never_replaced", "source_names_ai", "source_names_au",
    "sources_make_estimates_stale_0", "sources_never_deleted", "sources_never_renumbered", "sources_never_replaced",
    "sources_never_replaced_by_key", "sources_never_replaced_by_update_of_name",
    "sources_never_replaced_by_update_of_uid", "sources_uid_kept", "stances_ad", "stances_ai",
    "stances_au", "stances_make_estimates_stale_0", "stances_make_estimates_stale_1", "stances_never_deleted",
    "stances_never_edited", "stances_never_renumbered", "stances_never_replaced",
    "stances_never_replaced_by_update_of_uid", "stances_retraction_stands",
    "stances_uid_kept",
    "claim_estimates", "claim_truths", "claim_verdicts", "claims_logged_twice", "contested_claims", "contradiction_pairs",
    "counted_stances", "question_answers", "question_verdicts", "ruled_stances", "ruling_disagreements",
    "single_source_claims", "source_statements", "source_track_records", "stance_reversals",
]


def _legacy_database(path, names):
    """A database as verity made it before it used sqlite-utils' migrations: the same
    schema functions, each recorded in _verity_migrations."""
    import sqlite_utils

    db = sqlite_utils.Database(path)
    for name, fn in migrations.MIGRATIONS:
        if name in names:
            fn(db)
            db["_verity_migrations"].insert({"name": name, "applied_at": "2026-01-01T00:00:00.000000Z"}, pk="name")
    db.conn.execute("PRAGMA journal_mode = WAL")
    db.conn.commit()
    db.conn.close()


def test_a_first_release_database_upgrades_without_loss(db_path):
    _legacy_database(db_path, ["m001_initial"])
    conn = sqlite3.connect(db_path)
    conn.execute("INSERT INTO sources (id, name, affiliation, reliability) VALUES (1, 'TTP spokesman', 'TTP', 'D')")
    conn.execute("INSERT INTO claims (id, key, text, tags) VALUES (1, 'balti-was-killed', 'Balti was killed', '[\"ttp\"]')")
    conn.execute("INSERT INTO stances (claim_id, source_id, position, quote, said_on, logged_at, logged_by) "
                 "VALUES (1, 1, 'affirms', 'huge loss', '2022-01-12', '2022-01-13T00:00:00Z', 'old')")
    conn.execute("INSERT INTO reconciliations VALUES (1, 'single-source', 1.0, 1.0, '[\"TTP spokesman\"]', '[]', '[]', 1, 0, 0)")
    conn.commit()
    conn.close()
    with Store.open(db_path) as store:
        assert store.schema_version() == len(migrations.MIGRATIONS)
        applied = store.conn.execute("SELECT name, applied_at FROM _sqlite_migrations ORDER BY id").fetchall()
        assert applied[0] == ("m001_initial", "2026-01-01T00:00:00.000000Z")  # carried over, date kept
        assert [name for name, _ in applied] == [name for name, _ in migrations.MIGRATIONS]
        assert not store.conn.execute("SELECT 1 FROM sqlite_master WHERE name = '_verity_migrations'").fetchone()
        [(source, count)] = list(store.sources())
        assert (source.name, source.affiliation, source.reliability, count) == ("TTP spokesman", "TTP", "D", 1)
        [stance] = list(store.all_stances())
        assert (stance.quote, stance.said_on, stance.logged_by) == ("huge loss", "2022-01-12", "old")
        assert list(store.reconciliations()) == list(store.fresh_reconciliations())


def test_the_bundled_database_as_released_upgrades_without_loss(tmp_path):
    """tests/data holds claims.db as verity 0.1 shipped it (migrations in _verity_migrations)."""
    import shutil

    old = tmp_path / "old.db"
    shutil.copy(Path(__file__).parent / "data" / "claims-before-sqlite-migrations.db", old)
    before = _rows_as_released(old)
    with Store.open(old) as store:
        assert store.pending_migrations() == []
        assert _rows_as_released(old, store.conn) == before  # every value kept
        assert list(store.reconciliations()) == list(store.fresh_reconciliations())


def test_a_database_from_a_newer_verity_is_read_but_never_written(db_path):
    Store.create(db_path).close()
    as_if_from_a_newer_verity(db_path)
    before = db_path.read_bytes()
    with Store.open(db_path) as store:
        assert list(store.claims()) == []
        with pytest.raises(DatabaseUnavailable, match="newer verity.*m999_from_the_future.*upgrade verity"):
            store.add_source(Source(name="Anyone"))
    assert db_path.read_bytes() == before


def test_an_empty_file_is_not_made_a_database_except_by_init(db_path):
    db_path.write_bytes(b"")
    with pytest.raises(DatabaseUnavailable, match="empty file.*verity --db .* init"):
        Store.open(db_path)
    assert db_path.read_bytes() == b""
    Store.create(db_path).close()
    assert db_path.stat().st_size > 0


def first_release_database(path) -> None:
    """A database as the first release made it: only the first migration (recorded as
    sqlite-utils records it), and one source, claim and stance written as it wrote them."""
    import sqlite_utils

    db = sqlite_utils.Database(path)
    migrations.migration_set().apply(db, stop_before=migrations.MIGRATIONS[1][0])
    db.execute("INSERT INTO sources (name, affiliation, reliability) VALUES ('TTP spokesman', 'TTP', 'D')")
    db.execute("INSERT INTO claims (key, text, tags) VALUES ('balti-was-killed', 'Balti was killed', '[\"ttp\"]')")
    db.execute("INSERT INTO stances (claim_id, source_id, position, quote, said_on, logged_at, logged_by) "
               "VALUES (1, 1, 'affirms', 'huge loss', '2022-01-12', '2022-01-13T09:00:00.000000Z', 'tester')")
    db.execute("INSERT INTO reconciliations VALUES (1, 'single-source', 1.0, 1.0, '[\"TTP spokesman\"]', '[]', '[]', 1, 0, 0)")
    db.conn.commit()
    db.conn.close()


def _rows_as_released(path, conn=None) -> dict:
    """Every row of sources, claims and stances, in the columns the first release had."""
    own = conn is None
    conn = conn or sqlite3.connect(path)
    columns = {
        "sources": "id, name, kind, affiliation, reliability, url, note",
        "claims": "id, key, text, subject, tags, note, ruling, ruling_explanation, ruled_at, ruled_by",
        "stances": "id, claim_id, source_id, position, quote, url, said_on, via, note, logged_at, logged_by, "
                   "retracted_at, retraction_reason, retracted_by",
    }
    rows = {table: conn.execute(f"SELECT {listed} FROM {table} ORDER BY id").fetchall()
            for table, listed in columns.items()}
    if own:
        conn.close()
    return rows


def test_an_older_database_upgrades_without_loss(db_path):
    # A database made by the first release: only the first migration.
    first_release_database(db_path)
    before = _rows_as_released(db_path)
    with Store.open(db_path) as store:
        assert store.schema_version() == len(migrations.MIGRATIONS)
        assert _rows_as_released(db_path, store.conn) == before
        [(source, count)] = list(store.sources())
        assert (source.name, source.affiliation, source.reliability, count) == ("TTP spokesman", "TTP", "D", 1)
        assert source.uid == uids.of_source("TTP spokesman")  # what an import of it would give
        assert list(store.reconciliations()) == list(store.fresh_reconciliations())


def test_a_database_upgraded_by_a_migration_renamed_before_release_is_no_newer_verity_s(db_path):
    """m011 was briefly named m011_question_answers (and did m012's work too) before release."""
    Store.create(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE _sqlite_migrations SET name = 'm011_question_answers' "
                 "WHERE name = 'm011_question_answers_stale'")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm012_answers_never_logged_twice'")
    conn.commit()
    conn.close()
    with Store.open(db_path) as store:
        assert store.written_by_newer is None and store.pending_migrations() == []
