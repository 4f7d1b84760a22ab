"""Numbered schema migrations, applied in order when a database is opened.

Each migration is a small function over a sqlite-utils `Database`, run by
sqlite-utils' own `Migrations` (set "verity"): in one transaction together with
its record in `_sqlite_migrations`. Released migrations are never edited: a
schema change is a new function at the end.

Databases made before verity used sqlite-utils' migrations recorded theirs in
`_verity_migrations`; `apply` carries that record over first, so they upgrade
like any other.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Callable

from .models import AFFIRMING, DENYING, GRADES, POSITIONS, RULINGS
from .reconcile import (
    COUNTED,
    FALSE_RULINGS,
    LEANS_AFFIRMING,
    LEANS_DENYING,
    RETRACTED,
    SETTLED_VERDICTS,
    STATUSES,
    TRUE_RULINGS,
    UNDECIDED_RULINGS,
)

if TYPE_CHECKING:
    import sqlite_utils

MIGRATION_SET = "verity"
MIGRATIONS_TABLE = "_sqlite_migrations"
LEGACY_TABLE = "_verity_migrations"
Migration = Callable[["sqlite_utils.Database"], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


def _in_list(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


@migration
def m001_initial(db: sqlite_utils.Database) -> None:
    db.execute(
        f"""
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL COLLATE NOCASE UNIQUE,
            kind TEXT,
            affiliation TEXT,
            reliability TEXT CHECK ({_in_list('reliability', GRADES)}),
            url TEXT,
            note TEXT
        )"""
    )
    db.execute(
        f"""
        CREATE TABLE claims (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            text TEXT NOT NULL,
            subject TEXT,
            tags TEXT NOT NULL DEFAULT '[]',
            note TEXT,
            ruling TEXT CHECK ({_in_list('ruling', RULINGS)}),
            ruling_explanation TEXT,
            ruled_at TEXT,
            ruled_by TEXT
        )"""
    )
    db.execute(
        f"""
        CREATE TABLE stances (
            id INTEGER PRIMARY KEY,
            claim_id INTEGER NOT NULL REFERENCES claims(id),
            source_id INTEGER NOT NULL REFERENCES sources(id),
            position TEXT NOT NULL CHECK ({_in_list('position', POSITIONS)}),
            quote TEXT,
            url TEXT,
            said_on TEXT,
            via TEXT,
            note TEXT,
            logged_at TEXT NOT NULL,
            logged_by TEXT,
            retracted_at TEXT,
            retraction_reason TEXT,
            retracted_by TEXT
        )"""
    )
    db["stances"].create_index(["claim_id"], index_name="stances_claim_id")
    db["stances"].create_index(["source_id"], index_name="stances_source_id")
    db["stances"].create_index(["position"], index_name="stances_position")
    # Stances are a record of what was said: never edited, never deleted, only retracted.
    db.execute(
        """
        CREATE TRIGGER stances_never_deleted BEFORE DELETE ON stances
        BEGIN
            SELECT RAISE(ABORT, 'stances are never deleted; retract the stance instead');
        END"""
    )
    db.execute(
        """
        CREATE TRIGGER stances_never_edited
        BEFORE UPDATE OF claim_id, source_id, position, quote, url, said_on, via, note,
                         logged_at, logged_by ON stances
        BEGIN
            SELECT RAISE(ABORT, 'stances are never edited; log a new stance or retract this one');
        END"""
    )
    db.execute(
        """
        CREATE TABLE reconciliations (
            claim_id INTEGER PRIMARY KEY REFERENCES claims(id),
            verdict TEXT NOT NULL,
            score REAL,
            agreement REAL,
            affirming TEXT NOT NULL,
            denying TEXT NOT NULL,
            neutral TEXT NOT NULL,
            affirming_origins INTEGER NOT NULL,
            denying_origins INTEGER NOT NULL,
            contradictions INTEGER NOT NULL
        )"""
    )
    db["reconciliations"].create_index(["verdict"], index_name="reconciliations_verdict")
    db["reconciliations"].create_index(["score"], index_name="reconciliations_score")
    db["reconciliations"].create_index(["agreement"], index_name="reconciliations_agreement")


# -- m002: what browsing in Datasette needs ---------------------------------------

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


# -- m003: one index fewer for every stance to keep -------------------------------

@migration
def m003_drop_claim_index(db: sqlite_utils.Database) -> None:
    """stances_claim_source (claim_id, source_id) answers everything stances_claim_id
    (claim_id) did: SQLite uses the leading column of an index as an index on it.
    One index fewer to update on every stance logged, and to build after an import."""
    db.execute("DROP INDEX IF EXISTS stances_claim_id")


# -- m004: rule 1 stored by the reconciler, and the views the named queries read ---

@migration
def m004_stance_statuses_and_views(db: sqlite_utils.Database) -> None:
    """Each stance's status under rule 1, as the reconciler decides it, and views for
    the questions fact-checkers ask, built on it.

    The store writes stance_statuses whenever it refreshes a claim's reconciliation
    (and for every claim after an upgrade), with a row only for the stances that are
    not plain (verity.reconcile.plain_status), which are few: most sources state one
    position on a claim. A primary key and nothing more: every view reaches it from
    a stance, or reads it whole.
    """
    db.execute(
        f"""
        CREATE TABLE stance_statuses (
            stance_id INTEGER PRIMARY KEY REFERENCES stances(id),
            status TEXT NOT NULL CHECK ({_in_list('status', STATUSES)}),
            previous_id INTEGER REFERENCES stances(id)
        )"""
    )
    create_views(db)


# -- the views, generated from the Python constants that state the rules -----------
# A migration that changes what they are generated from calls create_views again.
# They hold no ORDER BY: SQLite sorts a view that sorts whole before it counts or
# groups its rows (as Datasette's table pages and the reports do); the named queries
# sort what they list.


def _sorted(values) -> tuple[str, ...]:
    """A set of positions in POSITIONS order, so the generated SQL is the same every run."""
    return tuple(p for p in POSITIONS if p in values)


def _affirming(position: str) -> str:
    """Rule 2 in SQL: the position is on the affirming side."""
    return _in_list(position, _sorted(AFFIRMING))


def _denying(position: str) -> str:
    """Rule 2 in SQL: the position is on the denying side."""
    return _in_list(position, _sorted(DENYING))


def _side(position: str) -> str:
    """Rule 2 in SQL: the side a position is on ('affirming', 'denying' or NULL)."""
    return f"CASE WHEN {_affirming(position)} THEN 'affirming' WHEN {_denying(position)} THEN 'denying' END"


def _status(status: str) -> str:
    """A stance's status from its stance_statuses row, left joined under this alias: no row, plain."""
    return f"coalesce({status}.status, '{COUNTED}')"


def _said(stance: str) -> str:
    """When a stance was said, else when it was logged: the date rule 1 orders by."""
    return f"coalesce({stance}.said_on, {stance}.logged_at)"


def _ruling_disagreement(ruling: str = "ruling", verdict: str = "verdict", score: str = "score") -> str:
    """verity.reconcile.ruling_disagreement in SQL, from the same constants."""
    return f"""CASE
           WHEN {_in_list(ruling, TRUE_RULINGS)} AND {score} < 0
             THEN 'ruled ' || {ruling} || ', but {LEANS_DENYING}'
           WHEN {_in_list(ruling, FALSE_RULINGS)} AND {score} > 0
             THEN 'ruled ' || {ruling} || ', but {LEANS_AFFIRMING}'
           WHEN {_in_list(ruling, UNDECIDED_RULINGS)} AND {_in_list(verdict, SETTLED_VERDICTS)}
             THEN 'ruled ' || {ruling} || ', but the sources have ' || {verdict} || ' it'
         END"""


def views() -> dict[str, str]:
    """Every view verity creates after m004, by name: its SELECT."""
    return {
        # Rule 1, as stance_statuses stores it: each source's latest non-retracted stance per claim.
        "counted_stances": f"""
            SELECT s.id, c.key AS claim, src.name AS source, src.kind AS source_kind,
                   src.affiliation, src.reliability, s.position, s.quote, s.said_on, s.via,
                   s.url, s.logged_at, s.claim_id, s.source_id
            FROM stances s
            LEFT JOIN stance_statuses st ON st.stance_id = s.id
            JOIN claims c ON c.id = s.claim_id
            JOIN sources src ON src.id = s.source_id
            WHERE {_status('st')} = '{COUNTED}'""",
        "contested_claims": """
            SELECT key AS claim, text, ruling, score, agreement, affirming, denying,
                   affirming_origins, denying_origins, contradictions
            FROM claim_verdicts
            WHERE verdict = 'contested'""",
        # Rule 6: every pair of a counted affirming and a counted denying stance on one claim.
        # CROSS JOIN keeps SQLite's join order: claims in key order, so the first page of
        # pairs streams out without building and sorting every pair. Names compare as
        # plain strings, as in `verity reconcile` (sources.name is NOCASE).
        "contradiction_pairs": f"""
            SELECT c.key AS claim,
                   a.source COLLATE BINARY AS affirming_source, a.position AS affirming_position,
                   a.quote AS affirming_quote, a.said_on AS affirming_said_on,
                   d.source COLLATE BINARY AS denying_source, d.position AS denying_position,
                   d.quote AS denying_quote, d.said_on AS denying_said_on,
                   c.id AS claim_id, a.id AS affirming_stance_id, d.id AS denying_stance_id
            FROM claims c
            CROSS JOIN reconciliations r ON r.claim_id = c.id AND r.contradictions > 0
            CROSS JOIN counted_stances a ON a.claim_id = c.id AND {_affirming('a.position')}
            CROSS JOIN counted_stances d ON d.claim_id = c.id AND {_denying('d.position')}""",
        "source_statements": f"""
            SELECT src.name AS source, c.key AS claim, c.text AS claim_text, s.position, s.quote,
                   s.said_on, s.via, s.url,
                   CASE WHEN st.status = '{RETRACTED}' THEN st.status || ': ' || s.retraction_reason
                        ELSE {_status('st')} END AS status,
                   s.note, s.logged_at, s.id AS stance_id, {_said('s')} AS said
            FROM sources src
            JOIN stances s ON s.source_id = src.id
            LEFT JOIN stance_statuses st ON st.stance_id = s.id
            JOIN claims c ON c.id = s.claim_id""",
        # A reversal: a stance whose source's previous stance on the claim took another position.
        "stance_reversals": f"""
            SELECT src.name AS source, c.key AS claim,
                   p.position AS position_before, p.quote AS quote_before, {_said('p')} AS said_before,
                   s.position AS position_after, s.quote AS quote_after, {_said('s')} AS said_after,
                   CASE WHEN {_side('p.position')} != {_side('s.position')}
                        THEN {_side('p.position')} || ' -> ' || {_side('s.position')} ELSE '' END AS side_change,
                   p.id AS stance_id_before, s.id AS stance_id_after
            FROM stance_statuses st
            JOIN stances s ON s.id = st.stance_id
            JOIN stances p ON p.id = st.previous_id
            JOIN sources src ON src.id = s.source_id
            JOIN claims c ON c.id = s.claim_id
            WHERE p.position != s.position""",
        "single_source_claims": """
            SELECT key AS claim, text,
                   CASE WHEN affirming_origins > 0 THEN 'affirming' ELSE 'denying' END AS side,
                   CASE WHEN affirming_origins > 0 THEN affirming ELSE denying END AS sources,
                   neutral, score, ruling
            FROM claim_verdicts
            WHERE verdict = 'single-source'""",
        "ruling_disagreements": f"""
            SELECT * FROM (
              SELECT key AS claim, text, ruling, verdict, score, agreement,
                     {_ruling_disagreement()} AS disagreement,
                     affirming, denying
              FROM claim_verdicts
            )
            WHERE disagreement IS NOT NULL""",
    }


def create_views(db: sqlite_utils.Database) -> None:
    """Create verity's views, replacing any of the same name."""
    for name, select in views().items():
        db.execute(f"DROP VIEW IF EXISTS {name}")
        db.execute(f"CREATE VIEW {name} AS{select}")


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def applied(conn: sqlite3.Connection) -> list[str]:
    """Names of the migrations this database has had, in the order applied.

    Plain SQL: opening a database that is up to date needs no sqlite-utils.
    """
    tables = _tables(conn)
    names: list[str] = []
    if LEGACY_TABLE in tables:
        names += [row[0] for row in conn.execute(f"SELECT name FROM {LEGACY_TABLE} ORDER BY rowid")]
    if MIGRATIONS_TABLE in tables:
        names += [row[0] for row in conn.execute(
            f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ? ORDER BY id", [MIGRATION_SET])
            if row[0] not in names]
    return names


def is_verity(conn: sqlite3.Connection) -> bool:
    """Whether the database records verity migrations (else it is someone else's, or empty)."""
    return bool(applied(conn))


def pending(conn: sqlite3.Connection) -> list[str]:
    """The migrations this verity knows and the database has not had."""
    done = set(applied(conn))
    return [name for name, _fn in MIGRATIONS if name not in done]


def unknown(conn: sqlite3.Connection) -> list[str]:
    """Migrations the database has had that this verity does not know: a newer verity wrote it."""
    known = {name for name, _fn in MIGRATIONS}
    return [name for name in applied(conn) if name not in known]


def migration_set() -> "sqlite_utils.Migrations":
    """verity's migrations as a sqlite-utils `Migrations` set."""
    # Imported here, when there is something to apply: opening an up-to-date
    # database, and every command that does, need none of sqlite-utils.
    from sqlite_utils import Migrations

    migrations = Migrations(MIGRATION_SET)
    for name, fn in MIGRATIONS:
        migrations(name=name)(fn)
    return migrations


def apply(db: "sqlite_utils.Database") -> list[str]:
    """Apply every pending migration (call inside a transaction); returns their names."""
    todo = pending(db.conn)
    migrations = migration_set()
    if LEGACY_TABLE in _tables(db.conn):
        _carry_over_legacy_record(db, migrations)
    migrations.apply(db)
    return todo


def _carry_over_legacy_record(db: "sqlite_utils.Database", migrations: "sqlite_utils.Migrations") -> None:
    """Move the record of `_verity_migrations` into `_sqlite_migrations`, dates kept."""
    migrations.ensure_migrations_table(db)
    rows = db.conn.execute(f"SELECT name, applied_at FROM {LEGACY_TABLE} ORDER BY rowid").fetchall()
    db.conn.executemany(
        f"INSERT INTO {MIGRATIONS_TABLE} (migration_set, name, applied_at) VALUES (?, ?, ?)",
        [(MIGRATION_SET, name, applied_at) for name, applied_at in rows],
    )
    db.conn.execute(f"DROP TABLE {LEGACY_TABLE}")
