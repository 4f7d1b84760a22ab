"""Browsing in Datasette: browse, datasette-metadata."""

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import command, commands, db_path, say

app = commands()


@command(app, "browse")
def browse(
    ctx: typer.Context,
    port: Annotated[int, typer.Option("--port", "-p", metavar="N", help="Port to listen on (0: any free port).")] = 8001,
    host: Annotated[str, typer.Option("--host", metavar="ADDRESS", help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Browse the database in Datasette.

    Serves the claims reconciliation, sources, claims and stances with descriptions,
    facets, full-text search and named queries (contested claims, contradictions,
    everything one source has said, reversals, single-source claims, rulings the
    sources disagree with). The database is only read, never created or changed;
    what verity writes while you browse shows on the next page load. Ctrl-C stops
    the server.

    Example: verity --db claims.db browse --port 8001
    """
    from ..datasette import inspect_database
    from ..datasette.server import serve

    database = inspect_database(db_path(ctx))

    def announce(root: str, reconciliation: str) -> None:
        say(f"Browsing {database.path} at {root}")
        say(f"Claims reconciliation: {reconciliation}")
        say("Press Ctrl-C to stop.")

    serve(database, host=host, port=port, announce=announce)
    say("Stopped.")


@command(app, "datasette-metadata")
def datasette_metadata(
    ctx: typer.Context,
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", metavar="FILE", help="Write to FILE instead of stdout.", dir_okay=False),
    ] = None,
) -> None:
    """Print the Datasette metadata that 'verity browse' serves with.

    For serving the database with plain datasette. The metadata names the database
    after its file, so write it for the file you will serve; the datasette command
    to serve it with, verity's settings included, is printed on stderr.

    Example: verity --db claims.db datasette-metadata --output metadata.json
    """
    from ..datasette import inspect_database, metadata_for
    from ..datasette.metadata import SETTINGS
    from .output import written_atomically

    database = inspect_database(db_path(ctx))
    text = json.dumps(metadata_for(database), indent=2, ensure_ascii=False) + "\n"
    settings = " ".join(f"--setting {name} {_setting(value)}" for name, value in SETTINGS.items())
    if output is None:
        typer.echo(text, nl=False)
        target = "metadata.json"
    else:
        with written_atomically(output, protect=[database.path], what="metadata", example="metadata.json") as out:
            out.write(text)
        target = str(output)
        say(f"Wrote {output}.")
    say(f"Serve it with: datasette {database.path} --metadata {target} {settings}")


def _setting(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)
