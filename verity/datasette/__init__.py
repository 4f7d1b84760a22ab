"""verity in Datasette: the metadata, the checks before serving, and the server.

Nothing here imports Datasette at import time, so commands other than
`verity browse` stay fast; `verity.datasette.server` does, when it is called.
`verity.datasette.plugin` is the Datasette plugin (registered as an entry point).

Browsing never creates or changes the database: it is inspected through a
read-only SQLite connection, and Datasette itself only reads it.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import attrs
import sqlite_utils

from .. import migrations
from ..errors import DatabaseUnavailable, VerityError
from .metadata import build_metadata, is_worked_example


class PortInUse(VerityError):
    """The port asked for is taken by another program."""


class CannotListen(VerityError):
    """The server cannot listen on the host and port asked for."""


class CannotWrite(VerityError):
    """A file verity was asked to write cannot be written."""


@attrs.frozen
class Browsable:
    """A verity database that is ready to browse, as Datasette will name it."""

    path: str
    name: str  # Datasette's name for it: the file name without its extension
    worked_example: bool


def datasette_name(path: str | os.PathLike) -> str:
    return Path(path).stem


def inspect_database(path: str | os.PathLike) -> Browsable:
    """Check, without writing anything, that `path` is an up-to-date verity database."""
    path = os.fspath(path)
    where = Path(path)
    if where.is_dir():
        raise DatabaseUnavailable(f"{path} is a directory; give --db the path of a database file")
    if not where.exists():
        raise DatabaseUnavailable(
            f"no verity database at {path}; create one with 'verity init' "
            "or point --db (or VERITY_DB) at an existing one"
        )
    try:
        conn = sqlite3.connect(f"{where.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as ex:
        raise DatabaseUnavailable(f"cannot open {path}: {ex}; check the path and its permissions") from None
    try:
        db = sqlite_utils.Database(conn, execute_plugins=False)
        try:
            names = set(db.table_names())
        except sqlite3.DatabaseError:
            raise DatabaseUnavailable(
                f"{path} is not a SQLite database; point --db at a verity database"
            ) from None
        if migrations.MIGRATIONS_TABLE not in names:
            raise DatabaseUnavailable(
                f"{path} is a SQLite database but not a verity database; point --db at a verity database"
            )
        pending = migrations.pending(conn)
        if pending:
            raise DatabaseUnavailable(
                f"{path} was made by an older verity and needs upgrading ({len(pending)} migration(s) "
                f"pending); browse never changes the database, so run 'verity --db {path} init' first"
            )
        keys = {row[0] for row in conn.execute("SELECT key FROM claims")}
    finally:
        conn.close()
    return Browsable(path=path, name=datasette_name(path), worked_example=is_worked_example(keys))


def metadata_for(database: Browsable) -> dict[str, Any]:
    """The Datasette metadata verity serves this database with."""
    return build_metadata(database.name, worked_example=database.worked_example)
