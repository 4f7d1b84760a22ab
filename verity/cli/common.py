"""What every command shares: its group, the database, JSON, tables, and what an add prints.

The conventions every command follows (docs/cli.md says them to users):

- A listing prints a table for people, or with `--json` (`JsonFlag`) only JSON on
  stdout; messages go to stderr.
- A command that creates or changes a record takes `--json` (`JsonRecordFlag`) and
  then prints that record as JSON, the same object its listing or `show` gives.
  Without it, an add prints the new record's key or id alone on stdout, for
  scripts (`key=$(verity claim add ...)`), and a sentence on stderr, for people
  (`print_created`); a change prints a sentence on stderr (`print_changed`).
- A table colours positions, verdicts and rulings on a terminal (`print_table`).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from typing import Annotated, Any, Iterable, Optional, Sequence

import typer

from .commands import VerityCommand, VerityGroup

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON only (messages go to stderr).")]
JsonRecordFlag = Annotated[
    bool, typer.Option("--json", help="Print the record as JSON instead (and nothing else on stdout).")
]
DEFAULT_DB = "claims.db"
# Columns whose values are positions, verdicts or rulings: coloured as labels on a terminal.
LABEL_COLUMNS = frozenset({"position", "verdict", "ruling"})


def group(help: str) -> typer.Typer:
    """A group of commands (`verity source ...`), with verity's help."""
    return typer.Typer(cls=VerityGroup, help=help, no_args_is_help=True, rich_markup_mode=None,
                       add_completion=False)


def commands() -> typer.Typer:
    """What holds a module's top-level commands (`verity init`, `verity report`) until
    verity runs or lists one of them (see verity.cli.COMMANDS)."""
    return typer.Typer(cls=VerityGroup, rich_markup_mode=None, add_completion=False)


def command(app: typer.Typer, name: str):
    """Register a function as the command `name` of `app`, with verity's help."""
    return app.command(name, cls=VerityCommand)


def db_path(ctx: typer.Context) -> str:
    """The database a command works on: --db, else $VERITY_DB, else ./claims.db. Given empty,
    either would be taken for ./claims.db, another database (`VERITY_DB=$DESK_DB verity …` with
    DESK_DB unset, say): refused (click reads an empty variable as unset, so it is looked at here)."""
    from ..errors import InvalidValue

    obj = ctx.find_root().obj or {}
    db, environment = obj.get("db"), os.environ.get("VERITY_DB")
    given = (obj.get("db_given", "--db"), db) if db is not None else ("VERITY_DB", environment)
    if given[1] is not None and not given[1].strip():
        fix = "leave it out" if given[0] == "--db" else "unset it"
        raise InvalidValue(f"{given[0]} is empty; give a database file, or {fix} for ./claims.db")
    return db or environment or DEFAULT_DB


def open_store(ctx: typer.Context, create: bool = False):
    from ..store import Store

    store = Store.open(db_path(ctx), create=create)
    ctx.call_on_close(store.close)
    return store


def write_json(text: str) -> None:
    """JSON text to stdout, every character a terminal would obey written as a JSON escape
    (`names.json_visible`): every command's --json goes through here."""
    from ..names import json_visible

    sys.stdout.write(json_visible(text))


def print_json(data: Any) -> None:
    write_json(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def print_json_stream(items: Iterable[Any]) -> None:
    """A JSON list written item by item, so output starts before the last item is read."""
    from ..formats import json_list

    for chunk in json_list(items):
        write_json(chunk)


def say(message: str) -> None:
    """A message for the person at the terminal: stderr, so stdout stays clean."""
    from ..names import visible_lines

    typer.echo(visible_lines(message), err=True)


def warn(message: str) -> None:
    """A warning: one line on stderr starting 'Warning: '. It never changes what is written."""
    say(f"Warning: {message}")


def print_created(key: Any, message: str, record: Any, as_json: bool) -> None:
    """What every add prints: the new record's key or id alone on stdout and `message`
    on stderr; with --json, the record (JSON-ready data) as JSON and nothing else."""
    if as_json:
        print_json(record)
        return
    typer.echo(key)
    say(message)


def print_changed(message: str, record: Any, as_json: bool) -> None:
    """What every command that changes a record prints: `message` on stderr; with
    --json, the record as it now is (JSON-ready data) on stdout."""
    if as_json:
        print_json(record)
        return
    say(message)


def shorten(value: Any, width: int) -> str:
    text = "" if value is None else str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(width - 1, 1)] + "…"


def shown(value: Any) -> str:
    """A value as people see it printed: every table cell, and every value `claim show`
    prints, passes through here (None shows as nothing), with its control characters
    shown escaped (`verity.names.visible`)."""
    from ..names import visible

    return "" if value is None else visible(str(value))


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], wide: Optional[str] = None) -> None:
    """A plain aligned table; the `wide` column takes what the terminal has left. On a
    terminal, positions, verdicts and rulings (LABEL_COLUMNS) are coloured as labels."""
    from .style import colour_wanted, label

    rows = [[shown(v) for v in row] for row in rows]
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
    coloured = {i for i, h in enumerate(headers) if h in LABEL_COLUMNS} if colour_wanted() else set()

    def line(cells: Sequence[str]) -> str:
        padded = []
        for i, value in enumerate(cells):
            text = value.ljust(widths[i])
            if i in coloured and value:
                text = label(value) + text[len(value):]
            padded.append(text)
        return "  ".join(padded).rstrip()

    typer.echo("  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip())
    typer.echo("  ".join("-" * w for w in widths))
    for row in rows:
        typer.echo(line(row))
