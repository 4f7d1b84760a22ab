"""What every command shares: the database option, JSON output, tables, errors."""

from __future__ import annotations

import json
import os
import shutil
import sys
from typing import Annotated, Any, Iterable, Optional, Sequence

import typer

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON only (messages go to stderr).")]
DEFAULT_DB = "claims.db"


def db_path(ctx: typer.Context) -> str:
    root = ctx.find_root()
    return (root.obj or {}).get("db") or os.environ.get("VERITY_DB") or DEFAULT_DB


def open_store(ctx: typer.Context, create: bool = False):
    from ..store import Store

    store = Store.open(db_path(ctx), create=create)
    ctx.call_on_close(store.close)
    return store


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def print_json_stream(items: Iterable[Any]) -> None:
    """A JSON list written item by item, so output starts before the last item is read."""
    from ..formats import json_list

    for chunk in json_list(items):
        sys.stdout.write(chunk)


def say(message: str) -> None:
    """A message for the person at the terminal: stderr, so stdout stays clean."""
    typer.echo(message, err=True)


def shorten(value: Any, width: int) -> str:
    text = "" if value is None else str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(width - 1, 1)] + "…"


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], wide: Optional[str] = None) -> None:
    """A plain aligned table; the `wide` column takes what the terminal has left."""
    rows = [["" if v is None else str(v) for v in row] for row in rows]
    if not rows:
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    if wide is not None:
        index = list(headers).index(wide)
        room = shutil.get_terminal_size((120, 24)).columns - sum(
            w + 2 for i, w in enumerate(widths) if i != index
        )
        widths[index] = max(min(widths[index], room), 20)
        rows = [[shorten(v, widths[i]) if i == index else v for i, v in enumerate(r)] for r in rows]
    line = "  ".join(h.ljust(widths[i]) for i, h in enumerate(headers))
    typer.echo(line.rstrip())
    typer.echo("  ".join("-" * w for w in widths))
    for row in rows:
        typer.echo("  ".join(v.ljust(widths[i]) for i, v in enumerate(row)).rstrip())

