"""m002: what browsing in Datasette needs. Released: never edited."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .runner import migration

if TYPE_CHECKING:
    import sqlite_utils


@migration
def m002_search_and_views(db: sqlite_utils.Database) -> None:
    """Full-text search over claims and quotes, and the views people browse.

    Both search indexes are sqlite-utils' external-content FTS5 tables with its
    standard triggers, so they stay current with every write at the cost of one
    index insert. The stances triggers coexist with the never-edited triggers:
    only the retraction columns are ever updated, and the update trigger simply
    re-indexes the same words.
    """
    db["claims"].enable_fts(
        ["text", "subject", "tags", "note", "ruling_explanation"], tokenize="porter", create_triggers=True
    )
    db["stances"].enable_fts(["quote", "note"], tokenize="porter", create_triggers=True)

    # Rule 1 (docs/rules.md) in SQL, for views and named queries: a stance counts when
    # it is not retracted and no later non-retracted stance of the same source on
    # the same claim exists, "later" by (coalesce(said_on, logged_at), id). Written
    # as NOT EXISTS over this index rather than a window function: SQLite pushes a
    # claim or source filter into it (docs/performance.md has the figures).
    # tests/test_datasette.py checks it against verity.reconcile.counted_stances.
    db["stances"].create_index(["claim_id", "source_id"], index_name="stances_claim_source")
    db.execute(
        """
        CREATE VIEW counted_stances AS
        SELECT s.id, c.key AS claim, src.name AS source, src.kind AS source_kind,
               src.affiliation, src.reliability, s.position, s.quote, s.said_on, s.via,
               s.url, s.logged_at, s.claim_id, s.source_id
        FROM stances s
        JOIN claims c ON c.id = s.claim_id
        JOIN sources src ON src.id = s.source_id
        WHERE s.retracted_at IS NULL
          AND NOT EXISTS (
              SELECT 1 FROM stances later
              WHERE later.claim_id = s.claim_id AND later.source_id = s.source_id
                AND later.retracted_at IS NULL
                AND (coalesce(later.said_on, later.logged_at), later.id)
                    > (coalesce(s.said_on, s.logged_at), s.id)
          )"""
    )
    db.execute(
        """
        CREATE VIEW claim_verdicts AS
        SELECT c.key, c.text, r.verdict, c.ruling, r.score, r.agreement,
               r.affirming, r.denying, r.neutral, r.affirming_origins, r.denying_origins,
               r.contradictions, c.subject, c.tags, c.id
        FROM claims c
        JOIN reconciliations r ON r.claim_id = c.id"""
    )
