"""verity in Datasette: the metadata, the checks before serving, and the server.

Nothing here imports Datasette at import time, so commands other than
`verity browse` stay fast; `verity.datasette.server` does, when it is called.
`verity.datasette.plugin` is the Datasette plugin (registered as an entry point).

Browsing never creates or changes the database: it is inspected through a
read-only SQLite connection, and Datasette itself only reads it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import attrs

from ..errors import DatabaseUnavailable, VerityError
from ..store import Store
from .metadata import build_metadata, is_worked_example


class PortInUse(VerityError):
    """The port asked for is taken by another program."""


class CannotListen(VerityError):
    """The server cannot listen on the host and port asked for."""


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
    with Store.open(path, read_only=True) as store:
        pending = store.pending_migrations()
        if pending:
            raise DatabaseUnavailable(
                f"{path} was made by an older verity and needs upgrading ({len(pending)} migration(s) "
                f"pending); browse never changes the database, so run 'verity --db {path} init' first"
            )
        keys = set(store.claim_keys())
    return Browsable(path=path, name=datasette_name(path), worked_example=is_worked_example(keys))


def metadata_for(database: Browsable) -> dict[str, Any]:
    """The Datasette metadata verity serves this database with."""
    return build_metadata(database.name, worked_example=database.worked_example)
