"""verity import / export: moving records between verity and files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import open_store, say


def register(app: typer.Typer) -> None:
    app.command("import")(import_file)
    app.command("export")(export)


def import_file(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A verity JSON document (.json).")],
) -> None:
    """Import a verity JSON document: all of it, or nothing.

    Example: verity import examples/balti.json
    """
    import json

    from ..errors import InvalidValue
    from ..formats import load_document

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidValue(f"cannot read {file}: no such file; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidValue(f"cannot read {file}: {exc}; check the path and that it is UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InvalidValue(f"{file} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); fix the file") from None
    document = load_document(data)
    store = open_store(ctx)
    added = store.import_records(document.sources, document.claims, document.stances)
    say(f"Imported {added['sources']} sources, {added['claims']} claims, {added['stances']} stances from {file}.")


def export(
    ctx: typer.Context,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Export the whole database as a verity JSON document.

    Example: verity export --output balti.json
    """
    from ..formats import dumps, document_of

    store = open_store(ctx)
    text = dumps(document_of(store)) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        say(f"Wrote {output}.")
