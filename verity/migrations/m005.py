"""m005: corrections with history, and records that desks can share."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from .. import uids
from ..models import ACTIONS, GRADES, RECORD_TYPES, RULINGS, utc_now
from ..names import fold
from .runner import migration
from .views import create_views, in_list

if TYPE_CHECKING:
    import sqlite_utils


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
            reliability TEXT CHECK ({in_list('reliability', GRADES)}),
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
            ruling TEXT CHECK ({in_list('ruling', RULINGS)}),
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
            ruling TEXT NOT NULL CHECK ({in_list('ruling', RULINGS)}),
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
            action TEXT NOT NULL CHECK ({in_list('action', ACTIONS)}),
            record_type TEXT NOT NULL CHECK ({in_list('record_type', RECORD_TYPES)}),
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
