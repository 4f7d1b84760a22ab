"""What Datasette says of each table, view and column of a verity database: the words
of its descriptions, built from the rules' own constants so that they cannot drift from
what the reconciler does. `verity.datasette.metadata` puts them into the metadata
document beside the table options and named queries.
"""

from __future__ import annotations

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

RECONCILIATION_VIEW = "claim_verdicts"  # every claim's reconciliation beside its ruling (migration m004)

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
RULING_DISAGREES = (
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

DESCRIPTIONS: dict[str, dict[str, Any]] = {
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
            "The named query 'Claims logged twice' lists those not merged yet, leaving out two answers of "
            "one question (they read alike by design)."
        ),
        "columns": {
            "claim_id": "The later claim.",
            "same_as_id": "The earlier claim it likely repeats.",
            "score": "How likely the two are one claim, from 0 to 1.",
        },
    },
    "similarity_checks": {
        "title": "Claims compared",
        "description": ("Which claims have been compared with the claims logged before them, for claims "
                        "logged twice, and when."),
        "columns": {
            "claim_id": "The claim compared.",
            "checked_at": "When (UTC).",
        },
    },
    "meaning_vectors": {
        "title": "Meanings read",
        "description": ("What 'verity claim similar' keeps of the claims its model of meaning has read, so that "
                        "it reads each text once: a cache, not part of the record (docs/similar.md)."),
        "columns": {
            "digest": "The model and the exact text read, hashed.",
            "vector": "What the model read: 384 numbers (32-bit floats).",
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
            "field": ("The field it changed (tags is one field, the whole list); 'rulings' for a ruling dated "
                      "before the claim's current one, added to its history without changing its ruling."),
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
            "stale": "1 once a later write could change the saved estimate (run 'verity assess --save' again), "
                     "else 0; 0 too where none is saved.",
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
        "description": RULING_DISAGREES,
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
    "claims_logged_twice": {
        "title": "Claims logged twice",
        "description": (
            f"Pairs of claims that likely make the same statement in other words (a similarity score of "
            f"{LIKELY_SAME} or more; docs/similar.md), the later claim beside the earlier, neither merged "
            "yet, and never two answers of one question: merge the later into the earlier with "
            "'verity claim merge'."
        ),
        "columns": {
            "score": "How alike the two claims read (0-1).",
            "claim": "The later claim's key.",
            "text": "The later claim's statement.",
            "same_as": "The earlier claim's key.",
            "same_as_text": "The earlier claim's statement.",
            "created_at": "When the later claim was logged.",
            "created_by": "Who logged the later claim.",
            "claim_id": "The later claim's id.",
            "same_as_id": "The earlier claim's id.",
        },
    },
}
