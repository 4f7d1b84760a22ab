"""verity claim ...: the statements being checked."""

import json
from pathlib import Path
from typing import Annotated, List, Optional

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
    write_json,
)
from .progress import progress_bar

# Reading a claim's meaning is the model's costly step: from this many claims, `--all` shows a bar.
READING_SHOWN_FROM = 200

app = group("Add, list, show, rule on, correct and merge claims.")

VerdictOption = Annotated[
    Optional[List[str]],
    typer.Option("--verdict", metavar="VERDICT",
                 help="Only claims with this verdict (contested, single-source, corroborated, denied, unverified); "
                      "repeat for any of several."),
]
ClaimArgument = Annotated[str, typer.Argument(metavar="CLAIM", help="The claim's key or id.")]


@command(app, "add")
def add(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The checkable statement.")],
    key: Annotated[Optional[str], typer.Option(metavar="KEY", help="A slug; derived from the text when not given.")] = None,
    subject: Annotated[Optional[str], typer.Option(metavar="SUBJECT", help="Who or what the claim is about.")] = None,
    tag: Annotated[Optional[List[str]], typer.Option("--tag", metavar="TAG", help="A tag; repeat for more.")] = None,
    note: Annotated[Optional[str], typer.Option(metavar="TEXT", help="Context for the record.")] = None,
    question: Annotated[Optional[str], typer.Option(
        metavar="QUESTION", help="The question it is one answer of (its key; see 'verity question add').")] = None,
    json_: JsonRecordFlag = False,
) -> None:
    """Add a claim; prints its key.

    With --question, the claim is one of the question's answers, which exclude each other
    (see 'verity question show').

    Example: verity claim add "Mufti Khalid Balti was killed" --key balti-was-killed --subject "Mufti Khalid Balti" --tag ttp
    """
    from ..models import Claim
    from .records import claim_record_json

    fields = dict(text=text, subject=subject, tags=tag or (), note=note, question=question)
    claim = Claim(key=key, **fields) if key is not None else Claim(**fields)
    store = open_store(ctx)
    added = store.add_claim(claim)
    record = claim_record_json(store, store.claim_record(added.id)) if json_ else None
    print_created(added.key, f"Added claim {quoted(added.key)} (id {added.id}).", record, json_)
    for warning in store.warnings:
        warn(warning)


@command(app, "list")
def list_claims(
    ctx: typer.Context,
    verdict: VerdictOption = None,
    tag: Annotated[Optional[List[str]], typer.Option(
        "--tag", metavar="TAG", help="Only claims with this tag; repeat for claims with all of them.")] = None,
    subject: Annotated[Optional[str], typer.Option(
        metavar="SUBJECT", help="Only claims about this subject (matched as names are).")] = None,
    ruling: Annotated[Optional[List[str]], typer.Option(
        "--ruling", metavar="RULING",
        help="Only claims you ruled this way (true, mostly-true, mixture, mostly-false, false, unproven, "
             "or none for those not ruled yet); repeat for any of several.")] = None,
    source: Annotated[Optional[str], typer.Option(
        metavar="SOURCE", help="Only claims this source (a name or id) has a stance on.")] = None,
    question: Annotated[Optional[str], typer.Option(
        metavar="QUESTION", help="Only the answers of this question (its key or id).")] = None,
    json_: JsonFlag = False,
) -> None:
    """List claims with the sources' verdict and your ruling.

    Every filter given must hold: 'claim list --tag ttp --verdict contested' lists
    the contested claims tagged ttp.

    Example: verity claim list --verdict contested --source "TTP spokesman"
    """
    from ..reconcile import figure
    from ..store.listings import ClaimFilter
    from .records import claim_summary_json

    which = ClaimFilter(verdicts=tuple(verdict or ()), tags=tuple(tag or ()), subject=subject,
                        rulings=tuple(ruling or ()), source=source, question=question)
    store = open_store(ctx)
    rows = list(store.claims(which=which))
    for sentence in store.unmatched_filters(which):
        warn(sentence)
    if json_:
        print_json([claim_summary_json(c, r) for c, r in rows])
        return
    if not rows:
        filtered = which != ClaimFilter()
        say("No claims match." if filtered else "No claims yet: add one with 'verity claim add TEXT'.")
        return
    print_table(
        ["id", "key", "verdict", "score", "ruling", "text"],
        [[c.id, c.key, r.verdict, figure(r.score), c.ruling or "", c.text] for c, r in rows],
        wide="text",
    )


@command(app, "show")
def show(ctx: typer.Context, claim: ClaimArgument, json_: JsonFlag = False) -> None:
    """Show a claim: its fields, verdict and rulings, and every stance ever logged on it.

    Each stance shows its status (counted, superseded by a later stance of the same
    source, or retracted), its quote, who logged it and when, and its note. Then the
    claim's rulings (who ruled what, when) and its corrections, newest first.

    Example: verity claim show balti-was-killed
    """
    from .records import claim_record_json
    from .show import print_claim

    store = open_store(ctx)
    record = store.claim_record(claim)
    data = claim_record_json(store, record)
    if json_:
        print_json(data)
        return
    print_claim(record, data)


@command(app, "rule")
def rule(
    ctx: typer.Context,
    claim: ClaimArgument,
    ruling: Annotated[str, typer.Argument(
        metavar="RULING", help="true, mostly-true, mixture, mostly-false, false or unproven.")],
    explanation: Annotated[Optional[str], typer.Option(metavar="TEXT", help="Why: what the ruling rests on.")] = None,
    on: Annotated[Optional[str], typer.Option(
        "--on", metavar="DATE", help="When you ruled (YYYY-MM-DD or an ISO date-time); now when not given.")] = None,
    json_: JsonRecordFlag = False,
) -> None:
    """Record your ruling on a claim (shown beside the sources' verdict).

    Each ruling is added to the claim's ruling history, with who ruled and when; the
    claim's ruling is its latest, and none is overwritten.

    Example: verity claim rule balti-was-killed mostly-true --explanation "Confirmed by Pakistan and the TTP; Kabul denies"
    """
    from ..models import parse_ruling
    from .records import claim_record_json

    ruling = parse_ruling(ruling)  # checked before the database is opened
    store = open_store(ctx)
    ruled = store.rule_claim(claim, ruling, explanation, on=on)
    for warning in store.warnings:
        warn(warning)
    record = claim_record_json(store, store.claim_record(ruled.id)) if json_ else None
    print_changed(f"Ruled {ruled.key}: {ruled.ruling}.", record, json_)


@command(app, "edit")
def edit(
    ctx: typer.Context,
    claim: ClaimArgument,
    reason: Annotated[str, typer.Option(metavar="TEXT", help="Why (kept with the change).")],
    key: Annotated[Optional[str], typer.Option(metavar="KEY", help="A new key; the old one stays as an alias.")] = None,
    text: Annotated[Optional[str], typer.Option(metavar="TEXT", help="The statement, corrected.")] = None,
    subject: Annotated[Optional[str], typer.Option(metavar="TEXT", help="Who or what it is about ('' for none).")] = None,
    tag: Annotated[Optional[List[str]], typer.Option("--tag", metavar="TAG", help="Add a tag; repeat for more.")] = None,
    untag: Annotated[Optional[List[str]], typer.Option(
        "--untag", metavar="TAG", help="Remove a tag; repeat for more.")] = None,
    note: Annotated[Optional[str], typer.Option(metavar="TEXT", help="Context for the record ('' for none).")] = None,
    question: Annotated[Optional[str], typer.Option(
        metavar="QUESTION", help="The question it answers ('' for none).")] = None,
    json_: JsonRecordFlag = False,
) -> None:
    """Correct a claim: any field, its key included; one change is recorded per field.

    A new key keeps the old one as an alias, so 'claim show OLDKEY', links and
    ClaimReview URLs still find the claim. An empty value ('') clears a field.

    Example: verity claim edit balti-killed-in-nangarhar --subject "Mufti Khalid Balti" --reason "subject was missing"
    """
    from .records import claim_record_json

    fields = {name: (value or None) for name, value in
              (("key", key), ("text", text), ("subject", subject), ("note", note), ("question", question))
              if value is not None}
    store = open_store(ctx)
    edited = store.edit_claim(claim, reason, add_tags=tag or (), remove_tags=untag or (), **fields)
    for warning in store.warnings:
        warn(warning)
    record = claim_record_json(store, store.claim_record(edited.id)) if json_ else None
    print_changed(f"Corrected claim {edited.key}.", record, json_)


@command(app, "merge")
def merge(
    ctx: typer.Context,
    duplicate: Annotated[str, typer.Argument(metavar="DUPLICATE", help="The claim that repeats another (key or id).")],
    into: Annotated[str, typer.Option("--into", metavar="CLAIM", help="The claim it repeats, which is kept.")],
    reason: Annotated[str, typer.Option(metavar="TEXT", help="Why they are one claim (kept with the change).")],
    json_: JsonRecordFlag = False,
) -> None:
    """Merge a claim logged twice into the one to keep.

    The duplicate's stances stay as logged and count as the kept claim's (one latest
    stance per source); its key becomes an alias of the kept claim. Nothing is deleted.

    Example: verity claim merge the-crash-was-caused-by-an-explosion-on --into explosion-on-board --reason "the same claim"
    """
    from .records import claim_record_json

    store = open_store(ctx)
    dup, kept = store.merge_claims(duplicate, into, reason)
    for warning in store.warnings:
        warn(warning)
    record = claim_record_json(store, store.claim_record(kept.id)) if json_ else None
    print_changed(f"Merged claim {dup.key} into {kept.key}: its stances now count for {kept.key}.", record, json_)


@command(app, "similar")
def similar_claims(
    ctx: typer.Context,
    text: Annotated[Optional[str], typer.Argument(
        metavar="TEXT|CLAIM", help="A text to compare (a tweet, a quote, a draft claim), or a claim's key or id: "
                                   "that claim's look-alikes among the others.")] = None,
    input_: Annotated[Optional[Path], typer.Option(
        "--input", metavar="FILE", help="Queries from a file: one per line, or JSON lines with \"text\" and an "
                                        "optional \"id\".")] = None,
    limit: Annotated[int, typer.Option(metavar="N", help="How many matches per query (default 5).")] = 5,
    all_: Annotated[bool, typer.Option(
        "--all", help="Every pair of claims likely the same: compares the claims not compared yet (an import's), "
                      "reads the meaning of those not read yet (forgetting readings no claim has any more), and lists "
                      "the pairs.")] = False,
    words_only: Annotated[bool, typer.Option(
        "--words-only", help="Rank by shared words alone, without the model of meaning: quicker, and how "
                             "`claim add` and --all compare.")] = False,
    json_: JsonFlag = False,
) -> None:
    """Has it been checked before? Rank the claims already logged by how likely they make the same statement.

    Reads each claim's text, subject and note, and ranks the best by words again by what
    they mean (a multilingual model of meaning that verity installs); a score of 0.85 or more means likely the
    same claim, 0.3 or more related (docs/similar.md has the figures behind them).

    Example: verity claim similar "Video shows the explosion that brought the plane down"
    """
    from ..errors import InvalidValue
    from ..similar import DEFAULT_LIMIT, read_queries

    if limit < 1:
        raise InvalidValue(f"--limit {limit} shows nothing; give 1 or more (default {DEFAULT_LIMIT})")
    given = sum(x for x in (text is not None, input_ is not None, all_))
    if given != 1:
        raise InvalidValue("give one of: a TEXT or CLAIM to compare, --input FILE, or --all" if given
                           else "nothing to compare; give a TEXT or CLAIM, --input FILE, or --all")
    if text is not None and not text.strip():
        raise InvalidValue("the text to compare is empty; give a claim's text, key or id")
    queries = read_queries(input_) if input_ is not None else None
    store = open_store(ctx)
    meaning = None
    if not words_only:
        from ..meaning import load_or_why

        model, why = load_or_why()
        if model is None:
            warn(f"{why}; ranking by shared words alone, as --words-only does")
        else:
            meaning = store.kept_meaning(model)
    if all_:
        _print_pairs(store, json_, meaning)
        return
    if queries is None:
        claim = store.claim_referred_to(text.strip())
        note = None if claim else store.not_a_claim(text)
        if note:
            warn(note)
        matches = store.lookalikes(claim, limit, meaning) if claim else store.similar_claims(text, limit, meaning=meaning)
        if json_:
            print_json([{"claim": m.key, "text": m.text, "score": m.score} for m in matches])
        elif matches:
            print_table(["score", "claim", "text"], [[f"{m.score:.2f}", m.key, m.text] for m in matches], wide="text")
        else:
            say("No claim logged shares a word with it." if store.claim_count() else "No claims logged yet.")
        return
    if json_:
        for query in queries:
            matches = store.similar_claims(query.text, limit, meaning=meaning)
            write_json(json.dumps({"query": query.id, "matches": [
                {"claim": m.key, "score": m.score} for m in matches]}, ensure_ascii=False) + "\n")
        return
    rows = []
    for query in queries:
        matches = store.similar_claims(query.text, limit, meaning=meaning)
        rows += [[query.id, f"{m.score:.2f}", m.key, m.text] for m in matches] or [[query.id, "", "", ""]]
    print_table(["query", "score", "claim", "text"], rows, wide="text")


def _print_pairs(store, as_json: bool, meaning) -> None:
    """`claim similar --all`: compare the claims not compared yet, read the meaning of those not
    read yet (unless --words-only), then list every pair likely the same."""
    todo = store.unchecked_claims()
    if todo:
        say(f"Comparing {todo} claim{'' if todo == 1 else 's'} not compared yet with the claims logged before them…")
        for _done in store.check_unchecked_claims():
            pass
    # Every claim's text as the model reads it: what is left to read, and what may be forgotten.
    filed = store.claim_meanings() if meaning else {}
    unread = store.unread_meanings(meaning, filed) if meaning else []
    if unread:
        say(f"Reading the meaning of {len(unread)} claim text{'' if len(unread) == 1 else 's'} not read yet "
            "(kept, so that look-ups need not)…")
        with progress_bar("Reading claims", READING_SHOWN_FROM) as tick:
            tick.start(len(unread))
            for done in store.read_all_meanings(meaning, unread):
                tick(done)
        if meaning.failure:
            warn(f"could not keep what was read ({meaning.failure}); look-ups will read each claim as they "
                 "meet it. Run --all again when the database can be written")
    if meaning is not None and meaning.failure is None:
        forgotten = store.forget_unused_meanings(meaning, filed)
        if forgotten:
            say(f"Forgot {forgotten} kept reading{'' if forgotten == 1 else 's'} of texts no claim has any more "
                "(corrected, merged, or read by another model).")
        elif meaning.failure:
            warn(f"could not forget the readings of texts no claim has any more ({meaning.failure}); "
                 "they take room but change nothing")
    pairs = store.lookalike_pairs()
    if as_json:
        print_json([{"claim": later.key, "same_as": earlier.key, "score": score} for later, earlier, score in pairs])
        return
    if not pairs:
        say("No two claims are likely the same.")
        return
    print_table(["score", "claim", "same_as", "text"],
                [[f"{score:.2f}", later.key, earlier.key, later.text] for later, earlier, score in pairs], wide="text")
