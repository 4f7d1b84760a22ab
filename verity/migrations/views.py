"""The views, generated from the Python constants that state the rules (docs/rules.md).

Migrations call create_views / create_trust_views when what the views are generated from changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import AFFIRMING, CONTESTED, DENYING, POSITIONS, SINGLE_SOURCE
from ..reconcile import (
    COUNTED,
    FALSE_RULINGS,
    LEANS_AFFIRMING,
    LEANS_DENYING,
    RETRACTED,
    SETTLED_VERDICTS,
    TRUE_RULINGS,
    UNDECIDED_RULINGS,
)
from ..trust import CREDIBILITY, RIGHT, WRONG

if TYPE_CHECKING:
    import sqlite_utils

def in_list(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# -- the views, generated from the Python constants that state the rules -----------
# A migration that changes what they are generated from calls create_views again.
# They hold no ORDER BY: SQLite sorts a view that sorts whole before it counts or
# groups its rows (as Datasette's table pages and the reports do); the named queries
# sort what they list.


def _sorted(values) -> tuple[str, ...]:
    """A set of positions in POSITIONS order, so the generated SQL is the same every run."""
    return tuple(p for p in POSITIONS if p in values)


def _affirming(position: str) -> str:
    """Rule 2 in SQL: the position is on the affirming side."""
    return in_list(position, _sorted(AFFIRMING))


def _denying(position: str) -> str:
    """Rule 2 in SQL: the position is on the denying side."""
    return in_list(position, _sorted(DENYING))


def _side(position: str) -> str:
    """Rule 2 in SQL: the side a position is on ('affirming', 'denying' or NULL)."""
    return f"CASE WHEN {_affirming(position)} THEN 'affirming' WHEN {_denying(position)} THEN 'denying' END"


def _status(status: str) -> str:
    """A stance's status from its stance_statuses row, left joined under this alias: no row, plain."""
    return f"coalesce({status}.status, '{COUNTED}')"


def _counted_for(status: str, stance: str, record: str) -> str:
    """The claim (or source) a stance counts for: the one its stance_statuses row names
    (when it was merged into another), else its own."""
    return f"coalesce({status}.{record}_id, {stance}.{record}_id)"


def _counted_join(claim: str, stance: str, status: str, source: str) -> tuple[str, str]:
    """Rule 1 for the claims row `claim`, as stance_statuses stores it: the joins that bring in
    each stance counting for it (under `stance`, its stance_statuses row under `status`, the
    source it counts for under `source`), and the condition they need.

    The stances counting for a claim are those logged on it and those merged into it from
    another claim (stance_statuses names the claim then): both are found through an index,
    so a claim's stances are read, not every stance for every claim. CROSS JOIN keeps the
    claim first, whatever SQLite guesses."""
    joins = (f"CROSS JOIN stances {stance} ON {stance}.id IN ("
             f"SELECT id FROM stances WHERE claim_id = {claim}.id "
             f"UNION ALL SELECT stance_id FROM stance_statuses WHERE claim_id = {claim}.id) "
             f"LEFT JOIN stance_statuses {status} ON {status}.stance_id = {stance}.id "
             f"CROSS JOIN sources {source} ON {source}.id = {_counted_for(status, stance, 'source')}")
    where = (f"{_counted_for(status, stance, 'claim')} = {claim}.id "
             f"AND {_status(status)} = '{COUNTED}'")
    return joins, where


def _said(stance: str) -> str:
    """When a stance was said, else when it was logged: the date rule 1 orders by."""
    return f"coalesce({stance}.said_on, {stance}.logged_at)"


def _ruling_disagreement(ruling: str = "ruling", verdict: str = "verdict", score: str = "score") -> str:
    """verity.reconcile.ruling_disagreement in SQL, from the same constants."""
    return f"""CASE
           WHEN {in_list(ruling, TRUE_RULINGS)} AND {score} < 0
             THEN 'ruled ' || {ruling} || ', but {LEANS_DENYING}'
           WHEN {in_list(ruling, FALSE_RULINGS)} AND {score} > 0
             THEN 'ruled ' || {ruling} || ', but {LEANS_AFFIRMING}'
           WHEN {in_list(ruling, UNDECIDED_RULINGS)} AND {in_list(verdict, SETTLED_VERDICTS)}
             THEN 'ruled ' || {ruling} || ', but the sources have ' || {verdict} || ' it'
         END"""


def views() -> dict[str, str]:
    """Every view verity creates after m004, by name: its SELECT."""
    affirming, affirming_where = _counted_join("c", "a", "ast", "asrc")
    denying, denying_where = _counted_join("c", "d", "dst", "dsrc")
    return {
        # Every claim that has a reconciliation of its own (not merged into another) with it.
        "claim_verdicts": """
            SELECT c.key, c.text, r.verdict, c.ruling, r.score, r.agreement,
                   r.affirming, r.denying, r.neutral, r.affirming_origins, r.denying_origins,
                   r.contradictions, c.subject, c.tags, c.id
            FROM claims c
            JOIN reconciliations r ON r.claim_id = c.id""",
        # Rule 1, as stance_statuses stores it: each source's latest non-retracted stance per claim.
        # Under the claim and source it counts for (a merged one's, if it was merged). Read whole,
        # as Datasette's table page and facets and the reports read it; a question about some
        # claims' stances goes through `_counted_join` instead (see contradiction_pairs).
        "counted_stances": f"""
            SELECT s.id, c.key AS claim, src.name AS source, src.kind AS source_kind,
                   src.affiliation, src.reliability, s.position, s.quote, s.said_on, s.via,
                   s.url, s.logged_at, c.id AS claim_id, src.id AS source_id
            FROM stances s
            LEFT JOIN stance_statuses st ON st.stance_id = s.id
            JOIN claims c ON c.id = {_counted_for('st', 's', 'claim')}
            JOIN sources src ON src.id = {_counted_for('st', 's', 'source')}
            WHERE {_status('st')} = '{COUNTED}'""",
        "contested_claims": f"""
            SELECT key AS claim, text, ruling, score, agreement, affirming, denying,
                   affirming_origins, denying_origins, contradictions
            FROM claim_verdicts
            WHERE verdict = '{CONTESTED}'""",
        # Rule 6: every pair of a counted affirming and a counted denying stance on one claim.
        # CROSS JOIN keeps SQLite's join order: claims in key order, so the first page of
        # pairs streams out without building and sorting every pair. Names compare as
        # plain strings, as in `verity reconcile` (sources.name is NOCASE). A position is
        # tested, not looked up ("+"): the claim's stances are already at hand.
        "contradiction_pairs": f"""
            SELECT c.key AS claim,
                   asrc.name COLLATE BINARY AS affirming_source, a.position AS affirming_position,
                   a.quote AS affirming_quote, a.said_on AS affirming_said_on,
                   dsrc.name COLLATE BINARY AS denying_source, d.position AS denying_position,
                   d.quote AS denying_quote, d.said_on AS denying_said_on,
                   c.id AS claim_id, a.id AS affirming_stance_id, d.id AS denying_stance_id
            FROM claims c
            CROSS JOIN reconciliations r ON r.claim_id = c.id AND r.contradictions > 0
            {affirming}
            {denying}
            WHERE c.merged_into IS NULL
              AND {affirming_where} AND {_affirming('+a.position')}
              AND {denying_where} AND {_denying('+d.position')}""",
        "source_statements": f"""
            SELECT src.name AS source, c.key AS claim, c.text AS claim_text, s.position, s.quote,
                   s.said_on, s.via, s.url,
                   CASE WHEN st.status = '{RETRACTED}' THEN st.status || ': ' || s.retraction_reason
                        ELSE {_status('st')} END AS status,
                   s.note, s.logged_at, s.id AS stance_id, {_said('s')} AS said
            FROM stances s
            LEFT JOIN stance_statuses st ON st.stance_id = s.id
            JOIN sources src ON src.id = {_counted_for('st', 's', 'source')}
            JOIN claims c ON c.id = {_counted_for('st', 's', 'claim')}""",
        # A reversal: a stance whose source's previous stance on the claim took another position.
        "stance_reversals": f"""
            SELECT src.name AS source, c.key AS claim,
                   p.position AS position_before, p.quote AS quote_before, {_said('p')} AS said_before,
                   s.position AS position_after, s.quote AS quote_after, {_said('s')} AS said_after,
                   CASE WHEN {_side('p.position')} != {_side('s.position')}
                        THEN {_side('p.position')} || ' -> ' || {_side('s.position')} ELSE '' END AS side_change,
                   p.id AS stance_id_before, s.id AS stance_id_after
            FROM stance_statuses st
            JOIN stances s ON s.id = st.stance_id
            JOIN stances p ON p.id = st.previous_id
            JOIN sources src ON src.id = {_counted_for('st', 's', 'source')}
            JOIN claims c ON c.id = {_counted_for('st', 's', 'claim')}
            WHERE p.position != s.position""",
        "single_source_claims": f"""
            SELECT key AS claim, text,
                   CASE WHEN affirming_origins > 0 THEN 'affirming' ELSE 'denying' END AS side,
                   CASE WHEN affirming_origins > 0 THEN affirming ELSE denying END AS sources,
                   neutral, score, ruling
            FROM claim_verdicts
            WHERE verdict = '{SINGLE_SOURCE}'""",
        # The pairs of claims likely the same (docs/similar.md) that are both still claims of
        # their own, the later claim beside the earlier: what "claims logged twice" lists.
        "claims_logged_twice": """
            SELECT l.score, a.key AS claim, a.text, b.key AS same_as, b.text AS same_as_text,
                   a.created_at, a.created_by, a.id AS claim_id, b.id AS same_as_id
            FROM claim_lookalikes l
            JOIN claims a ON a.id = l.claim_id
            JOIN claims b ON b.id = l.same_as_id
            WHERE a.merged_into IS NULL AND b.merged_into IS NULL
              -- two answers of one question exclude each other (rule 7): never one claim logged twice
              AND (a.question_id IS NULL OR a.question_id IS NOT b.question_id)""",
        "ruling_disagreements": f"""
            SELECT * FROM (
              SELECT key AS claim, text, ruling, verdict, score, agreement,
                     {_ruling_disagreement()} AS disagreement,
                     affirming, denying
              FROM claim_verdicts
            )
            WHERE disagreement IS NOT NULL""",
    }


def create_views(db: sqlite_utils.Database) -> None:
    """Create verity's views, replacing any of the same name."""
    for name, select in views().items():
        db.execute(f"DROP VIEW IF EXISTS {name}")
        db.execute(f"CREATE VIEW {name} AS{select}")



def _truth(claim: str) -> str:
    """verity.trust.ruled_truth in SQL for the claims row `claim`: 1, 0 or NULL."""
    return f"""CASE
           WHEN {in_list(f'{claim}.ruling', TRUE_RULINGS)} THEN 1
           WHEN {in_list(f'{claim}.ruling', FALSE_RULINGS)} THEN 0
           WHEN {claim}.question_id IS NOT NULL AND EXISTS (
               SELECT 1 FROM claims other WHERE other.question_id = {claim}.question_id AND other.id != {claim}.id
               AND other.merged_into IS NULL AND {in_list('other.ruling', TRUE_RULINGS)}) THEN 0
         END"""


def _outcome(position: str, truth: str) -> str:
    """verity.trust.outcome in SQL: 'right', 'wrong' or NULL."""
    return f"""CASE
           WHEN ({truth} = 1 AND {_affirming(position)}) OR ({truth} = 0 AND {_denying(position)}) THEN '{RIGHT}'
           WHEN ({truth} = 0 AND {_affirming(position)}) OR ({truth} = 1 AND {_denying(position)}) THEN '{WRONG}'
         END"""


def _credibility_meaning(grade: str) -> str:
    return "CASE " + " ".join(f"WHEN {grade} = {g} THEN '{meaning}'" for g, meaning in CREDIBILITY.items()) + " END"


def trust_views() -> dict[str, str]:
    """The views m006 adds, by name: its SELECT."""
    return {
        # Rule 7 as the reconciler stored it, one row a question.
        "question_verdicts": """
            SELECT q.key AS question, q.text, qr.verdict, lead.key AS leading, qr.answers, qr.affirmed_answers,
                   qr.contradictions, q.id
            FROM questions q
            JOIN question_reconciliations qr ON qr.question_id = q.id
            LEFT JOIN claims lead ON lead.id = qr.leading_id""",
        # A question's answers side by side: each answer with its own reconciliation and estimate.
        "question_answers": """
            SELECT q.key AS question, c.key AS claim, c.text, r.verdict, r.affirming, r.affirming_origins,
                   r.denying, r.denying_origins, c.ruling, a.estimate,
                   CASE WHEN run.stale_since IS NULL THEN 0 ELSE 1 END AS stale,
                   CASE WHEN qr.leading_id = c.id THEN 1 ELSE 0 END AS leading, c.id AS claim_id,
                   q.id AS question_id
            FROM claims c
            JOIN questions q ON q.id = c.question_id
            JOIN reconciliations r ON r.claim_id = c.id
            LEFT JOIN question_reconciliations qr ON qr.question_id = q.id
            LEFT JOIN assessments a ON a.claim_id = c.id
            LEFT JOIN assessment_runs run ON run.id = a.run_id
            WHERE c.merged_into IS NULL""",
        # The claims whose truth the desk's rulings settle (docs/estimates.md, "Track records").
        "claim_truths": f"""
            SELECT * FROM (
              SELECT c.id AS claim_id, c.key AS claim, c.ruling, q.key AS question, {_truth('c')} AS truth
              FROM claims c LEFT JOIN questions q ON q.id = c.question_id
              WHERE c.merged_into IS NULL AND (c.ruling IS NOT NULL OR c.question_id IS NOT NULL)
            )
            WHERE truth IS NOT NULL""",
        # Every counted stance (rule 1, under the claim and source it counts for) on such a
        # claim, right or wrong: the stances logged on the claim that count for it, found by
        # the claim's index, and those merged into it from another claim (stance_statuses).
        "ruled_stances": f"""
            SELECT s.id AS stance_id, t.claim_id, t.claim, {_counted_for('st', 's', 'source')} AS source_id,
                   s.position, t.truth, {_outcome('s.position', 't.truth')} AS outcome
            FROM claim_truths t
            JOIN stances s ON s.claim_id = t.claim_id
            LEFT JOIN stance_statuses st ON st.stance_id = s.id
            WHERE {_status('st')} = '{COUNTED}' AND {_counted_for('st', 's', 'claim')} = t.claim_id
            UNION ALL
            SELECT s.id, t.claim_id, t.claim, {_counted_for('st', 's', 'source')}, s.position, t.truth,
                   {_outcome('s.position', 't.truth')}
            FROM stance_statuses st
            JOIN stances s ON s.id = st.stance_id
            JOIN claim_truths t ON t.claim_id = st.claim_id
            WHERE st.status = '{COUNTED}' AND st.claim_id != s.claim_id""",
        "source_track_records": f"""
            SELECT src.name AS source, src.kind, src.affiliation, src.reliability,
                   coalesce(tr.right, 0) AS right, coalesce(tr.wrong, 0) AS wrong,
                   asrc.reliability AS learned_reliability, src.id AS source_id
            FROM sources src
            LEFT JOIN (SELECT source_id, sum(outcome = '{RIGHT}') AS right, sum(outcome = '{WRONG}') AS wrong
                       FROM ruled_stances GROUP BY source_id) tr ON tr.source_id = src.id
            LEFT JOIN assessed_sources asrc ON asrc.source_id = src.id
            WHERE src.merged_into IS NULL""",
        # The estimates `verity assess --save` stored, beside each claim's verdict and ruling.
        "claim_estimates": f"""
            SELECT c.key AS claim, c.text, r.verdict, c.ruling, a.estimate, a.credibility,
                   {_credibility_meaning('a.credibility')} AS credibility_meaning, q.key AS question,
                   run.method, run.computed_at, run.stale_since,
                   CASE WHEN run.stale_since IS NULL THEN 0 ELSE 1 END AS stale, c.id AS claim_id
            FROM claims c
            JOIN reconciliations r ON r.claim_id = c.id
            JOIN assessments a ON a.claim_id = c.id
            JOIN assessment_runs run ON run.id = a.run_id
            LEFT JOIN questions q ON q.id = c.question_id""",
    }


def create_trust_views(db: sqlite_utils.Database) -> None:
    """Create the views of m006, replacing any of the same name."""
    for name, select in trust_views().items():
        db.execute(f"DROP VIEW IF EXISTS {name}")
        db.execute(f"CREATE VIEW {name} AS{select}")
