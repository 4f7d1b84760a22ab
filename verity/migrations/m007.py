"""m007: has it been checked before? (docs/similar.md)"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .runner import migration

if TYPE_CHECKING:
    import sqlite_utils


@migration
def m007_similarity(db: sqlite_utils.Database) -> None:
    """What finds a claim logged twice and a source name mistyped (docs/similar.md).

    claims_similar_fts indexes only the claims' text, subject and note, which is what
    similarity reads: the search index claims_fts also holds tags and ruling
    explanations, whose length would push a claim with a long explanation down.
    source_names_fts and alias_names_fts index names, aliases and affiliations by
    character trigrams, so that a name a few letters off is found without reading every
    name. All are external-content tables kept by triggers (and rebuilt whole after an
    import into an empty table, as the other search indexes are).

    claim_lookalikes holds the pairs of claims at or above "likely the same", the later
    claim beside the earlier, for Datasette's "claims logged twice"; similarity_checks
    says which claims have been compared with the others (every claim added or corrected
    one at a time; an import's are compared by `verity claim similar --all`).
    """
    conn = db.conn
    conn.execute("""
        CREATE VIRTUAL TABLE claims_similar_fts USING fts5(
            text, subject, note, content='claims', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2')""")
    columns, old, new = "text, subject, note", "old.text, old.subject, old.note", "new.text, new.subject, new.note"
    conn.execute(f"""
        CREATE TRIGGER claims_similar_ai AFTER INSERT ON claims BEGIN
            INSERT INTO claims_similar_fts (rowid, {columns}) VALUES (new.id, {new});
        END""")
    conn.execute(f"""
        CREATE TRIGGER claims_similar_ad AFTER DELETE ON claims BEGIN
            INSERT INTO claims_similar_fts (claims_similar_fts, rowid, {columns}) VALUES ('delete', old.id, {old});
        END""")
    conn.execute(f"""
        CREATE TRIGGER claims_similar_au AFTER UPDATE OF {columns} ON claims BEGIN
            INSERT INTO claims_similar_fts (claims_similar_fts, rowid, {columns}) VALUES ('delete', old.id, {old});
            INSERT INTO claims_similar_fts (rowid, {columns}) VALUES (new.id, {new});
        END""")
    conn.execute("""
        CREATE VIRTUAL TABLE source_names_fts USING fts5(
            folded, affiliation, content='sources', content_rowid='id', tokenize='trigram')""")
    conn.execute("""
        CREATE TRIGGER source_names_ai AFTER INSERT ON sources BEGIN
            INSERT INTO source_names_fts (rowid, folded, affiliation) VALUES (new.id, new.folded, new.affiliation);
        END""")
    conn.execute("""
        CREATE TRIGGER source_names_au AFTER UPDATE OF folded, affiliation ON sources BEGIN
            INSERT INTO source_names_fts (source_names_fts, rowid, folded, affiliation)
                VALUES ('delete', old.id, old.folded, old.affiliation);
            INSERT INTO source_names_fts (rowid, folded, affiliation) VALUES (new.id, new.folded, new.affiliation);
        END""")
    conn.execute("""
        CREATE VIRTUAL TABLE alias_names_fts USING fts5(
            folded, content='aliases', content_rowid='id', tokenize='trigram')""")
    conn.execute("""
        CREATE TRIGGER alias_names_ai AFTER INSERT ON aliases BEGIN
            INSERT INTO alias_names_fts (rowid, folded) VALUES (new.id, new.folded);
        END""")
    for table in ("claims_similar_fts", "source_names_fts", "alias_names_fts"):
        conn.execute(f"INSERT INTO {table} ({table}) VALUES ('rebuild')")
    conn.execute("""
        CREATE TABLE claim_lookalikes (
            claim_id INTEGER NOT NULL REFERENCES claims(id),
            same_as_id INTEGER NOT NULL REFERENCES claims(id),
            score REAL NOT NULL,
            PRIMARY KEY (claim_id, same_as_id)
        ) WITHOUT ROWID""")
    conn.execute("CREATE INDEX claim_lookalikes_same_as_id ON claim_lookalikes (same_as_id)")
    conn.execute("""
        CREATE TABLE similarity_checks (
            claim_id INTEGER PRIMARY KEY REFERENCES claims(id),
            checked_at TEXT NOT NULL
        )""")
