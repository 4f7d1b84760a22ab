"""verity source ...: the people, offices, groups and outlets that say things."""

from typing import Annotated, Optional

import typer

from ..names import quoted
from .common import (
    JsonFlag,
    JsonRecordFlag,
    command,
    group,
    open_store,
    print_changed,
    print_created,
    print_json,
    print_table,
    say,
    warn,
)

SourceArgument = Annotated[str, typer.Argument(metavar="SOURCE", help="The source's name, alias or id.")]

app = group("Add, list, show, correct and merge sources.")


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
    from ..models import Source, address_warning

    source = Source(name=name, kind=kind, affiliation=affiliation, reliability=reliability, url=url, note=note)
    store = open_store(ctx)
    added = store.add_source(source)
    if address_warning(source.url):
        warn(address_warning(source.url))
    record = None
    if json_:  # the record's module is only worth importing for it
        from .records import source_json

        record = source_json(added, 0)
    print_created(added.id, f"Added source {quoted(added.name)} (id {added.id}).", record, json_)
    for warning in store.warnings:
        warn(warning)


@command(app, "list")
def list_sources(ctx: typer.Context, json_: JsonFlag = False) -> None:
    """List sources, by name, with how many stances each has.

    Example: verity source list --json
    """
    from .records import source_json

    store = open_store(ctx)
    rows = list(store.sources())
    if json_:
        records = store.track_records()
        print_json([source_json(s, n, records.get(s.id)) for s, n in rows])
        return
    if not rows:
        say("No sources yet: add one with 'verity source add NAME'.")
        return
    print_table(
        ["id", "name", "kind", "affiliation", "grade", "stances"],
        [[s.id, s.name, s.kind, s.affiliation, s.reliability, n] for s, n in rows],
    )


@command(app, "show")
def show(ctx: typer.Context, source: SourceArgument, json_: JsonFlag = False) -> None:
    """Show a source: its fields, its track record, its other names, and every correction of it.

    The track record counts its counted stances on claims whose truth you have ruled
    (true or mostly-true, false or mostly-false; in a question, an answer other than
    the one ruled true is false): right when on the ruling's side, wrong otherwise.

    Example: verity source show "Pakistani officials"
    """
    from .records import source_record_json
    from .show import print_source

    store = open_store(ctx)
    found = store.get_source(source)
    record = source_record_json(store, found, store.stance_count(found.id))
    if json_:
        print_json(record)
        return
    print_source(record)


@command(app, "edit")
def edit(
    ctx: typer.Context,
    source: SourceArgument,
    reason: Annotated[str, typer.Option(metavar="TEXT", help="Why (kept with the change).")],
    name: Annotated[Optional[str], typer.Option(metavar="NAME", help="A new name; the old one stays as an alias.")] = None,
    kind: Annotated[Optional[str], typer.Option(metavar="KIND", help="What sort of source ('' for none).")] = None,
    affiliation: Annotated[Optional[str], typer.Option(
        metavar="BODY", help="The body it speaks for ('' for none): same affiliation = not independent.")] = None,
    reliability: Annotated[Optional[str], typer.Option(metavar="A-F", help="Admiralty grade ('' for none).")] = None,
    url: Annotated[Optional[str], typer.Option(metavar="URL", help="Where to find the source ('' for none).")] = None,
    note: Annotated[Optional[str], typer.Option(metavar="TEXT", help="Anything worth knowing ('' for none).")] = None,
    json_: JsonRecordFlag = False,
) -> None:
    """Correct a source: any field; one change is recorded per field.

    A new name keeps the old one as an alias. Every claim the source speaks to is
    reconciled again at once when its name, affiliation or grade changes (an
    affiliation decides who is independent of whom). An empty value ('') clears a field.

    Example: verity source edit "Pakistani officials" --affiliation "Government of Pakistan" --reason "typo"
    """
    from .records import source_record_json

    fields = {field: (value or None) for field, value in
              (("name", name), ("kind", kind), ("affiliation", affiliation), ("reliability", reliability),
               ("url", url), ("note", note)) if value is not None}
    store = open_store(ctx)
    edited = store.edit_source(source, reason, **fields)
    from ..models import address_warning

    if url and address_warning(url):
        warn(address_warning(url))
    record = source_record_json(store, edited, store.stance_count(edited.id)) if json_ else None
    print_changed(f"Corrected source {quoted(edited.name)}: {', '.join(fields)}.", record, json_)


@command(app, "alias")
def alias(
    ctx: typer.Context,
    source: SourceArgument,
    alias_name: Annotated[str, typer.Argument(metavar="ALIAS", help="Another name it is found by.")],
    json_: JsonRecordFlag = False,
) -> None:
    """Give a source another name it can be found by (a short name, a spelling).

    Names and aliases share one namespace: an alias that is already another source's
    name or alias is refused. Matched as names are (case, accents, spaces).

    Example: verity source alias "Dmitry Peskov, Kremlin spokesman" Peskov
    """
    from .records import source_record_json

    store = open_store(ctx)
    found = store.alias_source(source, alias_name)
    for warning in store.warnings:
        warn(warning)
    record = source_record_json(store, found, store.stance_count(found.id)) if json_ else None
    print_changed(f"{quoted(alias_name.strip())} now names source {quoted(found.name)}.", record, json_)


@command(app, "merge")
def merge(
    ctx: typer.Context,
    duplicate: Annotated[str, typer.Argument(metavar="DUPLICATE", help="The source that repeats another.")],
    into: Annotated[str, typer.Option("--into", metavar="SOURCE", help="The source it repeats, which is kept.")],
    reason: Annotated[str, typer.Option(metavar="TEXT", help="Why they are one source (kept with the change).")],
    json_: JsonRecordFlag = False,
) -> None:
    """Merge a source logged twice into the one to keep.

    The duplicate's stances stay as logged and count as the kept source's: one latest
    stance for the two on each claim. Its name becomes one of the kept source's names.
    Merging into a source that was itself merged merges into the one it was merged into.

    Example: verity source merge "D. Peskov" --into "Dmitry Peskov, Kremlin spokesman" --reason "same person"
    """
    from .records import source_record_json

    store = open_store(ctx)
    dup, kept = store.merge_sources(duplicate, into, reason)
    record = source_record_json(store, kept, store.stance_count(kept.id)) if json_ else None
    print_changed(f"Merged source {quoted(dup.name)} into {quoted(kept.name)}: its stances now count as {quoted(kept.name)}'s.",
                  record, json_)
