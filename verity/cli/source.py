"""verity source ...: the people, offices, groups and outlets that say things."""

from typing import Annotated, Optional

import typer

from .common import JsonFlag, JsonRecordFlag, command, group, open_store, print_created, print_json, print_table, say

app = group("Add and list sources.")


@command(app, "add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Unique name (matched ignoring case).")],
    kind: Annotated[Optional[str], typer.Option(
        metavar="KIND", help="official, militant group, news outlet, analyst, NGO, anonymous…")] = None,
    affiliation: Annotated[Optional[str], typer.Option(
        metavar="BODY", help="The body it speaks for; same affiliation = not independent.")] = None,
    reliability: Annotated[Optional[str], typer.Option(
        metavar="A-F", help="Admiralty grade: A completely reliable … E unreliable, F cannot be judged.")] = None,
    url: Annotated[Optional[str], typer.Option(metavar="URL", help="Where to find the source.")] = None,
    note: Annotated[Optional[str], typer.Option(metavar="TEXT", help="Anything worth knowing about it.")] = None,
    json_: JsonRecordFlag = False,
) -> None:
    """Add a source; prints its id.

    The id goes alone to stdout, as 'stance add' prints the new stance's id, and a
    sentence naming the source to stderr. The id, not the name: it is safe in a shell
    and never changes, and every command takes a source's id where it takes its name.

    Example: verity source add "Afghan government spokesperson" --kind official --affiliation "Islamic Emirate of Afghanistan" --reliability D
    """
    from ..models import Source

    source = Source(name=name, kind=kind, affiliation=affiliation, reliability=reliability, url=url, note=note)
    store = open_store(ctx)
    added = store.add_source(source)
    from .records import source_json

    print_created(added.id, f"Added source {added.name!r} (id {added.id}).", source_json(added, 0), json_)


@command(app, "list")
def list_sources(ctx: typer.Context, json_: JsonFlag = False) -> None:
    """List sources, by name, with how many stances each has.

    Example: verity source list --json
    """
    from .records import source_json

    store = open_store(ctx)
    rows = list(store.sources())
    if json_:
        print_json([source_json(s, n) for s, n in rows])
        return
    if not rows:
        say("No sources yet: add one with 'verity source add NAME'.")
        return
    print_table(
        ["id", "name", "kind", "affiliation", "grade", "stances"],
        [[s.id, s.name, s.kind, s.affiliation, s.reliability, n] for s, n in rows],
    )
