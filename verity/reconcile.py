"""The reconciler: the rules of docs/rules.md, written once.

Every command, report, export, the stored per-claim reconciliation and the stored
status of every stance get their figures from here: `stance_statuses` applies
rule 1 to the stances on one claim, and `reconcile` the rest of the rules to the
stances that count. Both are pure functions of the stances on one claim and of
what they need to know about the sources; `reconcile_claim` adds the claim's key,
text and ruling to make a Reconciliation.
"""

from __future__ import annotations

from itertools import product
from math import fsum
from typing import Iterable, Mapping, NamedTuple, Optional

from .models import (
    AFFIRMING,
    CONTESTED,
    CORROBORATED,
    DENIED,
    DENYING,
    SINGLE_SOURCE,
    UNVERIFIED,
    Reconciliation,
    origin_of,
)

WEIGHTS = {"A": 1.0, "B": 0.8, "C": 0.6, "D": 0.4, "E": 0.2, "F": 0.5, None: 0.5}
VALUES = {
    "affirms": 1.0,
    "partially-affirms": 0.5,
    "neutral": 0.0,
    "partially-denies": -0.5,
    "denies": -1.0,
}
DECIMALS = 3  # score and agreement are rounded to this many, and shown with as many


class SourceFacts(NamedTuple):
    """What the rules need to know about one source, worked out once per source
    (a full refresh meets each source in thousands of claims)."""

    name: str
    origin: str  # rule 3: origin_of(name, affiliation)
    weight: float  # rule 5: WEIGHTS[reliability]

    @classmethod
    def of(cls, name: str, affiliation: Optional[str], reliability: Optional[str]) -> "SourceFacts":
        """What the rules need to know about the source with this name, affiliation and grade."""
        return cls(name, origin_of(name, affiliation), WEIGHTS[reliability])


class StanceFact(NamedTuple):
    """What the rules need to know about one logged stance; its source is looked up by id.

    A plain tuple in this field order (the store reads it straight from SQL,
    with no object made per stance: a full refresh reads a million of them).
    """

    source_id: int  # the source it counts for: a source merged into another counts as that one
    position: str
    effective_date: str  # said_on, else logged_at: compared as ISO text
    sequence: int  # the stance id: logging order where there is no logged_at and uid to go by
    retracted: bool = False
    claim_id: Optional[int] = None  # the rules do not read it; the store groups stances by it
    logged_at: Optional[str] = None
    uid: Optional[str] = None


def latest_order(fact: StanceFact) -> tuple:
    """Rule 1's order, "latest" last: by effective date (compared as ISO text), then by
    logging order — when it was logged, then its uid (the stance id where there are none).
    The one place it is stated: every status and previous stance follows it."""
    return (fact[2], fact[6] or "", fact[7] or "", fact[3])

COUNTED, SUPERSEDED, RETRACTED = "counted", "superseded", "retracted"
STATUSES = (COUNTED, SUPERSEDED, RETRACTED)


class StanceStatus(NamedTuple):
    """What rule 1 makes of one logged stance on its claim.

    `status`: counted (its source's latest non-retracted stance), superseded (a later
    non-retracted stance of the same source counts instead) or retracted.
    `previous_id`: for a stance that is not retracted, the same source's
    non-retracted stance on the claim just before it in rule 1's order (None for the
    first): a change of position between the two is a reversal. A retracted stance
    has none and is no stance's previous one.
    `claim_id`, `source_id`: the claim and source the stance counts for, when they are
    not the ones it was logged with (a claim or source merged into another); else None.
    """

    stance_id: int
    status: str
    previous_id: Optional[int]
    claim_id: Optional[int] = None
    source_id: Optional[int] = None

    @property
    def plain(self) -> bool:
        """Counted, following no other stance, for the claim and source it was logged with:
        what most stances are (see `plain_status`)."""
        return self.status == COUNTED and self.previous_id is None and self.claim_id is None and self.source_id is None


def plain_status(stance_id: int) -> StanceStatus:
    """The status of a stance rule 1 says nothing more about than that it counts: its
    source's only stance on the claim, not retracted. Most stances are such; the
    store keeps a row only for the others (see `reconcile_stances`)."""
    return StanceStatus(stance_id, COUNTED, None)


def stance_statuses(facts: Iterable[StanceFact]) -> list[StanceStatus]:
    """Rule 1 for every stance on one claim: its status and its source's previous stance."""
    facts = list(facts)
    listed = {status.stance_id: status for status in _rule_one(facts)[1]}
    return [listed.get(fact[3]) or plain_status(fact[3]) for fact in facts]


def counted_stances(facts: Iterable[StanceFact]) -> list[StanceFact]:
    """Rule 1: each source's latest non-retracted stance on one claim."""
    return _rule_one(facts)[0]


def _rule_one(facts: Iterable[StanceFact]) -> tuple[list[StanceFact], list[StanceStatus]]:
    """The counted stances, and the status of every stance that is not plain, in one
    pass: a full refresh meets a million stances, nearly all of them plain (the only
    stance of their source on the claim)."""
    by_source: dict[int, list[StanceFact]] = {}
    for fact in facts:
        stances = by_source.get(fact[0])
        if stances is None:
            by_source[fact[0]] = [fact]
        else:
            stances.append(fact)
    counted: list[StanceFact] = []
    statuses: list[StanceStatus] = []
    for stances in by_source.values():
        if len(stances) == 1:
            fact = stances[0]
            if fact[4]:
                statuses.append(StanceStatus(fact[3], RETRACTED, None))
            else:
                counted.append(fact)  # plain
            continue
        stances.sort(key=latest_order)
        latest = next((fact for fact in reversed(stances) if not fact[4]), None)
        previous = None
        for fact in stances:
            if fact[4]:
                statuses.append(StanceStatus(fact[3], RETRACTED, None))
                continue
            if fact is not latest:
                statuses.append(StanceStatus(fact[3], SUPERSEDED, previous))
            elif previous is not None:  # else plain: its source's other stances are all retracted
                statuses.append(StanceStatus(fact[3], COUNTED, previous))
            previous = fact[3]
        if latest is not None:
            counted.append(latest)
    return counted, statuses


def reconcile(facts: Iterable[StanceFact], sources: Mapping[int, SourceFacts]) -> Outcome:
    """The rules (docs/rules.md) for one claim: `facts` are the stances on it, `sources`
    what the rules need to know about each of their sources, by id."""
    return outcome_of(counted_stances(facts), sources)


def reconcile_stances(
    facts: Iterable[StanceFact], sources: Mapping[int, SourceFacts]
) -> tuple[Outcome, list[StanceStatus]]:
    """`reconcile` of one claim, and the status of each of its stances that is not plain
    (`plain_status`), from one reading of its stances."""
    counted, statuses = _rule_one(facts)
    return outcome_of(counted, sources), statuses


def outcome_of(counted: Iterable[StanceFact], sources: Mapping[int, SourceFacts]) -> Outcome:
    """Rules 2-6 over the stances that count (rule 1's `counted_stances`)."""
    affirming, denying, neutral = [], [], []  # rule 2: the sides, as source names
    affirming_origins, denying_origins = set(), set()  # rule 3
    weights, weighted = [], []  # rule 5: w and w·v of each counted stance
    for source_id, position, *_ in counted:
        name, origin, weight = sources[source_id]
        weights.append(weight)
        weighted.append(weight * VALUES[position])
        if position in AFFIRMING:
            affirming.append(name)
            affirming_origins.add(origin)
        elif position in DENYING:
            denying.append(name)
            denying_origins.add(origin)
        else:
            neutral.append(name)

    # rule 4
    if not affirming and not denying:
        verdict = UNVERIFIED
    elif affirming and denying:
        verdict = CONTESTED
    elif len(affirming_origins or denying_origins) == 1:
        verdict = SINGLE_SOURCE
    else:
        verdict = CORROBORATED if affirming else DENIED

    # rule 5. fsum is exactly rounded, so the third decimal cannot depend on the order
    # the stances were read in (a plain sum could give 0.562 one way, 0.563 another).
    # Σ w·|v| is Σ |w·v|: the weights are positive and a product's rounding ignores sign.
    total_weight = fsum(weights)
    weighted_sum = fsum(weighted)
    sided_weight = fsum(map(abs, weighted))
    score = round(weighted_sum / total_weight, DECIMALS) if weights else None
    agreement = round(abs(weighted_sum) / sided_weight, DECIMALS) if sided_weight else None

    return Outcome(
        verdict,
        score,
        agreement,
        tuple(sorted(affirming)),
        tuple(sorted(denying)),
        tuple(sorted(neutral)),
        len(affirming_origins),
        len(denying_origins),
    )  # rule 6, the contradictions, follows from the sides: see Outcome.contradictions


class Outcome(NamedTuple):
    """What the rules make of the stances on one claim: a Reconciliation without the
    claim's key, text and ruling, and without the contradiction pairs spelled out
    (storing a full refresh needs only their number)."""

    verdict: str
    score: Optional[float]
    agreement: Optional[float]
    affirming: tuple[str, ...]  # source names, sorted
    denying: tuple[str, ...]
    neutral: tuple[str, ...]
    affirming_origins: int
    denying_origins: int

    @property
    def contradictions(self) -> tuple[tuple[str, str], ...]:
        """Rule 6: every (affirming source, denying source) pair."""
        return contradiction_pairs(self.affirming, self.denying)

    @property
    def contradiction_count(self) -> int:
        """len(self.contradictions), without making the pairs."""
        return len(self.affirming) * len(self.denying)

    def reconciliation(self, claim: str, text: str, ruling: Optional[str] = None) -> Reconciliation:
        """The Reconciliation of the claim with this key, text and ruling."""
        return Reconciliation(
            claim=claim,
            text=text,
            verdict=self.verdict,
            score=self.score,
            agreement=self.agreement,
            affirming=self.affirming,
            denying=self.denying,
            neutral=self.neutral,
            affirming_origins=self.affirming_origins,
            denying_origins=self.denying_origins,
            contradictions=self.contradictions,
            ruling=ruling,
        )


def reconcile_claim(
    claim: str,
    text: str,
    facts: Iterable[StanceFact],
    sources: Mapping[int, SourceFacts],
    ruling: Optional[str] = None,
) -> Reconciliation:
    """The reconciliation of one claim: see `reconcile`."""
    return reconcile(facts, sources).reconciliation(claim, text, ruling)


def contradiction_pairs(affirming: Iterable[str], denying: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """Every (affirming source, denying source) pair, sorted by affirming then denying name."""
    return tuple(product(sorted(affirming), sorted(denying)))


def figure(value: Optional[float]) -> str:
    """A score or agreement as listings and reports show it: its decimals, or — when there is none."""
    return "—" if value is None else f"{value:.{DECIMALS}f}"


# -- the ruling beside the verdict (docs/rules.md, "The ruling") ------------------------------
# The ruling never changes the verdict; these say when the two point different ways.
TRUE_RULINGS = ("true", "mostly-true")
FALSE_RULINGS = ("false", "mostly-false")
UNDECIDED_RULINGS = ("mixture", "unproven")
SETTLED_VERDICTS = (CORROBORATED, DENIED)  # independent origins agree, on one side only
LEANS_DENYING = "the sources lean towards denying"
LEANS_AFFIRMING = "the sources lean towards affirming"


def ruling_disagreement(ruling: Optional[str], verdict: str, score: Optional[float]) -> Optional[str]:
    """How a claim's ruling disagrees with its sources, or None when it does not.

    A ruling of true or mostly-true disagrees when the score is below 0, false or
    mostly-false when it is above 0 (whatever the verdict); mixture or unproven
    when the sources have settled the claim (corroborated or denied).
    """
    if ruling in TRUE_RULINGS and score is not None and score < 0:
        return f"ruled {ruling}, but {LEANS_DENYING}"
    if ruling in FALSE_RULINGS and score is not None and score > 0:
        return f"ruled {ruling}, but {LEANS_AFFIRMING}"
    if ruling in UNDECIDED_RULINGS and verdict in SETTLED_VERDICTS:
        return f"ruled {ruling}, but the sources have {verdict} it"
    return None


# -- rule 7: questions, whose answers are claims that exclude each other --------------
# A question's verdict; SINGLE_SOURCE is the claim verdict's word: its leading answer rests on one origin.
OPEN, SETTLED, DISPUTED = "open", "settled", "disputed"
# Ordered as reports list them: the disagreements first.
QUESTION_VERDICTS = (DISPUTED, SINGLE_SOURCE, SETTLED, OPEN)


class QuestionReconciliation(NamedTuple):
    """What rule 7 makes of a question's answers (each claim's own reconciliation)."""

    question: str  # its key
    text: str
    verdict: str  # open, settled, single-source or disputed
    leading: Optional[str]  # the key of the answer with the most independent affirming origins; None on a tie
    answers: tuple[Reconciliation, ...]  # by key
    contradictions: tuple[tuple[str, str], ...]

    @property
    def affirmed(self) -> tuple[Reconciliation, ...]:
        """The answers some counted stance affirms."""
        return tuple(answer for answer in self.answers if answer.affirming)


def reconcile_question(question: str, text: str, answers: Iterable[Reconciliation]) -> QuestionReconciliation:
    """Rule 7 (docs/rules.md) over the reconciliations of a question's answers."""
    answers = tuple(sorted(answers, key=lambda answer: answer.claim))
    affirmed = [answer for answer in answers if answer.affirming]
    most = max((answer.affirming_origins for answer in affirmed), default=0)
    leaders = [answer for answer in affirmed if answer.affirming_origins == most]
    leading = leaders[0].claim if len(leaders) == 1 else None
    if not affirmed:
        verdict = OPEN
    elif len(affirmed) == 1 and not affirmed[0].denying:
        verdict = SETTLED if affirmed[0].affirming_origins >= 2 else SINGLE_SOURCE
    else:
        verdict = DISPUTED
    return QuestionReconciliation(question, text, verdict, leading, answers, question_contradictions(answers))


def question_contradictions(answers: Iterable[Reconciliation]) -> tuple[tuple[str, str], ...]:
    """Rule 7's contradictions: every (source affirming answer X, source affirming answer Y)
    with X before Y by key, and rule 6's pairs on each answer; distinct, sorted as rule 6's.
    A source affirming two answers contradicts itself: (name, name)."""
    answers = sorted(answers, key=lambda answer: answer.claim)
    pairs = {pair for answer in answers for pair in answer.contradictions}
    for i, earlier in enumerate(answers):
        for later in answers[i + 1:]:
            pairs.update(product(earlier.affirming, later.affirming))
    return tuple(sorted(pairs))
