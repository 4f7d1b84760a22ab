"""The contradiction report as markdown: for an editor to read, or to publish as is.

Written claim by claim, so the first lines appear before the database is read.
All database text goes through `md` (see text.py), so nothing in it becomes
markup, HTML or a link the report did not make.
"""

from __future__ import annotations

from typing import Iterator

from ..claimview import MARKS, ClaimView, Side, StanceView
from ..names import counted
from ..reconcile import figure as number
from .text import SIDE_TITLES, VERDICT_TITLES, estimates_note, link_label, md, md_line, safe_url


def render(report) -> Iterator[str]:
    """The report as markdown, produced as the claims are read."""
    yield from summary(report.summary)
    current = None
    for view in report.claims():
        verdict = view.reconciliation.verdict
        if verdict != current:
            current = verdict
            count = dict(report.summary.by_verdict).get(verdict, 0)
            yield f"## {VERDICT_TITLES[verdict]} ({count})\n\n"
        yield claim(view)
    first = True
    for question in report.questions():
        if first:
            yield ("## Questions\n\nClaims that answer one question exclude each other; each question's answers "
                   "side by side, with the sources' verdict on the question (rule 7).\n\n")
            first = False
        yield question_block(question)


def summary(s) -> Iterator[str]:
    lines = ["# Contradiction report", ""]
    scope = counted(s.claims, "claim")
    if s.filtered:
        scope += f" of {s.claims_in_database}, those with verdict {' or '.join(s.verdicts)}"
    lines += [
        f"{scope}; {counted(s.sources, 'source')} with a stance that counts.",
        "",
        "A **verdict** says how far the sources agree, not what is true; "
        "a **ruling** is the fact-checker's own conclusion. "
        "Marks: " + ", ".join(f"{mark} {position}" for position, mark in MARKS.items()) + ".",
        "",
        "## Summary",
        "",
        "### Claims by verdict",
        "",
        "| verdict | claims |",
        "| --- | ---: |",
    ]
    lines += [f"| {verdict} | {count} |" for verdict, count in s.by_verdict]
    lines += [f"| **total** | **{s.claims}** |", "", "### Most contested claims", ""]
    if s.most_contested:
        lines += ["| claim | contradictions | agreement |", "| --- | ---: | ---: |"]
        lines += [
            f"| [{md(c.claim)}](#{c.claim}) {md(c.text)} | {c.contradictions} | {number(c.agreement)} |"
            for c in s.most_contested
        ]
    else:
        lines.append("No claim in this report has sources on both sides.")
    lines += ["", "### Sources most often on opposite sides", ""]
    if s.most_opposed:
        lines += ["| source | source | claims on which they take opposite sides |", "| --- | --- | ---: |"]
        lines += [f"| {md(p.one)} | {md(p.other)} | {p.claims} |" for p in s.most_opposed]
    else:
        lines.append("No two sources take opposite sides in this report.")
    lines += ["", "### Track records", ""]
    if s.top_track_records:
        lines += ["Counted stances on claims whose truth is ruled: right when on the ruling's side. The learned "
                  "reliability is the last saved `verity assess --save`'s." + (
                      f" The {len(s.top_track_records)} sources with the most, of {s.track_records}."
                      if s.track_records > len(s.top_track_records) else ""), "",
                  "| source | right | wrong | learned reliability |", "| --- | ---: | ---: | ---: |"]
        lines += [f"| {md(name)} | {right} | {wrong} | {'—' if learned is None else f'{learned:.3f}'} |"
                  for name, right, wrong, learned in s.top_track_records]
    else:
        lines.append("No source has a counted stance on a claim whose truth is ruled yet.")
    lines += ["", estimates_note(s.estimates_saved), ""]
    yield "\n".join(lines) + "\n"


def question_block(q) -> str:
    lines = [f"### {md(q.question)}", "", f"> {md_line(q.text)}", "",
             f"- **Verdict:** {q.verdict}; leading answer: {md(q.leading) if q.leading else 'none'}", "",
             "| answer | verdict | affirming (independent origins) | denying | ruling | estimate |",
             "| --- | --- | --- | --- | --- | ---: |"]
    for a in q.answers:
        name = f"[{md(a.claim)}](#{a.claim})" + (" (leading)" if a.claim == q.leading else "")
        lines.append(f"| {name} {md(a.text)} | {a.verdict} | {', '.join(map(md, a.affirming)) or '—'} "
                     f"({a.affirming_origins}) | {', '.join(map(md, a.denying)) or '—'} | {a.ruling or '—'} "
                     f"| {'—' if a.estimate is None else f'{a.estimate:.3f}'} |")
    return "\n".join(lines + ["", "---", ""]) + "\n"


def claim(view: ClaimView) -> str:
    c, r = view.claim, view.reconciliation
    lines = [f"### {c.key}", "", f"> {md_line(c.text)}", ""]
    lines.append(f"- **Verdict:** {r.verdict} — score {number(r.score)}, agreement {number(r.agreement)}")
    if c.ruling:
        ruling = f"- **Ruling:** {c.ruling}"
        if c.ruling_explanation:
            ruling += f" — {md(c.ruling_explanation)}"
        lines.append(ruling)
    else:
        lines.append("- **Ruling:** none yet")
    if view.estimate is not None:
        lines.append(f"- **Estimate** (verity assess; a probability, not a ruling): {md(view.estimate.label())}")
    if c.question:
        lines.append(f"- answers the question {md(c.question)}")
    if c.subject or c.tags:
        about = []
        if c.subject:
            about.append(f"subject: {md(c.subject)}")
        if c.tags:
            about.append("tags: " + ", ".join(md(t) for t in c.tags))
        lines.append("- " + "; ".join(about))
    lines.append("")
    for side in view.sides:
        lines += side_lines(side)
    lines += contradiction_lines(view)
    lines += history_lines(view)
    lines += ["---", ""]
    return "\n".join(lines) + "\n"


def side_lines(side: Side) -> list[str]:
    title = f"**{SIDE_TITLES[side.name]}**"
    if not side.sources:
        # Saying nobody denies (or affirms) is information; an empty neutral side is not.
        return [] if side.name == "neutral" else [f"{title}: none.", ""]
    if side.name == "neutral":
        heading = f"{title} — {counted(side.sources, 'source')}, on neither side"
    else:
        heading = (f"{title} — {counted(side.sources, 'source')}, "
                   f"{counted(side.origins, 'independent origin')}")
    lines = [heading, ""]
    for group in side.groups:
        if group.affiliated:
            lines.append(f"- *{md(group.label)}*")
            lines += ["  " + stance_item(view) for view in group.stances]
        else:
            lines.append(stance_item(group.stances[0]) + " (no affiliation: its own origin)")
    lines.append("")
    return lines


def stance_item(view: StanceView) -> str:
    s, source = view.stance, view.source
    name = f"**{md(source.name)}**"
    if source.reliability:
        name += f" (reliability {source.reliability})"
    parts = [f"- {name} {view.mark} {s.position}", md(view.date)]
    if s.via:
        parts.append(f"via {md(s.via)}")
    if s.desk:
        parts.append(f"desk {md(s.desk)}")
    text = ", ".join(parts)
    if s.quote:
        text += f": “{md(s.quote)}”"
    link = _link(s.url)
    if link:
        text += f" {link}"
    if s.note:
        text += f" — *note:* {md(s.note)}"
    return text


def _link(url) -> str:
    if not url:
        return ""
    safe = safe_url(url)
    if safe is None:
        return f"(link not shown as a link: {md(url)})"
    return f"[{md(link_label(url))}]({safe})"


def contradiction_lines(view: ClaimView) -> list[str]:
    pairs = view.reconciliation.contradictions
    if not pairs:
        return []
    marks = {name: MARKS[position] for name, position in view.positions.items()}
    lines = [f"**Contradictions** ({len(pairs)}), affirming source first:", ""]
    lines += [f"- {marks.get(a, '')} {md(a)} vs {marks.get(d, '')} {md(d)}" for a, d in pairs]
    return lines + [""]


def history_lines(view: ClaimView) -> list[str]:
    if not view.history:
        return ["**History:** no stance logged yet.", ""]
    lines = ["**History**, every stance logged, oldest first:", "",
             "| date | source | position | status | logged |", "| --- | --- | --- | --- | --- |"]
    for v in view.history:
        status = v.status
        if v.stance.retracted:
            status = f"retracted {md(v.stance.retracted.at[:10])}"
        lines.append(f"| {md(v.date)} | {md(v.source.name)} | {v.mark} {v.stance.position} | {status} "
                     f"| {md(v.logged)} |")
    lines.append("")
    if not view.reversals and not view.retractions:
        return lines + ["No reversals, no retractions.", ""]
    if view.reversals:
        lines += ["**Reversals**, sources whose position changed:", ""]
        lines += [
            f"- {md(rev.source)}: {rev.before.mark} {rev.before.stance.position} ({md(rev.before.date)}) → "
            f"{rev.after.mark} {rev.after.stance.position} ({md(rev.after.date)})"
            for rev in view.reversals
        ]
        lines.append("")
    else:
        lines += ["No reversals.", ""]
    if view.retractions:
        lines += ["**Retractions**, kept on record but not counted:", ""]
        lines += [
            f"- stance {v.stance.id}, {md(v.source.name)}, {v.mark} {v.stance.position}, {md(v.date)}; "
            f"retracted {md(v.stance.retracted.at[:10])}: {md(v.stance.retracted.reason)}"
            for v in view.retractions
        ]
        lines.append("")
    else:
        lines += ["No retractions.", ""]
    return lines
