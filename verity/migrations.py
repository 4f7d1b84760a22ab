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

from . import uids
from .models import ACTIONS, AFFIRMING, DENYING, GRADES, POSITIONS, RECORD_TYPES, RULINGS, utc_now
from .names import fold
from .reconcile import (
    COUNTED,
    FALSE_RULINGS,
    LEANS_AFFIRMING,
    LEANS_DENYING,
    QUESTION_VERDICTS,
    RETRACTED,
    SETTLED_VERDICTS,
    STATUSES,
    TRUE_RULINGS,
    UNDECIDED_RULINGS,
)
from .trust import CREDIBILITY, RIGHT, WRONG

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


def _counted_for(status: str, stance: str, record: str) -> str:
    """The claim (or source) a stance counts for: the one its stance_statuses row names
    (when it was merged into another), else its own."""
    return f"coalesce({status}.{record}_id, {stance}.{record}_id)"


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
        # Every claim that has a reconciliation of its own (not merged into another) with it.
        "claim_verdicts": """
            SELECT c.key, c.text, r.verdict, c.ruling, r.score, r.agreement,
                   r.affirming, r.denying, r.neutral, r.affirming_origins, r.denying_origins,
                   r.contradictions, c.subject, c.tags, c.id
            FROM claims c
            JOIN reconciliations r ON r.claim_id = c.id""",
        # Rule 1, as stance_statuses stores it: each source's latest non-retracted stance per claim.
        # Under the claim and source it counts for (a merged one's, if it was merged).
        "counted_stances": f"""
            SELECT s.id, c.key AS claim, src.name AS source, src.kind AS source_kind,
                   src.affiliation, src.reliability, s.position, s.quote, s.said_on, s.via,
                   s.url, s.logged_at, c.id AS claim_id, src.id AS source_id
            FROM stances s
            LEFT JOIN stance_statuses st ON st.stance_id = s.id
            JOIN claims c ON c.id = {_counted_for('st', 's', 'claim')}
            JOIN sources src ON src.id = {_counted_for('st', 's', 'source')}
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
            FROM stances s
            LEFT JOIN stance_statuses st ON st.stance_id = s.id
            JOIN sources src ON src.id = {_counted_for('st', 's', 'source')}
            JOIN claims c ON c.id = {_counted_for('st', 's', 'claim')}""",
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
            JOIN sources src ON src.id = {_counted_for('st', 's', 'source')}
            JOIN claims c ON c.id = {_counted_for('st', 's', 'claim')}
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


# -- m005: corrections with history, and records that desks can share -----------

@migration
def m005_corrections_and_uids(db: sqlite_utils.Database) -> None:
    """uids and desks on every record; aliases, rulings and changes as tables of their own;
    merges as pointers; when a source withdrew a stance; questions; and stances (with
    rulings, changes and aliases) append-only even against raw SQL.

    sources and claims are rebuilt: a name or key is unique only among the records not
    merged into another (a partial unique index), since a desk merge keeps both of two
    sources created apart under one name, the younger merged into the older. Names that
    the new name matching (NFKC, casefold) makes one are merged the same way, with a
    change that says so. Existing records get uids derived from their content, as an
    import of them would give. Store.migrate runs this with foreign keys off, as SQLite
    asks for a table rebuild.
    """
    conn = db.conn
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'").fetchall():
        conn.execute(f'DROP VIEW "{name}"')
    conn.execute("""
        CREATE TABLE questions (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            key TEXT NOT NULL UNIQUE,
            text TEXT NOT NULL,
            created_at TEXT,
            created_by TEXT,
            desk TEXT
        )""")
    _rebuild(conn, "sources", f"""
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            uid TEXT UNIQUE,
            name TEXT NOT NULL,
            folded TEXT,
            kind TEXT,
            affiliation TEXT,
            reliability TEXT CHECK ({_in_list('reliability', GRADES)}),
            url TEXT,
            note TEXT,
            merged_into INTEGER REFERENCES sources(id),
            created_at TEXT,
            created_by TEXT,
            desk TEXT
        )""", ["id", "name", "kind", "affiliation", "reliability", "url", "note"],
        {"uid": "id", "folded": "name"})
    _rebuild(conn, "claims", f"""
        CREATE TABLE claims (
            id INTEGER PRIMARY KEY,
            uid TEXT UNIQUE,
            key TEXT NOT NULL,
            text TEXT NOT NULL,
            subject TEXT,
            tags TEXT NOT NULL DEFAULT '[]',
            note TEXT,
            ruling TEXT CHECK ({_in_list('ruling', RULINGS)}),
            ruling_explanation TEXT,
            ruled_at TEXT,
            ruled_by TEXT,
            question_id INTEGER REFERENCES questions(id),
            merged_into INTEGER REFERENCES claims(id),
            rekeyed_from TEXT,
            created_at TEXT,
            created_by TEXT,
            desk TEXT
        )""", ["id", "key", "text", "subject", "tags", "note", "ruling", "ruling_explanation", "ruled_at", "ruled_by"],
        {"uid": "key"})
    conn.executemany("UPDATE sources SET folded = ?, uid = ? WHERE id = ?", [
        (fold(name), uids.of_source(name), source_id)
        for source_id, name in conn.execute("SELECT id, name FROM sources").fetchall()])
    conn.executemany("UPDATE claims SET uid = ? WHERE id = ?", [
        (uids.of_claim(key), claim_id) for claim_id, key in conn.execute("SELECT id, key FROM claims").fetchall()])

    for column in ("uid TEXT", "desk TEXT", "retracted_on TEXT"):
        conn.execute(f"ALTER TABLE stances ADD COLUMN {column}")
    # The claim and source a stance counts for, when a merge made them others than its own.
    conn.execute("ALTER TABLE stance_statuses ADD COLUMN claim_id INTEGER REFERENCES claims(id)")
    conn.execute("ALTER TABLE stance_statuses ADD COLUMN source_id INTEGER REFERENCES sources(id)")
    feeders = _drop_triggers(conn, "stances")  # filling uids must not re-index every quote
    conn.executemany("UPDATE stances SET uid = ? WHERE id = ?", (
        (uids.of_stance(*row[1:]), row[0]) for row in conn.execute(
            "SELECT s.id, c.key, src.name, s.position, s.quote, s.url, s.said_on, s.via, s.logged_at, s.logged_by "
            "FROM stances s JOIN claims c ON c.id = s.claim_id JOIN sources src ON src.id = s.source_id"
        ).fetchall()))
    for _name, sql in feeders:
        if "never" not in _name:
            conn.execute(sql)
    conn.execute("CREATE UNIQUE INDEX stances_uid ON stances (uid)")

    conn.execute(f"""
        CREATE TABLE rulings (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            claim_id INTEGER NOT NULL REFERENCES claims(id),
            ruling TEXT NOT NULL CHECK ({_in_list('ruling', RULINGS)}),
            explanation TEXT,
            ruled_at TEXT,
            ruled_by TEXT,
            desk TEXT
        )""")
    conn.execute("CREATE INDEX rulings_claim_id ON rulings (claim_id)")
    conn.executemany(
        "INSERT INTO rulings (uid, claim_id, ruling, explanation, ruled_at, ruled_by) VALUES (?, ?, ?, ?, ?, ?)",
        [(uids.of_ruling(key, ruling, explanation, ruled_at, ruled_by), claim_id, ruling, explanation, ruled_at,
          ruled_by) for claim_id, key, ruling, explanation, ruled_at, ruled_by in conn.execute(
            "SELECT id, key, ruling, ruling_explanation, ruled_at, ruled_by FROM claims "
            "WHERE ruling IS NOT NULL ORDER BY id").fetchall()])
    conn.execute("""
        CREATE TABLE aliases (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            source_id INTEGER REFERENCES sources(id),
            claim_id INTEGER REFERENCES claims(id),
            alias TEXT NOT NULL,
            folded TEXT NOT NULL,
            added_at TEXT,
            added_by TEXT,
            desk TEXT,
            CHECK ((source_id IS NULL) != (claim_id IS NULL))
        )""")
    conn.execute("CREATE INDEX aliases_folded ON aliases (folded)")
    conn.execute("CREATE INDEX aliases_source_id ON aliases (source_id) WHERE source_id IS NOT NULL")
    conn.execute("CREATE INDEX aliases_claim_id ON aliases (claim_id) WHERE claim_id IS NOT NULL")
    conn.execute(f"""
        CREATE TABLE changes (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,
            at TEXT NOT NULL,
            by TEXT,
            desk TEXT,
            action TEXT NOT NULL CHECK ({_in_list('action', ACTIONS)}),
            record_type TEXT NOT NULL CHECK ({_in_list('record_type', RECORD_TYPES)}),
            record_id INTEGER NOT NULL,
            record_uid TEXT NOT NULL,
            field TEXT,
            old TEXT,
            new TEXT,
            reason TEXT
        )""")
    conn.execute("CREATE INDEX changes_record ON changes (record_type, record_id)")
    conn.execute("CREATE INDEX changes_at ON changes (at)")
    _merge_names_that_fold_alike(conn)
    conn.execute("CREATE UNIQUE INDEX sources_folded ON sources (folded) WHERE merged_into IS NULL")
    conn.execute("CREATE INDEX sources_merged_into ON sources (merged_into) WHERE merged_into IS NOT NULL")
    conn.execute("CREATE UNIQUE INDEX claims_key ON claims (key) WHERE merged_into IS NULL")
    conn.execute("CREATE INDEX claims_merged_into ON claims (merged_into) WHERE merged_into IS NOT NULL")
    conn.execute("CREATE INDEX claims_question_id ON claims (question_id) WHERE question_id IS NOT NULL")
    _append_only_triggers(conn)
    create_views(db)



# -- m006: questions reconciled, track records, and estimates stored -------------------

# What a later write changes that an estimate rests on: any of these marks the stored
# estimates stale (the model weighs every source's whole record, so one stance can move
# any estimate).
STALE_WHEN = {
    "stances": ("INSERT", "UPDATE OF retracted_at"),
    "rulings": ("INSERT",),
    "claims": ("UPDATE OF ruling, question_id, merged_into",),
    "sources": ("UPDATE OF affiliation, reliability, kind, merged_into",),
}


@migration
def m006_questions_track_records_estimates(db: sqlite_utils.Database) -> None:
    """Rule 7 stored per question as the reconciler decides it (like each claim's
    reconciliation); the estimates `verity assess --save` stores, with when they were
    computed and when a later write first could change them; and the views of questions,
    track records and estimates (docs/estimates.md), generated from the rules' constants.
    """
    conn = db.conn
    conn.execute(f"""
        CREATE TABLE question_reconciliations (
            question_id INTEGER PRIMARY KEY REFERENCES questions(id),
            verdict TEXT NOT NULL CHECK ({_in_list('verdict', QUESTION_VERDICTS)}),
            leading_id INTEGER REFERENCES claims(id),
            answers INTEGER NOT NULL,
            affirmed_answers INTEGER NOT NULL,
            contradictions INTEGER NOT NULL
        )""")
    conn.execute("""
        CREATE TABLE assessment_runs (
            id INTEGER PRIMARY KEY,
            method TEXT NOT NULL,
            computed_at TEXT NOT NULL,
            computed_by TEXT,
            stale_since TEXT
        )""")
    conn.execute(f"""
        CREATE TABLE assessments (
            claim_id INTEGER PRIMARY KEY REFERENCES claims(id),
            run_id INTEGER NOT NULL REFERENCES assessment_runs(id),
            estimate REAL,
            credibility INTEGER NOT NULL CHECK ({_in_list('credibility', CREDIBILITY)})
        )""")
    conn.execute("""
        CREATE TABLE assessed_sources (
            source_id INTEGER PRIMARY KEY REFERENCES sources(id),
            run_id INTEGER NOT NULL REFERENCES assessment_runs(id),
            reliability REAL NOT NULL
        )""")
    stale = ("UPDATE assessment_runs SET stale_since = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
             "WHERE stale_since IS NULL;")
    for table, events in STALE_WHEN.items():
        for number, event in enumerate(events):
            conn.execute(f"CREATE TRIGGER {table}_make_estimates_stale_{number} AFTER {event} ON {table} "
                         f"BEGIN {stale} END")
    create_trust_views(db)


def _truth(claim: str) -> str:
    """verity.trust.ruled_truth in SQL for the claims row `claim`: 1, 0 or NULL."""
    return f"""CASE
           WHEN {_in_list(f'{claim}.ruling', TRUE_RULINGS)} THEN 1
           WHEN {_in_list(f'{claim}.ruling', FALSE_RULINGS)} THEN 0
           WHEN {claim}.question_id IS NOT NULL AND EXISTS (
               SELECT 1 FROM claims other WHERE other.question_id = {claim}.question_id AND other.id != {claim}.id
               AND other.merged_into IS NULL AND {_in_list('other.ruling', TRUE_RULINGS)}) THEN 0
         END"""


def _outcome(position: str, truth: str) -> str:
    """verity.trust.outcome in SQL: 'right', 'wrong' or NULL."""
    return f"""CASE
           WHEN ({truth} = 1 AND {_affirming(position)}) OR ({truth} = 0 AND {_denying(position)}) THEN '{RIGHT}'
           WHEN ({truth} = 0 AND {_affirming(position)}) OR ({truth} = 1 AND {_denying(position)}) THEN '{WRONG}'
         END"""


def _credibility_meaning(grade: str) -> str:
    return "CASE " + " ".join(f"WHEN {grade} = {g} THEN '{meaning}'" for g, meaning in CREDIBILITY.items()) + " END"


def trust_views() -> dict[str, str]:
    """The views m006 adds, by name: its SELECT."""
    return {
        # Rule 7 as the reconciler stored it, one row a question.
        "question_verdicts": """
            SELECT q.key AS question, q.text, qr.verdict, lead.key AS leading, qr.answers, qr.affirmed_answers,
                   qr.contradictions, q.id
            FROM questions q
            JOIN question_reconciliations qr ON qr.question_id = q.id
            LEFT JOIN claims lead ON lead.id = qr.leading_id""",
        # A question's answers side by side: each answer with its own reconciliation and estimate.
        "question_answers": """
            SELECT q.key AS question, c.key AS claim, c.text, r.verdict, r.affirming, r.affirming_origins,
                   r.denying, r.denying_origins, c.ruling, a.estimate,
                   CASE WHEN qr.leading_id = c.id THEN 1 ELSE 0 END AS leading, c.id AS claim_id,
                   q.id AS question_id
            FROM claims c
            JOIN questions q ON q.id = c.question_id
            JOIN reconciliations r ON r.claim_id = c.id
            LEFT JOIN question_reconciliations qr ON qr.question_id = q.id
            LEFT JOIN assessments a ON a.claim_id = c.id
            WHERE c.merged_into IS NULL""",
        # The claims whose truth the desk's rulings settle (docs/estimates.md, "Track records").
        "claim_truths": f"""
            SELECT * FROM (
              SELECT c.id AS claim_id, c.key AS claim, c.ruling, q.key AS question, {_truth('c')} AS truth
              FROM claims c LEFT JOIN questions q ON q.id = c.question_id
              WHERE c.merged_into IS NULL AND (c.ruling IS NOT NULL OR c.question_id IS NOT NULL)
            )
            WHERE truth IS NOT NULL""",
        # Every counted stance (rule 1, under the claim and source it counts for) on such a
        # claim, right or wrong: the stances logged on the claim that count for it, found by
        # the claim's index, and those merged into it from another claim (stance_statuses).
        "ruled_stances": f"""
            SELECT s.id AS stance_id, t.claim_id, t.claim, {_counted_for('st', 's', 'source')} AS source_id,
                   s.position, t.truth, {_outcome('s.position', 't.truth')} AS outcome
            FROM claim_truths t
            JOIN stances s ON s.claim_id = t.claim_id
            LEFT JOIN stance_statuses st ON st.stance_id = s.id
            WHERE {_status('st')} = '{COUNTED}' AND {_counted_for('st', 's', 'claim')} = t.claim_id
            UNION ALL
            SELECT s.id, t.claim_id, t.claim, {_counted_for('st', 's', 'source')}, s.position, t.truth,
                   {_outcome('s.position', 't.truth')}
            FROM stance_statuses st
            JOIN stances s ON s.id = st.stance_id
            JOIN claim_truths t ON t.claim_id = st.claim_id
            WHERE st.status = '{COUNTED}' AND st.claim_id != s.claim_id""",
        "source_track_records": f"""
            SELECT src.name AS source, src.kind, src.affiliation, src.reliability,
                   coalesce(tr.right, 0) AS right, coalesce(tr.wrong, 0) AS wrong,
                   asrc.reliability AS learned_reliability, src.id AS source_id
            FROM sources src
            LEFT JOIN (SELECT source_id, sum(outcome = '{RIGHT}') AS right, sum(outcome = '{WRONG}') AS wrong
                       FROM ruled_stances GROUP BY source_id) tr ON tr.source_id = src.id
            LEFT JOIN assessed_sources asrc ON asrc.source_id = src.id
            WHERE src.merged_into IS NULL""",
        # The estimates `verity assess --save` stored, beside each claim's verdict and ruling.
        "claim_estimates": f"""
            SELECT c.key AS claim, c.text, r.verdict, c.ruling, a.estimate, a.credibility,
                   {_credibility_meaning('a.credibility')} AS credibility_meaning, q.key AS question,
                   run.method, run.computed_at, run.stale_since,
                   CASE WHEN run.stale_since IS NULL THEN 0 ELSE 1 END AS stale, c.id AS claim_id
            FROM claims c
            JOIN reconciliations r ON r.claim_id = c.id
            JOIN assessments a ON a.claim_id = c.id
            JOIN assessment_runs run ON run.id = a.run_id
            LEFT JOIN questions q ON q.id = c.question_id""",
    }


def create_trust_views(db: sqlite_utils.Database) -> None:
    """Create the views of m006, replacing any of the same name."""
    for name, select in trust_views().items():
        db.execute(f"DROP VIEW IF EXISTS {name}")
        db.execute(f"CREATE VIEW {name} AS{select}")


def _rebuild(conn: sqlite3.Connection, table: str, create: str, columns: list[str],
             placeholders: dict[str, str]) -> None:
    """Rebuild `table` with the `create` statement, copying `columns` (and filling each of
    `placeholders` with the value of another column for now), keeping its indexes and
    triggers as they were. The caller has dropped the views and turned foreign keys off."""
    kept = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') "
        "AND sql IS NOT NULL", [table]).fetchall()
    for kind, name, _sql in kept:
        conn.execute(f'DROP {kind.upper()} "{name}"')
    conn.execute(create.replace(f"CREATE TABLE {table} (", f"CREATE TABLE {table}_rebuilt (", 1))
    targets = columns + list(placeholders)
    sources = columns + list(placeholders.values())
    conn.execute(f"INSERT INTO {table}_rebuilt ({', '.join(targets)}) SELECT {', '.join(sources)} FROM {table}")
    conn.execute(f"DROP TABLE {table}")
    conn.execute("PRAGMA legacy_alter_table = ON")  # leave references to the table as they are
    conn.execute(f"ALTER TABLE {table}_rebuilt RENAME TO {table}")
    conn.execute("PRAGMA legacy_alter_table = OFF")
    for _kind, _name, sql in kept:
        conn.execute(sql)


def _drop_triggers(conn: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                            [table]).fetchall()
    for name, _sql in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    return triggers


def _merge_names_that_fold_alike(conn: sqlite3.Connection) -> None:
    """Sources whose names differed only in case beyond ASCII, or in Unicode form ("Ömer",
    "ömer"), were two sources; they are one name now: the younger is merged into the older."""
    groups: dict[str, list[tuple[int, str, str]]] = {}
    for source_id, uid, name, folded in conn.execute("SELECT id, uid, name, folded FROM sources ORDER BY id"):
        groups.setdefault(folded, []).append((source_id, uid, name))
    now = utc_now()
    for members in groups.values():
        (kept_id, _kept_uid, kept_name), *younger = members
        for source_id, uid, _name in younger:
            conn.execute("UPDATE sources SET merged_into = ? WHERE id = ?", [kept_id, source_id])
            reason = "upgrade: names that differ only in case or Unicode form are one source"
            conn.execute(
                "INSERT INTO changes (uid, at, by, action, record_type, record_id, record_uid, field, old, new, reason) "
                "VALUES (?, ?, 'verity', 'merge', 'source', ?, ?, 'merged_into', NULL, ?, ?)",
                [uids.of_change(uid, "merge", "merged_into", None, kept_name, now, "verity"), now, source_id, uid,
                 kept_name, reason])


_STANCE_COLUMNS = ("id", "desk", "claim_id", "source_id", "position", "quote", "url", "said_on", "via",
                   "note", "logged_at", "logged_by")
_RETRACTION_COLUMNS = ("retracted_at", "retraction_reason", "retracted_by", "retracted_on")


def _append_only_triggers(conn: sqlite3.Connection) -> None:
    """What was said stays said, even against raw SQL (see docs/rules.md, "Nothing is lost")."""
    for name in ("stances_never_deleted", "stances_never_edited"):
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    statements = [
        """CREATE TRIGGER stances_never_deleted BEFORE DELETE ON stances BEGIN
            SELECT RAISE(ABORT, 'stances are never deleted; retract the stance instead'); END""",
        f"""CREATE TRIGGER stances_never_edited BEFORE UPDATE OF {', '.join(_STANCE_COLUMNS)} ON stances BEGIN
            SELECT RAISE(ABORT, 'stances are never edited; log a new stance or retract this one'); END""",
        # INSERT OR REPLACE deletes the row it replaces without firing a delete trigger.
        """CREATE TRIGGER stances_never_replaced BEFORE INSERT ON stances
            WHEN EXISTS (SELECT 1 FROM stances WHERE id = NEW.id) OR EXISTS (SELECT 1 FROM stances WHERE uid = NEW.uid)
            BEGIN SELECT RAISE(ABORT, 'stances are never replaced; log a new stance or retract this one'); END""",
        # A stance written by another program without a uid is given one (Store.open); then it keeps it.
        """CREATE TRIGGER stances_uid_kept BEFORE UPDATE OF uid ON stances WHEN OLD.uid IS NOT NULL BEGIN
            SELECT RAISE(ABORT, 'stances are never edited; log a new stance or retract this one'); END""",
        # A retraction stands; only an earlier one (a desk merge) may take its place.
        f"""CREATE TRIGGER stances_retraction_stands BEFORE UPDATE OF {', '.join(_RETRACTION_COLUMNS)} ON stances
            WHEN OLD.retracted_at IS NOT NULL
             AND NOT (NEW.retracted_at IS NOT NULL AND NEW.retracted_at < OLD.retracted_at)
            BEGIN SELECT RAISE(ABORT, 'a retraction is never undone or rewritten; log a new stance instead'); END""",
    ]
    for table in ("sources", "claims"):
        statements.append(
            f"CREATE TRIGGER {table}_never_replaced BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id) OR EXISTS (SELECT 1 FROM {table} WHERE uid = NEW.uid) "
            f"BEGIN SELECT RAISE(ABORT, '{table} are never replaced; edit or merge them instead'); END")
    for table, what in (("sources", "sources are never deleted; merge a duplicate into the source it repeats"),
                        ("claims", "claims are never deleted; merge a duplicate into the claim it repeats"),
                        ("questions", "questions are never deleted")):
        statements.append(f"CREATE TRIGGER {table}_never_deleted BEFORE DELETE ON {table} BEGIN "
                          f"SELECT RAISE(ABORT, '{what}'); END")
    for table in ("rulings", "changes", "aliases"):
        statements.append(f"CREATE TRIGGER {table}_never_deleted BEFORE DELETE ON {table} BEGIN "
                          f"SELECT RAISE(ABORT, '{table} are a history: never deleted'); END")
        statements.append(f"CREATE TRIGGER {table}_never_edited BEFORE UPDATE ON {table} BEGIN "
                          f"SELECT RAISE(ABORT, '{table} are a history: never edited'); END")
    for statement in statements:
        conn.execute(statement)


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


# -- m007: has it been checked before? ------------------------------------------------

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
