"""verity stance ...: who took which position on which claim."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .common import open_store, say

app = typer.Typer(help="Log and retract stances.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    claim: Annotated[str, typer.Argument(metavar="CLAIM", help="The claim's key or id.")],
    source: Annotated[str, typer.Argument(metavar="SOURCE", help="The source's name (any case) or id.")],
    position: Annotated[str, typer.Argument(metavar="POSITION", help="affirms, partially-affirms, neutral, partially-denies or denies.")],
    quote: Annotated[Optional[str], typer.Option(help="What the source said, verbatim.")] = None,
    url: Annotated[Optional[str], typer.Option(help="Link to where it was said.")] = None,
    said_on: Annotated[Optional[str], typer.Option("--said-on", metavar="DATE", help="When it was said: YYYY-MM-DD or an ISO date-time.")] = None,
    via: Annotated[Optional[str], typer.Option(help="The outlet it reached us through, e.g. Dawn.")] = None,
    note: Annotated[Optional[str], typer.Option(help="Context for the record.")] = None,
) -> None:
    """Log that SOURCE took POSITION on CLAIM; prints the new stance's id.

    Example: verity stance add balti-was-killed "Afghan government spokesperson" denies --quote "No such incident has taken place" --said-on 2022-01-12 --via Dawn
    """
    from ..models import Stance

    stance = Stance(claim=claim, source=source, position=position, quote=quote, url=url,
                    said_on=said_on, via=via, note=note)
    store = open_store(ctx)
    added = store.add_stance(stance)
    typer.echo(added.id)


@app.command("retract")
def retract(
    ctx: typer.Context,
    stance_id: Annotated[str, typer.Argument(metavar="STANCE_ID", help="The id printed by 'stance add'.")],
    reason: Annotated[str, typer.Option(help="Why it no longer counts (kept on record).")],
) -> None:
    """Retract a stance: it stays on record, marked, and stops counting.

    Example: verity stance retract 7 --reason "logged against the wrong source"
    """
    from ..errors import InvalidValue
    from ..models import Retraction
    digits = stance_id.strip()
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidValue(f"stance id {stance_id!r} is not a number; give the id 'stance add' printed "
                           "(see 'verity claim show CLAIM')")
    Retraction(reason=reason)  # check the reason before touching the database
    store = open_store(ctx)
    stance = store.retract_stance(digits, reason)
    say(f"Retracted stance {stance.id} ({stance.source} {stance.position} {stance.claim}).")
