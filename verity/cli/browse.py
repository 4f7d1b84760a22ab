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
    from ..errors import InvalidValue

    if not 0 <= port <= 65535:  # the operating system would take it modulo 65536: another port
        raise InvalidValue(f"--port {port} is not a port; give one from 1 to 65535, or 0 for any free port")
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
    config: Annotated[
        Optional[Path],
        typer.Option("--config", "-c", metavar="FILE", dir_okay=False,
                     help="Datasette 1.0: write the configuration (named queries, table options, "
                          "settings) to FILE."),
    ] = None,
) -> None:
    """Print the Datasette metadata that 'verity browse' serves with.

    For serving the database with plain datasette. The metadata names the database
    after its file, so write it for the file you will serve; the datasette command
    to serve it with, verity's settings included, is printed on stderr. Datasette
    1.0 takes the named queries, table options and settings apart from the
    metadata, as configuration: give --config FILE for them.

    Example: verity --db claims.db datasette-metadata --output metadata.json
    """
    from ..datasette import inspect_database, metadata_for
    from ..datasette.metadata import SETTINGS, datasette_major, metadata_and_config
    from ..errors import InvalidValue
    from .output import check_writable, written_atomically

    database = inspect_database(db_path(ctx))
    if output is not None:
        check_writable(output, protect=[database.path], what="metadata", example="metadata.json")
    major = datasette_major()
    if major < 1 and config is not None:
        raise InvalidValue("Datasette 0.65 takes everything in its metadata; leave out --config "
                           "(it is for Datasette 1.0)")
    if major >= 1 and config is None:
        raise InvalidValue("Datasette 1.0 takes the named queries, table options and settings as "
                           "configuration; give --config FILE too, e.g. --config datasette.json")
    metadata, configuration = metadata_and_config(metadata_for(database), major)
    if config is not None:
        check_writable(config, protect=[database.path], what="configuration", example="datasette.json")
        configuration["settings"] = dict(SETTINGS)
    text = json.dumps(metadata, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        target = "metadata.json"
    else:
        with written_atomically(output, protect=[database.path], what="metadata", example="metadata.json") as out:
            out.write(text)
        target = str(output)
        say(f"Wrote {output}.")
    if config is not None:
        with written_atomically(config, protect=[database.path], what="configuration",
                                example="datasette.json") as out:
            out.write(json.dumps(configuration, indent=2, ensure_ascii=False) + "\n")
        say(f"Wrote {config}.")
        say(f"Serve it with: datasette {database.path} --metadata {target} --config {config}")
        return
    settings = " ".join(f"--setting {name} {_setting(value)}" for name, value in SETTINGS.items())
    say(f"Serve it with: datasette {database.path} --metadata {target} {settings}")


def _setting(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)
