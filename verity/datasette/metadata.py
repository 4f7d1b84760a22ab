"""What Datasette shows of a verity database: titles, descriptions, facets, named queries.

`build_metadata` returns a Datasette 0.65 metadata document (descriptions *and*
table options: label columns, facets, sorting, search, canned queries), keyed by
the database's name as Datasette will call it (the file name without `.db`).
`verity browse` serves with it; `verity datasette-metadata` writes it out for
plain `datasette --metadata`.
"""

from __future__ import annotations

import copy
from html import escape
from typing import Any

from ..models import AFFIRMING, DENYING, GRADE_MEANINGS, GRADES, POSITIONS, RULINGS, VERDICTS
from ..reconcile import (
    COUNTED,
    FALSE_RULINGS,
    RETRACTED,
    SETTLED_VERDICTS,
    SUPERSEDED,
    TRUE_RULINGS,
    UNDECIDED_RULINGS,
    VALUES,
    WEIGHTS,
)
from ..similar import LIKELY_SAME

# Datasette settings verity serves with. A page must never be cached: verity may
# write between two loads, and the next load has to show it. The facets worth
# having are configured below; suggesting others costs a query per column on
# every page (any column can still be faceted from its column menu). Facets over
# a large counted_stances view can take longer than Datasette's default allows
# (docs/performance.md), so they get a second.
SETTINGS: dict[str, Any] = {"default_cache_ttl": 0, "suggest_facets": False, "facet_time_limit_ms": 1000}

# Columns whose values the plugin shows as coloured labels (verity.datasette.plugin).
LABEL_COLUMNS = [
    "position", "verdict", "ruling",
    "affirming_position", "denying_position", "position_before", "position_after",
]
# JSON arrays of names, shown as a plain list.
LIST_COLUMNS = ["tags", "affirming", "denying", "neutral"]

RECONCILIATION_VIEW = "claim_verdicts"
CLAIM_COLUMN = "claim"  # the views' and named queries' column of claim keys: each links to its claim

_grades = "; ".join(f"{g} {GRADE_MEANINGS[g]}" for g in GRADES)

def _words(values) -> str:
    """Positions, rulings or verdicts in their canonical order, joined for a sentence."""
    order = [*POSITIONS, *RULINGS, *VERDICTS]
    return "/".join(sorted(values, key=order.index))


def _signed(value: float) -> str:
    return "0" if value == 0 else f"{value:+g}"


_POSITION = (
    "What the source said about the claim: " + ", ".join(POSITIONS) + ". "
    f"{_words(AFFIRMING)} are the affirming side, {_words(DENYING)} the denying side; "
    f"{_words(set(POSITIONS) - AFFIRMING - DENYING)} is on no side."
)
_VERDICT = (
    "What the sources say, not whether it is true: contested (both sides have a source); "
    "corroborated (only affirming, from 2 or more independent origins); denied (only denying, "
    "from 2 or more independent origins); single-source (one side, one origin); "
    "unverified (no source on either side)."
)
_RULING = (
    "The fact-checker's own conclusion, independent of the verdict: " + ", ".join(RULINGS) + ". "
    "Empty when the claim has not been ruled on."
)
_SCORE = (
    "Weighted mean of the counted stances, from -1 (all deny) to +1 (all affirm): "
    + ", ".join(f"{position} {_signed(value)}" for position, value in VALUES.items())
    + ", each weighted by the source's reliability ("
    + ", ".join(f"{grade or 'ungraded'} {weight:.1f}" for grade, weight in WEIGHTS.items()) + ")."
)
_AGREEMENT = (
    "How one-sided the counted sided stances are, from 0 (evenly split) to 1 (all on one side). "
    "Empty when no source took a side."
)
_QUESTION_VERDICT = ("open: no answer affirmed; settled: exactly one answer affirmed, by two or more "
                     "independent origins, and denied by none; single-source: one answer affirmed by one origin, "
                     "denied by none; disputed: anything else.")
_QUESTION_CONTRADICTIONS = ("Pairs of sources affirming two different answers, and of a source affirming and one "
                            "denying the same answer.")
_ESTIMATE = ("The probability that the claim is true, from 'verity assess --save' (an estimate, not a "
             "ruling); empty when no counted stance takes a side.")
_CREDIBILITY = ("Admiralty information-credibility grade: 1 confirmed, 2 probably true, 3 possibly true, "
                "4 doubtful, 5 improbable, 6 cannot be judged.")
_TRUTH = ("A claim's truth is ruled when its latest ruling is true or mostly-true (true), false or mostly-false "
          "(false), or another answer of its question is ruled true (false); mixture and unproven are left out.")
_ORIGINS = (
    "independent origins: the distinct affiliations of the side's sources "
    "(sources with the same affiliation are one origin; a source without one is its own)."
)
_TAGS = "Labels for grouping claims (a JSON list; facet on it to filter by one tag)."
_COUNTED = (
    "Only each source's latest non-retracted stance on a claim counts: latest by the date it "
    "was said (or logged, when that is unknown), then by logging order."
)
_STATUS_MEANINGS = {
    COUNTED: "the source's latest non-retracted stance on the claim",
    SUPERSEDED: "a later stance of the same source counts instead",
    RETRACTED: "withdrawn or logged in error; kept, never counted",
}
_STATUS = ", ".join(f"{status} ({meaning})" for status, meaning in _STATUS_MEANINGS.items()) + "."
_RULING_DISAGREES = (
    "Claims whose ruling points the other way from the sources: ruled "
    f"{' or '.join(TRUE_RULINGS)} while the sources' score is below 0, or ruled "
    f"{' or '.join(FALSE_RULINGS)} while it is above 0 (whatever the verdict); and claims "
    f"ruled {' or '.join(UNDECIDED_RULINGS)} although the sources have "
    f"{' or '.join(SETTLED_VERDICTS)} them."
)

_UID = ("A globally unique id the record keeps through export, import and merges between desks; "
        "uids sort by when records were made.")
_DESK = "The desk (team) that made the record ($VERITY_DESK when it was made); empty when unknown."
_MERGED_INTO = ("The record this one was merged into as a duplicate: its stances count as that one's, "
                "and its name or key is one of that one's. Empty when it was not merged.")
_CREATED_AT = "When the record was made in this database (UTC)."
_CREATED_BY = "Who made it."

_DESCRIPTIONS: dict[str, dict[str, Any]] = {
    "sources": {
        "description": (
            "Who said something: a person, office, group, outlet or report. Sources with the "
            "same affiliation are not independent: they count as one origin."
        ),
        "columns": {
            "name": "The source's unique name (matched ignoring case).",
            "kind": "What sort of source: official, militant group, news outlet, analyst, NGO, anonymous...",
            "affiliation": (
                "The body the source speaks for or belongs to. Sources sharing an affiliation "
                "are one origin; a source without one is its own origin."
            ),
            "reliability": (
                "Admiralty-code grade of the source: " + _grades + ". Empty when ungraded."
            ),
            "url": "Where to find out more about the source.",
            "note": "Why the source is graded and described as it is.",
            "uid": _UID,
            "folded": "The name as verity compares names: Unicode-normalised, case-folded, spaces collapsed.",
            "merged_into": _MERGED_INTO,
            "created_at": _CREATED_AT,
            "created_by": _CREATED_BY,
            "desk": _DESK,
        },
    },
    "claims": {
        "description": (
            "One checkable statement per row. A claim's own page shows its reconciliation, "
            "its sources by side and independent origin, its contradictions and every stance "
            "logged on it, oldest first; the claims reconciliation lists every claim's verdict."
        ),
        "columns": {
            "key": "The claim's short unique name (a slug), used on the command line.",
            "text": "The statement being checked.",
            "subject": "Who or what the claim is about.",
            "tags": _TAGS,
            "note": "The fact-checker's note on the claim.",
            "ruling": _RULING,
            "ruling_explanation": "Why the fact-checker ruled as they did.",
            "ruled_at": "When the ruling was recorded (UTC).",
            "ruled_by": "Who recorded the ruling.",
            "uid": _UID,
            "question_id": "The question this claim is one answer of, if any.",
            "merged_into": _MERGED_INTO,
            "rekeyed_from": ("The key its desk gave it, when merging desks' databases gave it another to "
                             "keep keys unique; empty otherwise."),
            "created_at": _CREATED_AT,
            "created_by": _CREATED_BY,
            "desk": _DESK,
        },
    },
    "stances": {
        "description": (
            "Each record that a source took a position on a claim, with the quote, link and "
            "date. Stances are never edited or deleted: a source changing its mind is a new "
            "stance, and a stance logged in error or withdrawn is retracted with a reason and "
            "kept. " + _COUNTED
        ),
        "columns": {
            "claim_id": "The claim the stance is about.",
            "source_id": "The source who took the position.",
            "position": _POSITION,
            "quote": "The source's words, as reported.",
            "url": "Where the statement can be read.",
            "said_on": "When the source said it (ISO date or date-time), if known.",
            "via": "The outlet through which the statement reached us.",
            "note": "The fact-checker's note on the stance.",
            "logged_at": "When the stance was logged in verity (UTC).",
            "logged_by": "Who logged it.",
            "retracted_at": "When the stance was retracted (it then no longer counts); empty if it stands.",
            "retraction_reason": "Why it was retracted.",
            "retracted_by": "Who retracted it.",
            "retracted_on": "When the source withdrew the statement, if it did and that is known.",
            "uid": _UID,
            "desk": _DESK,
        },
    },
    "reconciliations": {
        "description": (
            "verity's reconciliation of each claim, rewritten in the same transaction as every "
            "verity write, so it is never stale. The claims reconciliation view shows it next "
            "to each claim's text and ruling."
        ),
        "columns": {
            "claim_id": "The claim reconciled.",
            "verdict": _VERDICT,
            "score": _SCORE,
            "agreement": _AGREEMENT,
            "affirming": "Sources whose counted stance affirms the claim (fully or partially).",
            "denying": "Sources whose counted stance denies the claim (fully or partially).",
            "neutral": "Sources whose counted stance is neutral.",
            "affirming_origins": "The affirming side's " + _ORIGINS,
            "denying_origins": "The denying side's " + _ORIGINS,
            "contradictions": "Pairs of an affirming and a denying source (affirming x denying sources).",
        },
    },
    RECONCILIATION_VIEW: {
        "title": "Claims reconciliation",
        "description": (
            "Every claim with where its sources stand: the verdict, score and agreement "
            "computed by verity from the counted stances, next to the fact-checker's ruling. "
            "Facet by verdict or ruling, sort by score or agreement, and search the claims' "
            "text and every quote logged on them. " + _COUNTED
        ),
        "columns": {
            "key": "The claim's short unique name; links to the claim and its stances.",
            "text": "The statement being checked.",
            "verdict": _VERDICT,
            "ruling": _RULING,
            "score": _SCORE,
            "agreement": _AGREEMENT,
            "affirming": "Sources on the affirming side.",
            "denying": "Sources on the denying side.",
            "neutral": "Sources whose counted stance is neutral.",
            "affirming_origins": "The affirming side's " + _ORIGINS,
            "denying_origins": "The denying side's " + _ORIGINS,
            "contradictions": "Pairs of an affirming and a denying source; see the contradictions query for their quotes.",
            "subject": "Who or what the claim is about.",
            "tags": _TAGS,
            "id": "The claim's id.",
        },
    },
    "counted_stances": {
        "title": "Counted stances",
        "description": (
            "The stances the reconciliation is made of. " + _COUNTED + " "
            "Facet by position or by the kind, affiliation and reliability of the source."
        ),
        "columns": {
            "id": "The stance's id.",
            "claim": "The claim's key.",
            "source": "The source's name.",
            "source_kind": "What sort of source it is.",
            "affiliation": "The body the source speaks for.",
            "reliability": "The source's Admiralty-code grade (A best, E worst, F cannot be judged).",
            "position": _POSITION,
            "quote": "The source's words, as reported.",
            "said_on": "When the source said it, if known.",
            "via": "The outlet through which the statement reached us.",
            "url": "Where the statement can be read.",
            "logged_at": "When the stance was logged in verity (UTC).",
            "claim_id": "The claim's id.",
            "source_id": "The source's id.",
        },
    },
    "stance_statuses": {
        "title": "Stance statuses",
        "description": (
            "verity's verdict on every stance, rewritten with the reconciliation in the same "
            "transaction as every verity write: whether it counts, and the stance of the same "
            "source it followed. " + _COUNTED
        ),
        "columns": {
            "stance_id": "The stance.",
            "status": "The stance is " + _STATUS,
            "previous_id": (
                "The same source's stance on the claim just before this one, retracted ones "
                "skipped; empty for its first, and for a retracted stance. A different "
                "position there is a reversal."
            ),
            "claim_id": "The claim the stance counts for, when it was logged on one merged into it.",
            "source_id": "The source the stance counts as, when it was logged for one merged into it.",
        },
    },
    "rulings": {
        "title": "Rulings",
        "description": (
            "Every ruling a fact-checker recorded, oldest first: a claim's ruling is its latest. "
            "None is ever overwritten or deleted."
        ),
        "columns": {
            "uid": _UID,
            "claim_id": "The claim ruled on.",
            "ruling": _RULING,
            "explanation": "What the ruling rests on.",
            "ruled_at": "When the ruling was made (as given with --on, else when it was recorded).",
            "ruled_by": "Who ruled.",
            "desk": _DESK,
        },
    },
    "aliases": {
        "title": "Aliases",
        "description": (
            "Other names a source is found by (a short name, a spelling, an old name) and old keys "
            "of claims. Names and aliases share one namespace: no two sources have one alike."
        ),
        "columns": {
            "uid": _UID,
            "source_id": "The source the alias names.",
            "claim_id": "The claim the old key names.",
            "alias": "The alias, as given.",
            "folded": "The alias as verity compares names.",
            "added_at": "When it was added (UTC).",
            "added_by": "Who added it.",
            "desk": _DESK,
        },
    },
    "claim_lookalikes": {
        "title": "Claims likely the same",
        "description": (
            "Pairs of claims that likely make the same statement (a similarity score of "
            f"{LIKELY_SAME} or more; docs/similar.md), the later claim beside the earlier: kept when "
            "a claim is added or corrected, and for an import's claims by 'verity claim similar --all'. "
            "The named query 'Claims logged twice' lists those not merged yet."
        ),
        "columns": {
            "claim_id": "The later claim.",
            "same_as_id": "The earlier claim it likely repeats.",
            "score": "How likely the two are one claim, from 0 to 1.",
        },
    },
    "similarity_checks": {
        "title": "Claims compared",
        "description": "Which claims have been compared with the others for claims logged twice, and when.",
        "columns": {
            "claim_id": "The claim compared.",
            "checked_at": "When (UTC).",
        },
    },
    "changes": {
        "title": "Changes",
        "description": (
            "Every correction of the record: a field of a source or claim edited, an alias, a "
            "merge, a ruling, a retraction — who, when, the old and the new value, and why. "
            "Facet by who made it and what it did."
        ),
        "columns": {
            "uid": _UID,
            "at": "When the change was made (UTC).",
            "by": "Who made it.",
            "desk": _DESK,
            "action": "What it did: edit, alias, merge, rule or retract.",
            "record_type": "What it changed: a source, claim, stance or question.",
            "record_id": "The id of the record it changed.",
            "record_uid": "The uid of the record it changed.",
            "field": "The field it changed (tags is one field, the whole list).",
            "old": "The value before (for a merge, the uid of the record it was merged into before).",
            "new": "The value after (for a merge, the uid of the record it was merged into).",
            "reason": "Why, as the fact-checker gave it.",
        },
    },
    "questions": {
        "title": "Questions",
        "description": "Questions whose answers are claims that exclude each other (where was Balti killed?).",
        "columns": {
            "uid": _UID,
            "key": "The question's short unique name (a slug).",
            "text": "The question.",
            "created_at": _CREATED_AT,
            "created_by": _CREATED_BY,
            "desk": _DESK,
        },
    },
    "question_reconciliations": {
        "description": "Rule 7 as the reconciler stored it, one row per question (the question verdicts view "
                       "shows it by key).",
        "columns": {
            "question_id": "The question's id.",
            "verdict": _QUESTION_VERDICT,
            "leading_id": "The id of the leading answer: the most independent affirming origins; empty on a tie.",
            "answers": "How many claims answer the question.",
            "affirmed_answers": "How many of its answers some counted stance affirms.",
            "contradictions": _QUESTION_CONTRADICTIONS,
        },
    },
    "question_verdicts": {
        "title": "Questions",
        "description": ("Each question whose answers are claims that exclude each other, with what the "
                        "sources make of them (rule 7): " + _QUESTION_VERDICT),
        "columns": {
            "question": "The question's key.",
            "text": "The question.",
            "verdict": _QUESTION_VERDICT,
            "leading": "The leading answer: the most independent affirming origins; empty on a tie or when none.",
            "answers": "How many claims answer the question.",
            "affirmed_answers": "How many of its answers some counted stance affirms.",
            "contradictions": _QUESTION_CONTRADICTIONS,
            "id": "The question's id.",
        },
    },
    "question_answers": {
        "title": "Questions with their answers side by side",
        "description": "Every answer of every question, with its own verdict, sides, ruling and saved estimate.",
        "columns": {
            "question": "The question's key.",
            "claim": "The answer's claim key.",
            "text": "The answer.",
            "verdict": _VERDICT,
            "affirming": "Sources affirming this answer.",
            "affirming_origins": "The affirming side's " + _ORIGINS,
            "denying": "Sources denying this answer.",
            "denying_origins": "The denying side's " + _ORIGINS,
            "ruling": _RULING,
            "estimate": _ESTIMATE,
            "leading": "1 for the question's leading answer, else 0.",
            "claim_id": "The claim's id.",
            "question_id": "The question's id.",
        },
    },
    "claim_truths": {
        "title": "Claims whose truth is ruled",
        "description": _TRUTH,
        "columns": {
            "claim_id": "The claim's id.",
            "claim": "The claim's key.",
            "ruling": _RULING,
            "question": "The question it answers, if any.",
            "truth": "1 true, 0 false, as the rulings settle it.",
        },
    },
    "ruled_stances": {
        "title": "Counted stances on claims whose truth is ruled",
        "description": "What track records are counted from: each counted stance on a claim whose truth is "
                       "ruled, right (on the ruling's side) or wrong. " + _TRUTH,
        "columns": {
            "stance_id": "The stance's id.",
            "claim_id": "The claim's id.",
            "claim": "The claim's key.",
            "source_id": "The id of the source it counts for.",
            "position": _POSITION,
            "truth": "1 true, 0 false, as the rulings settle it.",
            "outcome": "right: on the side the ruling took; wrong: on the other; empty when neutral.",
        },
    },
    "source_track_records": {
        "title": "Track records",
        "description": ("Each source's track record: its counted stances on claims whose truth is ruled, right "
                        "or wrong (a source merged into another counts as that one), and the reliability the "
                        "last saved assessment learned for it. " + _TRUTH),
        "columns": {
            "source": "The source's name.",
            "kind": "What kind of source it is.",
            "affiliation": "The body it speaks for or belongs to.",
            "reliability": "Its Admiralty-code grade, as the desk gave it.",
            "right": "Counted stances on the side the ruling took.",
            "wrong": "Counted stances on the other side.",
            "learned_reliability": ("How often the last saved 'verity assess --save' judged it right, from its "
                                    "record and its agreement with others (0-1); empty before any."),
            "source_id": "The source's id.",
        },
    },
    "claim_estimates": {
        "title": "Estimates (verity assess)",
        "description": ("What 'verity assess --save' estimated of each claim, beside the sources' verdict and "
                        "the desk's ruling. An estimate is a probability learned from the sources' records, "
                        "never a ruling; a ruled claim is estimated without its own ruling. Stale once a later "
                        "write could change it: run 'verity assess --save' again."),
        "columns": {
            "claim": "The claim's key.",
            "text": "The statement being checked.",
            "verdict": _VERDICT,
            "ruling": _RULING,
            "estimate": _ESTIMATE,
            "credibility": _CREDIBILITY,
            "credibility_meaning": "The credibility grade in words.",
            "question": "The question it answers, if any.",
            "method": "The algorithm that computed it.",
            "computed_at": "When it was computed (UTC).",
            "stale_since": "When a write first could change it; empty while it is current.",
            "stale": "1 once a later write could change it (run 'verity assess --save' again), else 0.",
            "claim_id": "The claim's id.",
        },
    },
    "assessment_runs": {
        "description": "When the saved estimates were computed, and since when they are stale.",
        "columns": {
            "method": "The algorithm that computed them.",
            "computed_at": "When (UTC).",
            "computed_by": "Who ran 'verity assess --save'.",
            "stale_since": "When a write first could change them; empty while they are current.",
        },
    },
    "assessments": {
        "description": "The saved estimate of each claim (the estimates view shows them by key).",
        "columns": {
            "claim_id": "The claim's id.",
            "run_id": "The assessment run that computed it.",
            "estimate": _ESTIMATE,
            "credibility": _CREDIBILITY,
        },
    },
    "assessed_sources": {
        "description": "The reliability the saved assessment learned for each source.",
        "columns": {
            "source_id": "The source's id.",
            "run_id": "The assessment run that learned it.",
            "reliability": "How often it is judged right (0-1), from its record and its agreement with others.",
        },
    },
    "contested_claims": {
        "title": "Contested claims",
        "description": "Claims on which at least one source affirms and at least one denies.",
        "columns": {
            "claim": "The claim's key.",
            "text": "The statement being checked.",
            "ruling": _RULING,
            "score": _SCORE,
            "agreement": _AGREEMENT,
            "affirming": "Sources on the affirming side.",
            "denying": "Sources on the denying side.",
            "affirming_origins": "The affirming side's " + _ORIGINS,
            "denying_origins": "The denying side's " + _ORIGINS,
            "contradictions": "Pairs of an affirming and a denying source.",
        },
    },
    "contradiction_pairs": {
        "title": "Contradictions",
        "description": (
            "One row per pair of an affirming and a denying source on the same claim, with "
            "both quotes. Only counted stances take part. " + _COUNTED
        ),
        "columns": {
            "claim": "The claim's key.",
            "affirming_source": "The source on the affirming side.",
            "affirming_position": f"Its position: {_words(AFFIRMING)}.",
            "affirming_quote": "Its words, as reported.",
            "affirming_said_on": "When it said them, if known.",
            "denying_source": "The source on the denying side.",
            "denying_position": f"Its position: {_words(DENYING)}.",
            "denying_quote": "Its words, as reported.",
            "denying_said_on": "When it said them, if known.",
            "claim_id": "The claim's id.",
            "affirming_stance_id": "The affirming stance's id.",
            "denying_stance_id": "The denying stance's id.",
        },
    },
    "source_statements": {
        "title": "Everything each source has said",
        "description": "Every stance of every source, retracted ones included, with its status.",
        "columns": {
            "source": "The source's name.",
            "claim": "The claim's key.",
            "claim_text": "The statement the stance is about.",
            "position": _POSITION,
            "quote": "The source's words, as reported.",
            "said_on": "When the source said it, if known.",
            "via": "The outlet through which the statement reached us.",
            "url": "Where the statement can be read.",
            "status": "The stance is " + _STATUS + " A retraction's reason follows it.",
            "note": "The fact-checker's note on the stance.",
            "logged_at": "When the stance was logged in verity (UTC).",
            "stance_id": "The stance's id.",
            "said": "When it was said, else when it was logged: what oldest first goes by.",
        },
    },
    "stance_reversals": {
        "title": "Reversals",
        "description": (
            "One row per change of position between two consecutive non-retracted stances of "
            "the same source on the same claim."
        ),
        "columns": {
            "source": "The source's name.",
            "claim": "The claim's key.",
            "position_before": "The position it held before.",
            "quote_before": "Its words then.",
            "said_before": "When it said them (or when they were logged, if that is unknown).",
            "position_after": "The position it took next.",
            "quote_after": "Its words then.",
            "said_after": "When it said them (or when they were logged, if that is unknown).",
            "side_change": "affirming -> denying or denying -> affirming when the source changed sides; else empty.",
            "stance_id_before": "The earlier stance's id.",
            "stance_id_after": "The later stance's id.",
        },
    },
    "single_source_claims": {
        "title": "Single-source claims",
        "description": "Claims that rest on one origin: only one side has sources, and they share one origin.",
        "columns": {
            "claim": "The claim's key.",
            "text": "The statement being checked.",
            "side": "The side the sources are on: affirming or denying.",
            "sources": "The sources on that side.",
            "neutral": "Sources whose counted stance is neutral.",
            "score": _SCORE,
            "ruling": _RULING,
        },
    },
    "ruling_disagreements": {
        "title": "Ruling and sources disagree",
        "description": _RULING_DISAGREES,
        "columns": {
            "claim": "The claim's key.",
            "text": "The statement being checked.",
            "ruling": _RULING,
            "verdict": _VERDICT,
            "score": _SCORE,
            "agreement": _AGREEMENT,
            "disagreement": "How the ruling and the sources disagree.",
            "affirming": "Sources on the affirming side.",
            "denying": "Sources on the denying side.",
        },
    },
}

_OPTIONS: dict[str, dict[str, Any]] = {
    "sources": {
        "label_column": "name",
        "facets": ["kind", "affiliation", "reliability", "desk"],
        "sort": "name",
    },
    "claims": {
        "label_column": "text",
        "facets": ["ruling", "subject", {"array": "tags"}, "desk"],
        "fts_table": "claims_fts",
        "fts_pk": "id",
    },
    "stances": {
        "facets": ["position", "source_id", "claim_id", "desk"],
        "fts_table": "stances_fts",
        "fts_pk": "id",
    },
    # What verity stores for the views and pages that show it: kept out of the way (a
    # hidden table is still one click from the database page), so that the index page
    # lists the claims reconciliation among the first.
    "reconciliations": {
        "hidden": True,
        "facets": ["verdict"],
        "sortable_columns": ["claim_id", "verdict", "score", "agreement", "contradictions"],
    },
    RECONCILIATION_VIEW: {
        "facets": ["verdict", "ruling", "subject"],
        "sortable_columns": [
            "key", "verdict", "ruling", "score", "agreement",
            "affirming_origins", "denying_origins", "contradictions",
        ],
        # Searched by verity.datasette.plugin: claim words and every quote on the claim.
        "sort_desc": "contradictions",
    },
    "counted_stances": {
        "facets": ["position", "source_kind", "affiliation", "reliability"],
        "sortable_columns": ["id", "claim", "source", "position", "said_on", "logged_at"],
        "fts_table": "stances_fts",
        "fts_pk": "id",
    },
    "stance_statuses": {"hidden": True},
    # What the "claims logged twice" query reads.
    "claim_lookalikes": {"hidden": True},
    "similarity_checks": {"hidden": True},
    # The history of corrections, faceted by who and what. Rulings, aliases and questions are
    # reached from the claims and sources they belong to (and the database page).
    "changes": {"facets": ["by", "action", "record_type", "field", "desk"], "sort_desc": "at"},
    "rulings": {"hidden": True, "facets": ["ruling", "ruled_by", "desk"], "sort_desc": "ruled_at"},
    "aliases": {"hidden": True, "label_column": "alias"},
    "questions": {"hidden": True, "label_column": "text"},
    "question_reconciliations": {"hidden": True},
    "assessment_runs": {"hidden": True},
    "assessments": {"hidden": True},
    "assessed_sources": {"hidden": True},
    "question_verdicts": {"facets": ["verdict"], "sort": "question"},
    "question_answers": {"facets": ["verdict", "ruling", "question"], "sort": "question"},
    # Track records are counted as the page is read: no facets or sorting, which would count
    # every source's record before the first row (sort or facet from a column's menu).
    "claim_estimates": {"facets": ["credibility_meaning", "verdict", "ruling", "stale"], "sort": "claim"},
    "_sqlite_migrations": {"hidden": True},
}

# The questions fact-checkers ask, as Datasette canned queries. Each reads a view
# that migration m004 generates from the rules' own constants (verity.migrations.views),
# over what the reconciler stored; a query only picks and sorts.
QUERIES: dict[str, dict[str, str]] = {
    "contested-claims": {
        "title": "Contested claims",
        "description": (
            "Claims on which at least one source affirms and at least one denies, "
            "most contradictions first."
        ),
        "sql": "select * from contested_claims order by contradictions desc, claim",
    },
    "contradictions": {
        "title": "Contradictions",
        "description": (
            "One row per pair of an affirming and a denying source on the same claim, with "
            "both quotes. Only counted stances (each source's latest, not retracted) take part."
        ),
        "sql": (
            "select claim, affirming_source, affirming_position, affirming_quote, affirming_said_on, "
            "denying_source, denying_position, denying_quote, denying_said_on\n"
            "from contradiction_pairs order by claim, affirming_source, denying_source"
        ),
    },
    "source-statements": {
        "title": "Everything one source has said",
        "description": (
            "Every stance a source has taken, oldest first, retracted ones included. Give the "
            "source's name or part of it (ignoring case). status says whether the stance "
            "counts, was superseded by a later one, or was retracted."
        ),
        "sql": (
            "select source, claim, claim_text, position, quote, said_on, via, url, status, note, logged_at, "
            "stance_id\nfrom source_statements where :source != '' and source like '%' || :source || '%'\n"
            "order by source, said, stance_id"
        ),
    },
    "reversals": {
        "title": "Reversals",
        "description": (
            "Sources whose position on a claim changed: one row per change between two "
            "consecutive non-retracted stances of the same source on the same claim, in the "
            "order they were said. side_change says when the source crossed from one side "
            "to the other (affirming to denying or back)."
        ),
        "sql": (
            "select source, claim, position_before, quote_before, said_before, position_after, quote_after, "
            "said_after, side_change\nfrom stance_reversals order by source, claim, said_after, stance_id_after"
        ),
    },
    "single-source-claims": {
        "title": "Single-source claims",
        "description": (
            "Claims that rest on one origin: only one side has sources, and they all share "
            "one affiliation (or it is one unaffiliated source)."
        ),
        "sql": "select * from single_source_claims order by claim",
    },
    "ruling-disagrees": {
        "title": "Ruling and sources disagree",
        "description": _RULING_DISAGREES,
        "sql": "select * from ruling_disagreements order by claim",
    },
    "claims-logged-twice": {
        "title": "Claims logged twice",
        "description": (
            "Pairs of claims that likely make the same statement in other words (a similarity score "
            f"of {LIKELY_SAME} or more), the later claim beside the earlier, neither merged yet: "
            "merge the later into the earlier with 'verity claim merge'. Claims are compared when "
            "added or corrected; an import's claims once 'verity claim similar --all' has run."
        ),
        "sql": (
            "select l.score, a.key as claim, a.text, b.key as same_as, b.text as same_as_text, "
            "a.created_at, a.created_by\nfrom claim_lookalikes l join claims a on a.id = l.claim_id "
            "join claims b on b.id = l.same_as_id\nwhere a.merged_into is null and b.merged_into is null\n"
            "order by l.score desc, a.key, b.key"
        ),
    },
}

TITLE = "verity: where the sources agree and where they contradict each other"

DATABASE_DESCRIPTION = (
    "Claims, the sources that speak to them and each source's stance, reconciled by verity. "
    "Start with the claims reconciliation (claim_verdicts), or a named query below: "
    "contested claims, contradictions, everything one source has said, reversals, "
    "single-source claims, claims where the ruling and the sources disagree, and claims logged twice."
)

# The worked example (the Balti case) is credited to the articles it was logged from.
WORKED_EXAMPLE_CLAIM = "balti-was-killed"
WORKED_EXAMPLE_CREDIT = {
    "source": (
        "Dawn (Tahir Khan, 13 January 2022) and an Associated Press analysis published by Dawn "
        "(6 January 2022), republished by siawi.org on 18 January 2022"
    ),
    "source_url": "https://www.siawi.org/",
    "license": "Quotations © Dawn and The Associated Press, quoted for fact-checking; verity's example data: Apache-2.0",
}


WORKED_EXAMPLE_DESCRIPTION = (
    "verity's worked example: the January 2022 killing of TTP leader Mufti Khalid Balti alias "
    "Mohammad Khurasani, logged from Tahir Khan's Dawn report \"TTP confirms senior leader "
    "Khurasani's death, calls it 'huge loss'\" (13 January 2022) and the Associated Press "
    "analysis \"A resurging threat: Will Afghan Taliban take any real steps to stop TTP "
    "terrorists for Pakistan?\" (published by Dawn, 6 January 2022), both as republished by "
    "siawi.org on 18 January 2022."
)


def is_worked_example(claim_keys: set[str]) -> bool:
    return WORKED_EXAMPLE_CLAIM in claim_keys


def _description_html(database: str, worked_example: bool) -> str:
    from urllib.parse import quote

    # Datasette's own URL for a database name (tilde-encoding) matches quote() for
    # ordinary file names; base_url is not known here, so links assume the root.
    view = f"/{quote(database, safe='')}/{RECONCILIATION_VIEW}"
    parts = []
    if worked_example:
        parts.append(f"<p>{escape(WORKED_EXAMPLE_DESCRIPTION)}</p>")
    parts.append(
        "<p>Claims, the sources that speak to them and each source's stance, reconciled by "
        f'verity. Start with the <a href="{escape(view)}">claims reconciliation</a>: every claim\'s '
        "verdict, score and agreement beside the fact-checker's ruling. The named queries below "
        "answer the usual questions: contested claims, contradictions (with both quotes), "
        "everything one source has said, reversals, single-source claims, claims where the "
        "ruling and the sources disagree, and claims logged twice.</p>"
    )
    return "".join(parts)


def build_metadata(database: str, *, worked_example: bool = False) -> dict[str, Any]:
    """Datasette metadata for the verity database Datasette names `database`."""
    tables: dict[str, dict[str, Any]] = {}
    for name in list(_DESCRIPTIONS) + [t for t in _OPTIONS if t not in _DESCRIPTIONS]:
        tables[name] = {**_DESCRIPTIONS.get(name, {}), **_OPTIONS.get(name, {})}
    db: dict[str, Any] = {
        "title": "Claims, sources and stances",
        "description": DATABASE_DESCRIPTION,
        "tables": tables,
        # A named query's page opens with its answer; its SQL is one click away ("Show SQL").
        "queries": {name: {**query, "hide_sql": True} for name, query in QUERIES.items()},
        "plugins": {"verity": {"label_columns": LABEL_COLUMNS, "list_columns": LIST_COLUMNS}},
    }
    db["description_html"] = _description_html(database, worked_example)
    if worked_example:
        db["title"] = "The Balti case: claims, sources and stances (verity's worked example)"
        db["description"] = WORKED_EXAMPLE_DESCRIPTION + " " + DATABASE_DESCRIPTION
        # Table and query pages show only their own credit, so each carries it.
        for entry in [db, *tables.values(), *db["queries"].values()]:
            entry.update(WORKED_EXAMPLE_CREDIT)
    return {"title": TITLE, "databases": {database: db}}


# What Datasette 1.0 takes as configuration rather than metadata: per database, its named
# queries and plugin settings; per table, these options (Datasette 0.65 takes all of it
# in the metadata, as build_metadata gives it).
CONFIG_KEYS = ("queries", "plugins")
TABLE_CONFIG_KEYS = ("hidden", "sort", "sort_desc", "size", "sortable_columns", "label_column", "facets",
                     "fts_table", "fts_pk", "searchmode")


CREDIT_KEYS = ("source", "source_url", "license", "license_url")


def _credit_in_description(query: dict[str, Any]) -> None:
    """Datasette 1.0 shows a named query's description but no source or licence: the
    worked example's credit goes into the description instead."""
    credit = {key: query.pop(key) for key in CREDIT_KEYS if key in query}
    if not credit:
        return
    parts = []
    if "source" in credit:
        source = escape(credit["source"])
        if "source_url" in credit:
            source = f'<a href="{escape(credit["source_url"])}">{source}</a>'
        parts.append(f"Data source: {source}")
    if "license" in credit:
        parts.append(f"Data license: {escape(credit['license'])}")
    query["description_html"] = (f"<p>{escape(query.get('description', ''))}</p>"
                                 f"<p>{' &middot; '.join(parts)}</p>")


def datasette_major() -> int:
    """The major version of the Datasette installed: 0 (0.65) or 1 (the 1.0 alphas)."""
    from importlib.metadata import version

    return int(version("datasette").split(".")[0])


def metadata_and_config(document: dict[str, Any], major: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """build_metadata's document as Datasette of this major version takes it: (metadata,
    configuration). For 0.65 the configuration is empty; for 1.0 it holds the named
    queries, the table options and verity's plugin settings, and the metadata the rest."""
    if major < 1:
        return document, {}
    metadata = copy.deepcopy(document)
    config: dict[str, Any] = {"databases": {}}
    for name, database in metadata.get("databases", {}).items():
        target = config["databases"].setdefault(name, {})
        for key in CONFIG_KEYS:
            if key in database:
                target[key] = database.pop(key)
        for query in target.get("queries", {}).values():
            _credit_in_description(query)
        for table, entry in database.get("tables", {}).items():
            options = {key: entry.pop(key) for key in TABLE_CONFIG_KEYS if key in entry}
            if options:
                target.setdefault("tables", {})[table] = options
    return metadata, config


VOCABULARY = frozenset(POSITIONS) | frozenset(VERDICTS) | frozenset(RULINGS)
