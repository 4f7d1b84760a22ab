"""verity claim ...: the statements being checked."""

from __future__ import annotations

from typing import Annotated, List, Optional

import typer

from .common import JsonFlag, open_store, print_json, print_table, say

app = typer.Typer(help="Add, list, show and rule on claims.", no_args_is_help=True)

VerdictOption = Annotated[
    Optional[List[str]],
    typer.Option("--verdict", metavar="VERDICT",
                 help="Only claims with this verdict (contested, single-source, corroborated, denied, unverified); repeatable."),
]


@app.command("add")
def add(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The checkable statement.")],
    key: Annotated[Optional[str], typer.Option(help="A slug; derived from the text when not given.")] = None,
    subject: Annotated[Optional[str], typer.Option(help="Who or what the claim is about.")] = None,
    tag: Annotated[Optional[List[str]], typer.Option("--tag", help="A tag; repeat for more.")] = None,
    note: Annotated[Optional[str], typer.Option(help="Context for the record.")] = None,
) -> None:
    """Add a claim; prints its key.

    Example: verity claim add "Mufti Khalid Balti was killed" --key balti-was-killed --subject "Mufti Khalid Balti" --tag ttp
    """
    from ..models import Claim

    fields = dict(text=text, subject=subject, tags=tag or (), note=note)
    claim = Claim(key=key, **fields) if key is not None else Claim(**fields)
    store = open_store(ctx)
    added = store.add_claim(claim)
    typer.echo(added.key)


@app.command("list")
def list_claims(ctx: typer.Context, verdict: VerdictOption = None, json_: JsonFlag = False) -> None:
    """List claims with the sources' verdict and your ruling.

    Example: verity claim list --verdict contested
    """
    from ..formats import to_json
    from ..reconcile import figure

    store = open_store(ctx)
    rows = list(store.claims(verdict))
    if json_:
        print_json([
            {"id": c.id, **to_json(c), "verdict": r.verdict, "score": r.score, "agreement": r.agreement}
            for c, r in rows
        ])
        return
    if not rows:
        say("No claims match." if verdict else "No claims yet: add one with 'verity claim add TEXT'.")
        return
    print_table(
        ["id", "key", "verdict", "score", "ruling", "text"],
        [[c.id, c.key, r.verdict, figure(r.score), c.ruling or "", c.text] for c, r in rows],
        wide="text",
    )


@app.command("show")
def show(
    ctx: typer.Context,
    claim: Annotated[str, typer.Argument(metavar="CLAIM", help="The claim's key or id.")],
    json_: JsonFlag = False,
) -> None:
    """Show a claim: its fields, verdict and ruling, and every stance ever logged on it.

    Example: verity claim show balti-was-killed
    """
    from ..formats import reconciliation_json, to_json
    from ..reconcile import figure

    store = open_store(ctx)
    record = store.claim_record(claim)
    c, r = record.claim, record.reconciliation
    if json_:
        stances = []
        for s in record.stances:
            data = {"id": s.id, **to_json(s), "counted": s.id in record.counted_ids}
            data.pop("claim")
            stances.append(data)
        print_json({"id": c.id, **to_json(c), "reconciliation": reconciliation_json(r), "stances": stances})
        return
    typer.echo(f"{c.key}  (claim {c.id})")
    typer.echo(f"  {c.text}")
    if c.subject:
        typer.echo(f"  subject: {c.subject}")
    if c.tags:
        typer.echo(f"  tags:    {', '.join(c.tags)}")
    if c.note:
        typer.echo(f"  note:    {c.note}")
    typer.echo("")
    typer.echo(f"Verdict: {r.verdict}   score {figure(r.score)}   agreement {figure(r.agreement)}")
    ruling = c.ruling or "none yet"
    typer.echo(f"Ruling:  {ruling}" + (f" — {c.ruling_explanation}" if c.ruling_explanation else ""))
    typer.echo(f"Affirming ({r.affirming_origins} independent): {', '.join(r.affirming) or '—'}")
    typer.echo(f"Denying ({r.denying_origins} independent):   {', '.join(r.denying) or '—'}")
    typer.echo(f"Neutral: {', '.join(r.neutral) or '—'}")
    for a, d in r.contradictions:
        typer.echo(f"  ✗ {a}  vs  {d}")
    typer.echo("")
    typer.echo("Stances, oldest first (* counts; retracted ones are kept and marked):")
    for s in record.stances:
        mark = "*" if s.id in record.counted_ids else " "
        when = s.said_on or f"logged {s.logged_at[:10]}"
        line = f" {mark} #{s.id} {when}  {s.source}  {s.position}"
        if s.quote:
            line += f"  “{s.quote}”"
        if s.via:
            line += f"  via {s.via}"
        typer.echo(line)
        if s.retracted:
            typer.echo(f"      RETRACTED {s.retracted.at[:10]}: {s.retracted.reason}")


@app.command("rule")
def rule(
    ctx: typer.Context,
    claim: Annotated[str, typer.Argument(metavar="CLAIM", help="The claim's key or id.")],
    ruling: Annotated[str, typer.Argument(metavar="RULING", help="true, mostly-true, mixture, mostly-false, false or unproven.")],
    explanation: Annotated[Optional[str], typer.Option(help="Why: what the ruling rests on.")] = None,
) -> None:
    """Record your ruling on a claim (shown beside the sources' verdict).

    Example: verity claim rule balti-was-killed mostly-true --explanation "Confirmed by Pakistan and the TTP; Kabul denies"
    """
    from ..models import parse_ruling

    ruling = parse_ruling(ruling)  # checked before the database is opened
    store = open_store(ctx)
    ruled = store.rule_claim(claim, ruling, explanation)
    say(f"Ruled {ruled.key}: {ruled.ruling}.")
