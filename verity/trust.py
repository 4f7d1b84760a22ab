"""Track records and what an estimate is shown as: the rules of docs/estimates.md, written once.

A source's **track record** counts its counted stances on claims whose truth the desk
has ruled: right when on the side the ruling took, wrong when on the other. The
**estimate** (verity.truth computes it; `verity assess` shows it) is read as an
Admiralty information-credibility grade. Everything here is plain Python: the
reports, `claim show` and Datasette show stored estimates without numpy, and the SQL
views of track records are generated from these constants (verity.migrations).
"""

from __future__ import annotations

import math
from typing import NamedTuple, Optional, Sequence

import attrs

from .models import AFFIRMING, DENYING
from .reconcile import FALSE_RULINGS, TRUE_RULINGS

ESTIMATE_DECIMALS = 3  # an estimate is given, and its credibility graded, to this many decimals
RELIABILITY_DECIMALS = 3
RIGHT, WRONG = "right", "wrong"

# The Admiralty code's information-credibility grades, 1 (best) to 6.
CREDIBILITY = {
    1: "confirmed",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "cannot be judged",
}
CONFIRMED_AT = 0.9  # grade 1: the verdict is corroborated and the estimate is at least this
# Grades 2-5: the first whose lower bound the estimate reaches.
CREDIBILITY_FLOORS = ((2, 0.75), (3, 0.5), (4, 0.25), (5, 0.0))
CONFIRMING_VERDICT = "corroborated"


def ruled_truth(ruling: Optional[str], other_answer_ruled_true: bool = False) -> Optional[bool]:
    """What the desk's rulings say of a claim: True (ruled true or mostly-true), False
    (ruled false or mostly-false, or, in a question, another answer ruled true), None
    (no ruling, or mixture or unproven, with no answer of its question ruled true)."""
    if ruling in TRUE_RULINGS:
        return True
    if ruling in FALSE_RULINGS:
        return False
    return False if other_answer_ruled_true else None


def outcome(position: str, truth: Optional[bool]) -> Optional[str]:
    """A counted stance in its source's track record: right, wrong, or None (neutral, or
    a claim whose truth is not ruled)."""
    if truth is None or (position not in AFFIRMING and position not in DENYING):
        return None
    return RIGHT if (position in AFFIRMING) == truth else WRONG


def credibility(estimate: Optional[float], verdict: str) -> int:
    """The Admiralty information-credibility grade (1-6) of an estimate (graded as rounded)
    of a claim with this verdict."""
    if estimate is None:
        return 6
    estimate = round(estimate, ESTIMATE_DECIMALS)
    if verdict == CONFIRMING_VERDICT and estimate >= CONFIRMED_AT:
        return 1
    return next(grade for grade, floor in CREDIBILITY_FLOORS if estimate >= floor)


def rounded(estimates: Sequence[Optional[float]], places: int = ESTIMATE_DECIMALS) -> list[Optional[float]]:
    """A question's answers' estimates rounded so that they still sum to at most 1
    (0.3335 + 0.6665 would round past it): where they would not, the answers rounded up
    most are lowered by one unit of the last place."""
    unit = 10.0 ** -places
    out = [None if e is None else round(e, places) for e in estimates]
    excess = round(sum(x for x in out if x is not None) - 1.0, places + 2)
    if excess > 0:
        order = sorted((i for i, x in enumerate(out) if x is not None), key=lambda i: estimates[i] - out[i])
        for i in order[: int(math.ceil(excess / unit - 1e-9))]:
            out[i] = round(out[i] - unit, places)
    return out


@attrs.frozen
class TrackRecord:
    """A source's counted stances on claims with a ruled truth: on the ruling's side, or not."""

    right: int = 0
    wrong: int = 0

    @property
    def ruled(self) -> int:
        return self.right + self.wrong

    def __str__(self) -> str:
        return f"{self.right} right, {self.wrong} wrong" if self.ruled else "no ruled claims yet"


# One counted stance an estimate rests on: (source, position, reliability), the source's
# learned reliability as used for this claim (its record without the claim, or its question).
# A plain tuple: a desk has a million of them.
Basis = tuple[str, str, float]


class Assessment(NamedTuple):
    """What `verity assess` says of one claim."""

    claim: str
    question: Optional[str]
    estimate: Optional[float]  # P(true), ESTIMATE_DECIMALS decimals; None when no counted stance takes a side
    credibility: int
    ruling: Optional[str]
    basis: tuple[Basis, ...]
    method: str

    @property
    def credibility_meaning(self) -> str:
        return CREDIBILITY[self.credibility]


@attrs.frozen
class StoredEstimate:
    """An estimate as `verity assess --save` stored it: shown by `claim show`, the reports and
    Datasette, with when it was computed and whether a later write could have changed it."""

    estimate: Optional[float]
    credibility: int
    method: str
    computed_at: str
    stale_since: Optional[str]  # when a write first could change it; None while it is current

    @property
    def stale(self) -> bool:
        return self.stale_since is not None

    @property
    def credibility_meaning(self) -> str:
        return CREDIBILITY[self.credibility]

    def label(self) -> str:
        """The estimate as people read it: 'estimate 0.82 (credibility 2, probably true)'."""
        shown = "none" if self.estimate is None else f"{self.estimate:.{ESTIMATE_DECIMALS}f}"
        text = f"{shown} (credibility {self.credibility}, {self.credibility_meaning})"
        when = f"computed {self.computed_at[:16].replace('T', ' ')}"
        return f"{text}; {when}" + ("; stale: the desk has changed since" if self.stale else "")
