"""One claim as people read it, built from the store's `ClaimRecord`: what the reports
show of each claim, and its own page in Datasette.

Nothing here decides anything: each stance's status and the stance its source
held before it come from the reconciler (`ClaimRecord.statuses`), and which side
a source is on, the verdict, score, agreement and contradictions from the stored
reconciliation. This module only arranges them: sides grouped by independent
origin, the history in date order, the sources that changed position, the
retractions, a timeline.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

import attrs

from .models import Claim, Reconciliation, Source, Stance, origin_of
from .reconcile import COUNTED, RETRACTED
from .store import ClaimRecord
from .trust import StoredEstimate

MARKS = {
    "affirms": "✔",
    "partially-affirms": "◐",
    "neutral": "○",
    "partially-denies": "◑",
    "denies": "✘",
}
SIDES = ("affirming", "denying", "neutral")


def origin_label(name: str, affiliation: Optional[str]) -> str:
    """How a report names an independent origin: the affiliation, else the source itself."""
    return affiliation.strip() if affiliation and affiliation.strip() else name


@attrs.frozen
class StanceView:
    """One stance as a report shows it: with its source, and its status as the reconciler stored it."""

    stance: Stance
    source: Source
    status: str  # counted, superseded (a later stance of the same source counts) or retracted
    previous_id: Optional[int] = None  # the stance of the same source this one followed

    @property
    def counted(self) -> bool:
        return self.status == COUNTED

    @property
    def date(self) -> str:
        """The date the rules order by, as a reader should see it."""
        if self.stance.said_on:
            return self.stance.said_on
        return f"undated (logged {self.stance.logged_at[:10]})"

    @property
    def logged(self) -> str:
        """When the stance was logged, and by whom: who to ask about it."""
        by = f" by {self.stance.logged_by}" if self.stance.logged_by else ""
        return f"{self.stance.logged_at[:10]}{by}"

    @property
    def day(self) -> str:
        return self.stance.effective_date[:10]

    @property
    def mark(self) -> str:
        return MARKS[self.stance.position]


@attrs.frozen
class OriginGroup:
    """The sources of one side that count as one independent origin."""

    label: str
    affiliated: bool  # False: a source without affiliation, its own origin
    stances: tuple[StanceView, ...]


@attrs.frozen
class Side:
    name: str  # affirming, denying or neutral
    sources: int
    origins: int  # independent origins (for neutral: distinct origins, shown for context only)
    groups: tuple[OriginGroup, ...]


@attrs.frozen
class Reversal:
    """A source whose position on the claim changed between two of its (unretracted) stances."""

    source: str
    before: StanceView
    after: StanceView


@attrs.frozen
class TimelinePoint:
    view: StanceView
    left: float  # per cent along the claim's date axis
    row: int  # stacked rows keep points of nearby dates apart


@attrs.frozen
class Timeline:
    first: str
    last: str
    rows: int
    points: tuple[TimelinePoint, ...]


@attrs.frozen
class ClaimView:
    """One claim as a report shows it: its sides grouped by origin, its history, reversals and retractions."""

    claim: Claim
    reconciliation: Reconciliation
    sides: tuple[Side, ...]  # affirming, denying, neutral (empty sides included)
    history: tuple[StanceView, ...]  # every stance ever logged, oldest first
    reversals: tuple[Reversal, ...]
    retractions: tuple[StanceView, ...]
    positions: dict  # source name -> counted position, for the stance matrix
    estimate: Optional[StoredEstimate] = None  # what `verity assess --save` stored, if anything

    @property
    def key(self) -> str:
        """The claim's key."""
        return self.claim.key

    @property
    def counted(self) -> tuple[StanceView, ...]:
        """The stances that count, oldest first."""
        return tuple(v for v in self.history if v.counted)

    def side(self, name: str) -> Side:
        """The side called `name`: affirming, denying or neutral."""
        return self.sides[SIDES.index(name)]

    def timeline(self) -> Timeline:
        """The claim's stances placed along its date axis."""
        return timeline(self.history)


def claim_view(record: ClaimRecord) -> ClaimView:
    """The report's view of a claim record from the store."""
    r = record.reconciliation
    statuses = record.statuses
    history = tuple(
        StanceView(stance, record.sources[stance.source], statuses[stance.id].status,
                   statuses[stance.id].previous_id)
        for stance in record.stances
    )
    counted = {v.source.name: v for v in history if v.counted}
    sides = []
    for name, members, origins in (
        ("affirming", r.affirming, r.affirming_origins),
        ("denying", r.denying, r.denying_origins),
        ("neutral", r.neutral, None),
    ):
        views = [counted[source] for source in members if source in counted]
        groups = _by_origin(views)
        sides.append(Side(name, len(members), len(groups) if origins is None else origins, groups))
    return ClaimView(
        claim=record.claim,
        reconciliation=r,
        sides=tuple(sides),
        history=history,
        reversals=reversals(history),
        retractions=tuple(v for v in history if v.status == RETRACTED),
        positions={name: view.stance.position for name, view in counted.items()},
        estimate=record.estimate,
    )


def _by_origin(views: list[StanceView]) -> tuple[OriginGroup, ...]:
    groups: dict[str, list[StanceView]] = {}
    for view in views:
        groups.setdefault(origin_of(view.source.name, view.source.affiliation), []).append(view)
    result = [
        OriginGroup(
            label=origin_label(members[0].source.name, members[0].source.affiliation),
            affiliated=origin.startswith("affiliation:"),
            stances=tuple(sorted(members, key=lambda v: v.source.name)),
        )
        for origin, members in groups.items()
    ]
    return tuple(sorted(result, key=lambda g: (g.label.casefold(), g.label)))


def reversals(history: tuple[StanceView, ...]) -> tuple[Reversal, ...]:
    """Each stance whose source held another position in the stance before it."""
    by_id = {view.stance.id: view for view in history}
    found = []
    for view in history:
        before = by_id.get(view.previous_id)
        if before is not None and before.stance.position != view.stance.position:
            found.append(Reversal(view.source.name, before, view))
    return tuple(found)


def _ordinal(day: str) -> Optional[int]:
    try:
        return dt.date.fromisoformat(day).toordinal()
    except ValueError:
        return None


SPACING = 6.0  # per cent of the axis two points on one row keep between them
MAX_ROWS = 8  # beyond this many, points of one crowded day overlap on the last row


def timeline(history: tuple[StanceView, ...]) -> Timeline:
    """Points along the claim's date axis, in date order; close ones stacked in rows."""
    if not history:
        return Timeline("", "", 0, ())
    days = [_ordinal(v.day) for v in history]
    known = [d for d in days if d is not None]
    low, high = (min(known), max(known)) if known else (0, 0)
    span = high - low
    row_ends: list[float] = []
    points = []
    for view, day in zip(history, days):
        left = 50.0 if not span or day is None else round(100.0 * (day - low) / span, 2)
        row = next((i for i, end in enumerate(row_ends) if left - end >= SPACING), len(row_ends))
        if row == len(row_ends) and row < MAX_ROWS:
            row_ends.append(left)
        else:
            row = min(row, MAX_ROWS - 1)
            row_ends[row] = left
        points.append(TimelinePoint(view, left, row))
    return Timeline(history[0].day, history[-1].day, len(row_ends), tuple(points))
