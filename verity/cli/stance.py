"""verity stance ...: who took which position on which claim."""

from typing import Annotated, Optional

import typer

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

app = group("Log, list and retract stances.")


@command(app, "add")
def add(
    ctx: typer.Context,
    claim: Annotated[str, typer.Argument(metavar="CLAIM", help="The claim's key or id.")],
    source: Annotated[str, typer.Argument(metavar="SOURCE", help="The source's name (any case) or id.")],
    position: Annotated[str, typer.Argument(
        metavar="POSITION", help="affirms, partially-affirms, neutral, partially-denies or denies.")],
    quote: Annotated[Optional[str], typer.Option(metavar="TEXT", help="What the source said, verbatim.")] = None,
    url: Annotated[Optional[str], typer.Option(metavar="URL", help="Link to where it was said.")] = None,
    said_on: Annotated[Optional[str], typer.Option(
        "--said-on", metavar="DATE", help="When it was said: YYYY-MM-DD (or YYYY-MM, YYYY) or an ISO date-time.")] = None,
    via: Annotated[Optional[str], typer.Option(metavar="OUTLET", help="The outlet it reached us through, e.g. Dawn.")] = None,
    note: Annotated[Optional[str], typer.Option(metavar="TEXT", help="Context for the record.")] = None,
    json_: JsonRecordFlag = False,
) -> None:
    """Log that SOURCE took POSITION on CLAIM; prints the new stance's id.

    Example: verity stance add balti-was-killed "Afghan government spokesperson" denies --quote "No such incident has taken place" --said-on 2022-01-12 --via Dawn
    """
    from ..errors import InvalidValue
    from ..models import POSITIONS, Stance
    from ..store import STANCE_ORDER

    try:
        stance = Stance(claim=claim, source=source, position=position, quote=quote, url=url,
                        said_on=said_on, via=via, note=note)
    except InvalidValue as exc:
        if exc.field == "position" and source.strip().lower() in POSITIONS:  # SOURCE and POSITION swapped
            raise InvalidValue(f"{source.strip()!r} is a position, not a source: {STANCE_ORDER}", "position") from None
        raise
    store = open_store(ctx)
    added = store.add_stance(stance)
    from ..models import address_warning, future_date_warning

    for warning in [*store.warnings, future_date_warning(stance.said_on), address_warning(stance.url)]:
        if warning:
            warn(warning)
    from .records import stance_json

    record = stance_json(store.listed_stance(added.id)) if json_ else None
    print_created(added.id, f"Logged stance {added.id}: {added.source} {added.position} {added.claim}.", record, json_)


@command(app, "list")
def list_stances(
    ctx: typer.Context,
    claim: Annotated[Optional[str], typer.Option(metavar="CLAIM", help="Only stances on this claim (a key or id).")] = None,
    source: Annotated[Optional[str], typer.Option(metavar="SOURCE", help="Only stances of this source (a name or id).")] = None,
    by: Annotated[Optional[str], typer.Option(metavar="USER", help="Only stances this person logged.")] = None,
    since: Annotated[Optional[str], typer.Option(
        metavar="DATE", help="Only stances logged on or after this date (YYYY-MM-DD, or an ISO date-time).")] = None,
    retracted: Annotated[bool, typer.Option("--retracted", help="Only retracted stances.")] = False,
    json_: JsonFlag = False,
) -> None:
    """List stances in the order they were logged, with their status and who logged them.

    A stance counts (it is its source's latest on the claim that is not
    retracted), was superseded by a later one of the same source, or was
    retracted; every stance is kept. Every filter given must hold.

    Example: verity stance list --claim balti-was-killed --by amina
    """
    from .records import stance_json

    store = open_store(ctx)
    rows = list(store.stances_listed(claim=claim, source=source, logged_by=by, since=since, retracted_only=retracted))
    for sentence in store.unmatched_filters(logged_by=by):
        warn(sentence)
    if json_:
        print_json([stance_json(row) for row in rows])
        return
    if not rows:
        filtered = any(v is not None for v in (claim, source, by, since)) or retracted
        say("No stances match." if filtered
            else "No stances yet: log one with 'verity stance add CLAIM SOURCE POSITION'.")
        return
    # The desk column, when a listed stance has one: a database no desk has written to has none.
    desks = any(r.stance.desk for r in rows)
    print_table(
        ["id", "claim", "source", "position", "said", "status", "logged", "by"] + (["desk"] if desks else [])
        + ["quote"],
        [[r.stance.id, r.stance.claim, r.stance.source, r.stance.position, r.stance.said_on, r.status,
          r.stance.logged_at[:10], r.stance.logged_by] + ([r.stance.desk] if desks else []) + [r.stance.quote]
         for r in rows],
        wide="quote",
    )


@command(app, "retract")
def retract(
    ctx: typer.Context,
    stance_id: Annotated[str, typer.Argument(metavar="STANCE_ID", help="The id printed by 'stance add'.")],
    reason: Annotated[str, typer.Option(metavar="TEXT", help="Why it no longer counts (kept on record).")],
    on: Annotated[Optional[str], typer.Option(
        "--on", metavar="DATE", help="When the source withdrew it (YYYY-MM-DD, YYYY-MM or YYYY), if it did.")] = None,
    json_: JsonRecordFlag = False,
) -> None:
    """Retract a stance: it stays on record, marked, and stops counting.

    --on records when the source itself withdrew the statement, beside when it was
    retracted here; leave it out for a stance logged in error.

    Example: verity stance retract 7 --reason "logged against the wrong source"
    """
    from ..errors import InvalidValue
    from ..models import Retraction
    from .records import stance_json

    digits = stance_id.strip()
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidValue(f"stance id {stance_id!r} is not a number; give the id 'stance add' printed "
                           "(see 'verity stance list')")
    Retraction(reason=reason, on=on)  # check the reason and date before touching the database
    store = open_store(ctx)
    stance = store.retract_stance(digits, reason, on=on)
    for warning in store.warnings:
        warn(warning)
    record = stance_json(store.listed_stance(stance.id)) if json_ else None
    print_changed(f"Retracted stance {stance.id} ({stance.source} {stance.position} {stance.claim}).", record, json_)
