"""`claim show` for people: a claim, where its sources stand, and every stance logged on it."""

from __future__ import annotations

import typer

from ..reconcile import RETRACTED, SUPERSEDED, figure
from .common import shown
from .style import colour_wanted, label


def print_claim(record) -> None:
    """A store ClaimRecord as `claim show` prints it (positions and verdicts coloured on a terminal)."""
    paint = label if colour_wanted() else (lambda word: word)
    c, r = record.claim, record.reconciliation
    lines = [f"{shown(c.key)}  (claim {c.id})", f"  {shown(c.text)}"]
    if c.subject:
        lines.append(f"  subject: {shown(c.subject)}")
    if c.tags:
        lines.append(f"  tags:    {', '.join(map(shown, c.tags))}")
    if c.note:
        lines.append(f"  note:    {shown(c.note)}")
    lines.append("")
    lines.append(f"Verdict: {paint(r.verdict)}   score {figure(r.score)}   agreement {figure(r.agreement)}")
    ruling = paint(c.ruling) if c.ruling else "none yet"
    lines.append(f"Ruling:  {ruling}" + (f" — {shown(c.ruling_explanation)}" if c.ruling_explanation else ""))
    lines.append(f"Affirming ({r.affirming_origins} independent): {', '.join(map(shown, r.affirming)) or '—'}")
    lines.append(f"Denying ({r.denying_origins} independent):   {', '.join(map(shown, r.denying)) or '—'}")
    lines.append(f"Neutral: {', '.join(map(shown, r.neutral)) or '—'}")
    lines += [f"  ✗ {shown(a)}  vs  {shown(d)}" for a, d in r.contradictions]
    lines.append("")
    if not record.stances:
        lines.append("No stances yet: log one with 'verity stance add CLAIM SOURCE POSITION'.")
    else:
        lines.append("Stances, oldest first (* counts; the others are superseded or retracted, and kept):")
    for s in record.stances:
        status = record.statuses[s.id].status
        mark = "*" if s.id in record.counted_ids else " "
        when = shown(s.said_on) or "undated"
        line = f" {mark} #{s.id} {when}  {shown(s.source)}  {paint(s.position)}"
        if status == SUPERSEDED:
            line += "  (superseded)"
        if s.quote:
            line += f"  “{shown(s.quote)}”"
        if s.via:
            line += f"  via {shown(s.via)}"
        lines.append(line)
        if s.url:
            lines.append(f"      {shown(s.url)}")
        logged = f"      logged {s.logged_at[:10]}" + (f" by {shown(s.logged_by)}" if s.logged_by else "")
        lines.append(logged + (f" · note: {shown(s.note)}" if s.note else ""))
        if status == RETRACTED and s.retracted:
            by = f" by {shown(s.retracted.by)}" if s.retracted.by else ""
            lines.append(f"      RETRACTED {s.retracted.at[:10]}{by}: {shown(s.retracted.reason)}")
    for line in lines:
        typer.echo(line)
