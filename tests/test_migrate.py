"""Migrations: a blank database gets exactly this schema; an older one upgrades without loss."""

from __future__ import annotations

import sqlite3

from verity import migrations
from verity.models import Claim, Source, Stance
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
        "CREATE TABLE sources ( id INTEGER PRIMARY KEY, name TEXT NOT NULL COLLATE NOCASE UNIQUE, "
        "kind TEXT, affiliation TEXT, reliability TEXT CHECK (reliability IN ('A', 'B', 'C', 'D', 'E', 'F')), "
        "url TEXT, note TEXT )"
    )
    assert sql["claims"] == (
        "CREATE TABLE claims ( id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, text TEXT NOT NULL, "
        "subject TEXT, tags TEXT NOT NULL DEFAULT '[]', note TEXT, ruling TEXT CHECK (ruling IN "
        "('true', 'mostly-true', 'mixture', 'mostly-false', 'false', 'unproven')), "
        "ruling_explanation TEXT, ruled_at TEXT, ruled_by TEXT )"
    )
    assert sql["stances"] == (
        "CREATE TABLE stances ( id INTEGER PRIMARY KEY, claim_id INTEGER NOT NULL REFERENCES claims(id), "
        "source_id INTEGER NOT NULL REFERENCES sources(id), position TEXT NOT NULL CHECK (position IN "
        "('affirms', 'partially-affirms', 'neutral', 'partially-denies', 'denies')), quote TEXT, url TEXT, "
        "said_on TEXT, via TEXT, note TEXT, logged_at TEXT NOT NULL, logged_by TEXT, retracted_at TEXT, "
        "retraction_reason TEXT, retracted_by TEXT )"
    )
    assert sql["reconciliations"] == (
        "CREATE TABLE reconciliations ( claim_id INTEGER PRIMARY KEY REFERENCES claims(id), "
        "verdict TEXT NOT NULL, score REAL, agreement REAL, affirming TEXT NOT NULL, denying TEXT NOT NULL, "
        "neutral TEXT NOT NULL, affirming_origins INTEGER NOT NULL, denying_origins INTEGER NOT NULL, "
        "contradictions INTEGER NOT NULL )"
    )
    assert sql["stances_claim_source"] == 'CREATE INDEX "stances_claim_source" ON "stances" ("claim_id", "source_id")'
    assert sql["reconciliations_verdict"] == 'CREATE INDEX "reconciliations_verdict" ON "reconciliations" ("verdict")'
    with Store.open(db_path) as store:
        applied = [row[0] for row in store.conn.execute("SELECT name FROM _verity_migrations ORDER BY rowid")]
        assert applied == [name for name, _ in migrations.MIGRATIONS]
        fks = {(r[2], r[3], r[4]) for r in store.conn.execute("PRAGMA foreign_key_list(stances)")}
        assert fks == {("claims", "claim_id", "id"), ("sources", "source_id", "id")}


# Every schema object a fresh database has after all migrations, ordered by type then name.
EXPECTED_NAMES = [
    "reconciliations_agreement", "reconciliations_score", "reconciliations_verdict",
    "stances_claim_source", "stances_position", "stances_source_id",
    "_verity_migrations", "claims",
    "claims_fts", "claims_fts_config", "claims_fts_data", "claims_fts_docsize", "claims_fts_idx",
    "reconciliations", "sources", "stances",
    "stances_fts", "stances_fts_config", "stances_fts_data", "stances_fts_docsize", "stances_fts_idx",
    "claims_ad", "claims_ai", "claims_au", "stances_ad", "stances_ai", "stances_au",
    "stances_never_deleted", "stances_never_edited",
    "claim_verdicts", "counted_stances",
]


def test_an_older_database_upgrades_without_loss(db_path, monkeypatch):
    # A database made by the first release: only the first migration.
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:1])
    with Store.create(db_path) as old:
        old.add_source(Source(name="TTP spokesman", affiliation="TTP", reliability="D"))
        old.add_claim(Claim(text="Balti was killed", tags=("ttp",)))
        old.add_stance(Stance(claim="balti-was-killed", source="TTP spokesman", position="affirms",
                              quote="huge loss", said_on="2022-01-12"))
        before = (list(old.sources()), list(old.claims()), list(old.all_stances()))
    monkeypatch.undo()
    with Store.open(db_path) as store:
        assert store.schema_version() == len(migrations.MIGRATIONS)
        assert (list(store.sources()), list(store.claims()), list(store.all_stances())) == before
        assert list(store.reconciliations()) == list(store.fresh_reconciliations())
