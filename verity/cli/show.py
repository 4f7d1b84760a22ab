"""`claim show` for people: a claim, where its sources stand, and every stance logged on it."""

from __future__ import annotations

from typing import Optional

import typer

from ..reconcile import RETRACTED, SUPERSEDED, figure
from .common import shown
from .style import colour_wanted, label


def print_claim(record, data: Optional[dict] = None) -> None:
    """A store ClaimRecord as `claim show` prints it (positions and verdicts coloured on a
    terminal), with its old keys, ruling history and corrections from `data` (claim show's JSON)."""
    paint = label if colour_wanted() else (lambda word: word)
    c, r = record.claim, record.reconciliation
    lines = [f"{shown(c.key)}  (claim {c.id})", f"  {shown(c.text)}"]
    if c.subject:
        lines.append(f"  subject: {shown(c.subject)}")
    if c.tags:
        lines.append(f"  tags:    {', '.join(map(shown, c.tags))}")
    if c.note:
        lines.append(f"  note:    {shown(c.note)}")
    if data and data["aliases"]:
        lines.append(f"  also:    {', '.join(map(shown, data['aliases']))}")
    if c.question:
        lines.append(f"  answers: {shown(c.question)}")
    if c.desk:
        lines.append(f"  desk:    {shown(c.desk)}")
    lines.append("")
    lines.append(f"Verdict: {paint(r.verdict)}   score {figure(r.score)}   agreement {figure(r.agreement)}")
    ruling = paint(c.ruling) if c.ruling else "none yet"
    lines.append(f"Ruling:  {ruling}" + (f" — {shown(c.ruling_explanation)}" if c.ruling_explanation else ""))
    if record.estimate is not None:
        lines.append(f"Estimate (verity assess, not a ruling): {record.estimate.label()}")
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
        logged = (f"      logged {s.logged_at[:10]}" + (f" by {shown(s.logged_by)}" if s.logged_by else "")
                  + (f" (desk {shown(s.desk)})" if s.desk else ""))
        lines.append(logged + (f" · note: {shown(s.note)}" if s.note else ""))
        if status == RETRACTED and s.retracted:
            by = f" by {shown(s.retracted.by)}" if s.retracted.by else ""
            withdrawn = f" (the source withdrew it {shown(s.retracted.on)})" if s.retracted.on else ""
            lines.append(f"      RETRACTED {s.retracted.at[:10]}{by}{withdrawn}: {shown(s.retracted.reason)}")
    if data:
        lines.append("")
        lines += _rulings(data["rulings"], paint)
        lines.append("")
        lines += _history(data["changes"])
    for line in lines:
        typer.echo(line)


def _rulings(rulings: list[dict], paint) -> list[str]:
    if not rulings:
        return ["No rulings yet: rule with 'verity claim rule CLAIM RULING'."]
    lines = ["Rulings, oldest first (the latest is the claim's ruling):"]
    for r in rulings:
        when = shown(r["ruled_at"])[:16].replace("T", " ") or "undated"
        by = f" by {shown(r['ruled_by'])}" if r["ruled_by"] else ""
        lines.append(f"  {when}{by}: {paint(r['ruling'])}" + (f" — {shown(r['explanation'])}" if r["explanation"] else ""))
    return lines


def print_change(change: dict, with_record: bool = True) -> str:
    """One change as a line: when, who, what, old → new, why."""
    what = {"edit": f"{change['field']}", "alias": "alias", "merge": "merged into", "rule": "ruling",
            "retract": "retracted"}[change["action"]]
    if change["action"] == "rule" and change["field"] == "rulings":  # dated before the ruling, which stayed
        what = "earlier ruling added"
    record = f"{change['record_type']} {shown(change['record'])}: " if with_record else ""
    values = shown(change["new"]) if change["old"] is None else f"{shown(change['old'])} → {shown(change['new'])}"
    if change["action"] == "merge":
        values = shown(change["new"])
    reason = f"  ({shown(change['reason'])})" if change.get("reason") else ""
    desk = f" [{shown(change['desk'])}]" if change.get("desk") else ""
    return f"{change['at'][:16].replace('T', ' ')}  {shown(change['by'])}{desk}  {record}{what}: {values}{reason}"


def print_source(record: dict) -> None:
    """A source as `source show` prints it: fields, other names, changes newest first."""
    lines = [f"{shown(record['name'])}  (source {record['id']})"]
    for field in ("kind", "affiliation", "reliability", "url", "note", "desk"):
        if record.get(field):
            lines.append(f"  {field + ':':<12} {shown(record[field])}")
    lines.append(f"  {'stances:':<12} {record['stances']}")
    track = record["track_record"]
    ruled = track["right"] + track["wrong"]
    lines.append(f"  {'record:':<12} " + (f"{track['right']} right, {track['wrong']} wrong on ruled claims"
                                          if ruled else "no stance on a ruled claim yet"))
    if record.get("learned_reliability") is not None:
        lines.append(f"  {'learned:':<12} reliability {record['learned_reliability']:.3f} (last 'verity assess --save')")
    if record["aliases"]:
        lines.append(f"  {'also named:':<12} {', '.join(map(shown, record['aliases']))}")
    lines.append("")
    lines += _history(record["changes"])
    for line in lines:
        typer.echo(line)


def _history(changes: list[dict]) -> list[str]:
    if not changes:
        return ["No corrections."]
    return ["Changes, newest first:", *("  " + print_change(c, with_record=False) for c in changes)]


def print_question(reconciled) -> None:
    """A question as `question show` prints it: rule 7's verdict, its answers side by side,
    and every contradiction across them."""
    paint = label if colour_wanted() else (lambda word: word)
    lines = [f"{shown(reconciled.question)}  {shown(reconciled.text)}", ""]
    lines.append(f"Verdict: {paint(reconciled.verdict)}   leading answer: {shown(reconciled.leading) or 'none'}")
    if not reconciled.answers:
        lines.append("No answers yet: add one with 'verity claim add TEXT --question KEY'.")
    else:
        lines.append("Answers (each with its own verdict; they exclude each other):")
    for answer in reconciled.answers:
        lead = "→" if answer.claim == reconciled.leading else " "
        lines.append(f" {lead} {shown(answer.claim)}  {paint(answer.verdict)}  ruling: "
                     f"{paint(answer.ruling) if answer.ruling else '—'}")
        lines.append(f"      affirming ({answer.affirming_origins} independent): "
                     f"{', '.join(map(shown, answer.affirming)) or '—'}")
        lines.append(f"      denying ({answer.denying_origins} independent): {', '.join(map(shown, answer.denying)) or '—'}")
    if reconciled.contradictions:
        lines.append("")
        lines.append("Contradictions:")
        lines += [f"  ✗ {shown(a)}  vs  {shown(b)}" for a, b in reconciled.contradictions]
    for line in lines:
        typer.echo(line)
