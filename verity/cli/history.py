"""verity log: every correction of the record, newest first."""

from typing import Annotated, Optional

import typer

from .common import JsonFlag, command, commands, open_store, print_json_stream, say

app = commands()


@command(app, "log")
def log(
    ctx: typer.Context,
    since: Annotated[Optional[str], typer.Option(
        "--since", metavar="DATE", help="Only changes made on or after this date (YYYY-MM-DD, YYYY-MM or YYYY).")] = None,
    by: Annotated[Optional[str], typer.Option("--by", metavar="USER", help="Only changes made by this person.")] = None,
    json_: JsonFlag = False,
) -> None:
    """List every correction of the record, newest first: edits, aliases, merges, rulings
    and retractions, each with who made it, when, the old and new value, and why.

    Example: verity log --since 2022-01-18 --by fact-checker
    """
    from .records import change_json
    from .show import print_change

    store = open_store(ctx)
    changes = (change_json(change) for change in store.changes(since=since, by=by))
    if json_:
        print_json_stream(changes)
        return
    shown = 0
    for change in changes:
        typer.echo(print_change(change))
        shown += 1
    if not shown:
        say("No changes match." if since or by else "No corrections yet: the record is as it was logged.")
