"""The reconciler: DESIGN.md §2, written once.

Every command, report, export and the stored per-claim reconciliation get their
numbers from `reconcile`, a pure function of the stances on one claim and of what
it needs to know about their sources; `reconcile_claim` adds the claim's key, text
and ruling to make a Reconciliation.
"""

from __future__ import annotations

from itertools import product
from math import fsum
from typing import Iterable, Mapping, NamedTuple, Optional

from .models import AFFIRMING, DENYING, Reconciliation, origin_of

WEIGHTS = {"A": 1.0, "B": 0.8, "C": 0.6, "D": 0.4, "E": 0.2, "F": 0.5, None: 0.5}
VALUES = {
    "affirms": 1.0,
    "partially-affirms": 0.5,
    "neutral": 0.0,
    "partially-denies": -0.5,
    "denies": -1.0,
}


class SourceFacts(NamedTuple):
    """What the rules need to know about one source, worked out once per source
    (a full refresh meets each source in thousands of claims)."""

    name: str
    origin: str  # rule 3: origin_of(name, affiliation)
    weight: float  # rule 5: WEIGHTS[reliability]

    @classmethod
    def of(cls, name: str, affiliation: Optional[str], reliability: Optional[str]) -> "SourceFacts":
        return cls(name, origin_of(name, affiliation), WEIGHTS[reliability])


class StanceFact(NamedTuple):
    """What the rules need to know about one logged stance; its source is looked up by id.

    A plain tuple in this field order (the store reads it straight from SQL,
    with no object made per stance: a full refresh reads a million of them).
    """

    source_id: int
    position: str
    effective_date: str  # said_on, else logged_at: compared as ISO text
    sequence: int  # logging order: the stance id
    retracted: bool = False
    claim_id: Optional[int] = None  # the rules do not read it; the store groups stances by it


def counted_stances(facts: Iterable[StanceFact]) -> list[StanceFact]:
    """Rule 1: each source's latest non-retracted stance (by date, then logging order)."""
    latest: dict[int, StanceFact] = {}
    for fact in facts:
        source_id, _, effective_date, sequence, retracted, _ = fact
        if retracted:
            continue
        current = latest.get(source_id)
        if current is None or (effective_date, sequence) > (current[2], current[3]):
            latest[source_id] = fact
    return list(latest.values())


def reconcile(facts: Iterable[StanceFact], sources: Mapping[int, SourceFacts]) -> Outcome:
    """DESIGN.md §2 for one claim: `facts` are the stances on it, `sources` what the
    rules need to know about each of their sources, by id."""
    affirming, denying, neutral = [], [], []  # rule 2: the sides, as source names
    affirming_origins, denying_origins = set(), set()  # rule 3
    weights, weighted = [], []  # rule 5: w and w·v of each counted stance
    for source_id, position, _, _, _, _ in counted_stances(facts):  # rule 1
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
        verdict = "unverified"
    elif affirming and denying:
        verdict = "contested"
    elif len(affirming_origins or denying_origins) == 1:
        verdict = "single-source"
    else:
        verdict = "corroborated" if affirming else "denied"

    # rule 5. fsum is exactly rounded, so the third decimal cannot depend on the order
    # the stances were read in (a plain sum could give 0.562 one way, 0.563 another).
    # Σ w·|v| is Σ |w·v|: the weights are positive and a product's rounding ignores sign.
    total_weight = fsum(weights)
    weighted_sum = fsum(weighted)
    sided_weight = fsum(map(abs, weighted))
    score = round(weighted_sum / total_weight, 3) if weights else None
    agreement = round(abs(weighted_sum) / sided_weight, 3) if sided_weight else None

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
