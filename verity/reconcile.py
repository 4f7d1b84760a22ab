"""The reconciler: DESIGN.md §2, written once.

Every command, report, export and the stored per-claim reconciliation get their
numbers from `reconcile_claim`. It is a pure function of the stances on one claim.
"""

from __future__ import annotations

from itertools import product
from math import fsum
from typing import Iterable, NamedTuple, Optional

from .models import AFFIRMING, DENYING, Reconciliation, origin_of

WEIGHTS = {"A": 1.0, "B": 0.8, "C": 0.6, "D": 0.4, "E": 0.2, "F": 0.5, None: 0.5}
VALUES = {
    "affirms": 1.0,
    "partially-affirms": 0.5,
    "neutral": 0.0,
    "partially-denies": -0.5,
    "denies": -1.0,
}


class StanceFact(NamedTuple):
    """What the rules need to know about one logged stance and its source.

    A named tuple rather than an attrs class: an import makes one per stance,
    a million of them, and a tuple is several times cheaper to build.
    """

    source_id: int
    source: str
    affiliation: Optional[str]
    reliability: Optional[str]
    position: str
    effective_date: str  # said_on, else logged_at: compared as ISO text
    sequence: int  # logging order: the stance id
    retracted: bool = False


def counted_stances(facts: Iterable[StanceFact]) -> list[StanceFact]:
    """Each source's latest non-retracted stance (by date, then logging order)."""
    latest: dict[int, StanceFact] = {}
    for fact in facts:
        if fact.retracted:
            continue
        current = latest.get(fact.source_id)
        if current is None or (fact.effective_date, fact.sequence) > (
            current.effective_date,
            current.sequence,
        ):
            latest[fact.source_id] = fact
    return list(latest.values())


def reconcile_claim(
    claim: str, text: str, facts: Iterable[StanceFact], ruling: Optional[str] = None
) -> Reconciliation:
    counted = counted_stances(facts)
    affirming = [f for f in counted if f.position in AFFIRMING]
    denying = [f for f in counted if f.position in DENYING]
    neutral = [f for f in counted if f.position not in AFFIRMING and f.position not in DENYING]
    affirming_origins = len({origin_of(f.source, f.affiliation) for f in affirming})
    denying_origins = len({origin_of(f.source, f.affiliation) for f in denying})

    if not affirming and not denying:
        verdict = "unverified"
    elif affirming and denying:
        verdict = "contested"
    elif (affirming_origins or denying_origins) == 1:
        verdict = "single-source"
    else:
        verdict = "corroborated" if affirming else "denied"

    # fsum is exactly rounded, so the third decimal cannot depend on the order
    # the stances were read in (a plain sum could give 0.562 one way, 0.563 another).
    weighted = fsum(WEIGHTS[f.reliability] * VALUES[f.position] for f in counted)
    total_weight = fsum(WEIGHTS[f.reliability] for f in counted)
    sided_weight = fsum(WEIGHTS[f.reliability] * abs(VALUES[f.position]) for f in counted)
    score = round(weighted / total_weight, 3) if counted else None
    agreement = round(abs(weighted) / sided_weight, 3) if sided_weight else None

    affirming_names = tuple(sorted(f.source for f in affirming))
    denying_names = tuple(sorted(f.source for f in denying))
    return Reconciliation(
        claim=claim,
        text=text,
        verdict=verdict,
        score=score,
        agreement=agreement,
        affirming=affirming_names,
        denying=denying_names,
        neutral=tuple(sorted(f.source for f in neutral)),
        affirming_origins=affirming_origins,
        denying_origins=denying_origins,
        contradictions=contradiction_pairs(affirming_names, denying_names),
        ruling=ruling,
    )


def contradiction_pairs(affirming: Iterable[str], denying: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """Every (affirming source, denying source) pair, sorted by affirming then denying name."""
    return tuple(product(sorted(affirming), sorted(denying)))
