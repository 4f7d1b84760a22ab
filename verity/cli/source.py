"""verity source ...: the people, offices, groups and outlets that say things."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .common import JsonFlag, open_store, print_json, print_table, say

app = typer.Typer(help="Add and list sources.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Unique name (matched ignoring case).")],
    kind: Annotated[Optional[str], typer.Option(help="official, militant group, news outlet, analyst, NGO, anonymous…")] = None,
    affiliation: Annotated[Optional[str], typer.Option(help="The body it speaks for; same affiliation = not independent.")] = None,
    reliability: Annotated[Optional[str], typer.Option(metavar="A-F", help="Admiralty grade: A completely reliable … E unreliable, F cannot be judged.")] = None,
    url: Annotated[Optional[str], typer.Option(help="Where to find the source.")] = None,
    note: Annotated[Optional[str], typer.Option(help="Anything worth knowing about it.")] = None,
) -> None:
    """Add a source.

    Example: verity source add "Afghan government spokesperson" --kind official --affiliation "Islamic Emirate of Afghanistan" --reliability D
    """
    from ..models import Source

    source = Source(name=name, kind=kind, affiliation=affiliation, reliability=reliability, url=url, note=note)
    store = open_store(ctx)
    added = store.add_source(source)
    say(f"Added source {added.name!r} (id {added.id}).")


@app.command("list")
def list_sources(ctx: typer.Context, json_: JsonFlag = False) -> None:
    """List sources, by name, with how many stances each has.

    Example: verity source list --json
    """
    from ..formats import to_json

    store = open_store(ctx)
    rows = list(store.sources())
    if json_:
        print_json([{"id": s.id, **to_json(s), "stances": n} for s, n in rows])
        return
    if not rows:
        say("No sources yet: add one with 'verity source add NAME'.")
        return
    print_table(
        ["id", "name", "kind", "affiliation", "grade", "stances"],
        [[s.id, s.name, s.kind, s.affiliation, s.reliability, n] for s, n in rows],
    )
