"""verity assess: what is probably true, from the sources' track records (docs/estimates.md)."""

from typing import Annotated, List, Optional

import typer

from .common import JsonFlag, command, commands, open_store, print_table, say, write_json

app = commands()


def print_json_lines(items) -> None:
    """A JSON list, one item a line, as `print_json_stream` writes it but encoded by orjson
    (compact): a desk's assessment lists a million basis stances."""
    import orjson

    write, first = write_json, True
    for item in items:
        write(("[\n  " if first else ",\n  ") + orjson.dumps(item).decode())
        first = False
    write("[]\n" if first else "\n]\n")


@command(app, "assess")
def assess(
    ctx: typer.Context,
    claims: Annotated[Optional[List[str]], typer.Argument(
        metavar="CLAIM", help="Claim keys or ids; all claims when none.", show_default=False)] = None,
    save: Annotated[bool, typer.Option(
        "--save", help="Store every claim's estimate, for claim show, the reports and Datasette.")] = False,
    json_: JsonFlag = False,
) -> None:
    """Estimate how likely each claim is to be true, judging each source by its record.

    The estimate is a probability (0 to 1) learned from the whole desk: your rulings,
    the sources' Admiralty grades as a starting point, and which sources agree with
    whom, one vote per independent origin. A claim's own ruling is never used to
    estimate it. The credibility is the Admiralty information grade: 1 confirmed, 2
    probably true, 3 possibly true, 4 doubtful, 5 improbable, 6 cannot be judged.
    An estimate is not a ruling: see docs/estimates.md for how far to trust it.

    Example: verity assess balti-was-killed --json
    """
    from ..assess import assess as assess_desk

    store = open_store(ctx)
    wanted = [store.get_claim(ref).id for ref in claims] if claims else None
    desk = assess_desk(store)
    if save:
        desk.save(store)
        say(f"Saved the estimates of {len(desk.estimates)} claims ({desk.computed_at[:16].replace('T', ' ')} UTC); "
            "claim show, the reports and Datasette show them until a later write makes them stale.")
    if json_:
        print_json_lines(desk.json_items(wanted))
        return
    rows = list(desk.assessments(wanted))
    if not rows:
        say("No claims yet: add one with 'verity claim add TEXT'.")
        return
    verdicts = {row[1]: row[5] for row in desk.data.claims}
    print_table(
        ["claim", "estimate", "credibility", "verdict", "ruling", "question"],
        [[a.claim, "—" if a.estimate is None else f"{a.estimate:.3f}", f"{a.credibility} {a.credibility_meaning}",
          verdicts[a.claim], a.ruling or "", a.question or ""] for a in rows],
    )
    say(f"Estimates by {desk.method}: probabilities, not rulings; a ruled claim is estimated without its own "
        "ruling.")
