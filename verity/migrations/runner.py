"""How migrations are recorded and applied (sqlite-utils' Migrations, set "verity").

Databases made before verity used sqlite-utils' migrations recorded theirs in
`_verity_migrations`; `apply` carries that record over first, so they upgrade
like any other.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Callable

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



def table_names(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def applied(conn: sqlite3.Connection) -> list[str]:
    """Names of the migrations this database has had, in the order applied.

    Plain SQL: opening a database that is up to date needs no sqlite-utils.
    """
    tables = table_names(conn)
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


# Migrations once named otherwise, before they were released: a database that has had one is
# not a newer verity's (it has the rest of what it did still pending, which only makes views again).
RETIRED = frozenset({"m011_question_answers"})


def unknown(conn: sqlite3.Connection) -> list[str]:
    """Migrations the database has had that this verity does not know: a newer verity wrote it."""
    known = {name for name, _fn in MIGRATIONS} | RETIRED
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
    if LEGACY_TABLE in table_names(db.conn):
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
