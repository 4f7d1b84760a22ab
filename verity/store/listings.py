"""What `claim list` and `stance list` ask the store, in their own words.

Names a person types to filter by (a tag, a subject, who logged a stance) are
compared as names are (`verity.folding.fold`). One that no record has matches
nothing, and `unmatched_filters` says so with the closest ones that exist, for
the command to warn; a claim or source that does not exist is a NotFound.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Iterator, Optional

import attrs

from ..errors import NotFound, did_you_mean
from ..folding import fold
from ..models import RULINGS, Stance, check_choice, check_date
from ..reconcile import COUNTED
from .rows import STANCE_SELECT, stance_from_row, verdict_filter

NO_RULING = "none"  # `claim list --ruling none`: the claims not ruled on yet
# The values a filter's name is looked for among: each claim's tags, subjects, who logged stances.
_TAGS = "SELECT DISTINCT t.value FROM claims c, json_each(c.tags) t"
_SUBJECTS = "SELECT DISTINCT subject FROM claims"
_LOGGERS = "SELECT DISTINCT logged_by FROM stances"
# A stance with its status first: no stance_statuses row is a plain stance, which counts.
_LISTED_SELECT = (STANCE_SELECT.replace("SELECT ", f"SELECT coalesce(st.status, '{COUNTED}'), ", 1)
                  + " LEFT JOIN stance_statuses st ON st.stance_id = s.id")


@attrs.frozen
class ListedStance:
    """A stance with its status under rule 1 (counted, superseded or retracted)."""

    stance: Stance
    status: str

    @property
    def counted(self) -> bool:
        return self.status == COUNTED


@attrs.frozen
class ClaimFilter:
    """Which claims `claim list` shows: every condition given must hold.

    verdicts, rulings: any of them (a claim has one of each); tags: all of them;
    subject: this one; source: claims it has taken a stance on (retracted ones too);
    question: its answers.
    """

    verdicts: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    subject: Optional[str] = None
    rulings: tuple[str, ...] = ()
    source: Optional[str] = None
    question: Optional[str] = None  # its answers


def ruling_or_none(value: str) -> str:
    """A ruling to filter on, checked: one of RULINGS, or 'none' for claims not ruled yet."""
    tidied = "-".join(str(value).strip().lower().replace("_", " ").split())
    check_choice("ruling", (*RULINGS, NO_RULING), tidied, "ruling")
    return tidied


def since_text(value: str) -> str:
    """A --since date as text that compares with stored UTC times: a date (or a partial one)
    as given, a date-time with an offset turned into UTC."""
    checked = check_date(value, "--since date", partial=True)
    if len(checked) <= 10:
        return checked
    moment = dt.datetime.fromisoformat(checked.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        return checked
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Listings:
    """The part of `Store` that lists claims and stances by what a fact-checker filters on."""

    conn: sqlite3.Connection

    def _spellings(self, sql: str, given: str) -> list[str]:
        """The stored values (from `sql`, one column) that are `given` once folded."""
        wanted = fold(given)
        return [value for (value,) in self.conn.execute(sql) if value is not None and fold(value) == wanted]

    def _unknown(self, sql: str, given: str, what: str) -> Optional[str]:
        """None when some record has `given` (a value of `sql`'s column); else a sentence
        saying none has, with the closest values that do."""
        if self._spellings(sql, given):
            return None
        known = (value for (value,) in self.conn.execute(sql) if value is not None)
        return f"{what} {given.strip()!r}{did_you_mean(given, known)}"

    def unmatched_filters(self, which: Optional[ClaimFilter] = None, logged_by: Optional[str] = None) -> list[str]:
        """For each tag, subject or user (who logged stances) filtered on that no record has,
        a sentence saying so with the closest ones that do: a listing filtered on it is
        empty, and a warning tells why (a claim or source that does not exist is an error)."""
        found = []
        if which is not None:
            found += [self._unknown(_TAGS, tag, "no claim is tagged") for tag in which.tags]
            if which.subject is not None:
                found.append(self._unknown(_SUBJECTS, which.subject, "no claim has the subject"))
        if logged_by is not None:
            found.append(self._unknown(_LOGGERS, logged_by, "no stance was logged by"))
        return [sentence for sentence in found if sentence]

    def claim_conditions(self, which: ClaimFilter) -> tuple[str, list]:
        """SQL conditions on claims `c` joined to reconciliations `r` for `which`, and their
        parameters: ' WHERE ...', or '' when every claim is wanted."""
        where, params = verdict_filter(which.verdicts or None)
        conditions = [where.replace(" WHERE ", "", 1)] if where else []
        for tag in which.tags:
            spellings = self._spellings(_TAGS, tag) or [None]
            conditions.append("EXISTS (SELECT 1 FROM json_each(c.tags) t WHERE t.value IN "
                              f"({','.join('?' * len(spellings))}))")
            params += spellings
        if which.subject is not None:
            spellings = self._spellings(_SUBJECTS, which.subject) or [None]
            conditions.append(f"c.subject IN ({','.join('?' * len(spellings))})")
            params += spellings
        if which.rulings:
            rulings = [ruling_or_none(ruling) for ruling in which.rulings]
            named = [ruling for ruling in RULINGS if ruling in rulings]
            either = [f"c.ruling IN ({','.join('?' * len(named))})"] if named else []
            if NO_RULING in rulings:
                either.append("c.ruling IS NULL")
            conditions.append("(" + " OR ".join(either) + ")")
            params += named
        if which.source is not None:  # the source, or one merged into it, on the claim or one merged into it
            sources = self.member_ids("sources", self.get_source(which.source).id)
            conditions.append(
                "EXISTS (SELECT 1 FROM stances s LEFT JOIN stance_statuses st ON st.stance_id = s.id "
                "WHERE coalesce(st.claim_id, s.claim_id) = c.id "
                f"AND s.source_id IN ({','.join('?' * len(sources))}))")
            params += sources
        if which.question is not None:
            conditions.append("c.question_id = ?")
            params.append(self.get_question(which.question)[0])
        return (" WHERE " + " AND ".join(conditions)) if conditions else "", params

    def stances_listed(self, claim: Optional[str] = None, source: Optional[str] = None,
                       logged_by: Optional[str] = None, since: Optional[str] = None,
                       retracted_only: bool = False) -> Iterator[ListedStance]:
        """The stances logged, in logging order, each with its status: those on `claim`
        (key or id), by `source` (name or id), logged by `logged_by`, logged on or after
        `since` (a date or date-time), and only the retracted ones when `retracted_only`."""
        conditions: list[str] = []
        params: list = []
        if claim is not None:  # a merged claim's stances are the kept claim's
            claims = self.member_ids("claims", self.get_claim(claim).id)
            conditions.append(f"s.claim_id IN ({','.join('?' * len(claims))})")
            params += claims
        if source is not None:  # and a merged source's, the kept source's
            sources = self.member_ids("sources", self.get_source(source).id)
            conditions.append(f"s.source_id IN ({','.join('?' * len(sources))})")
            params += sources
        if logged_by is not None:
            spellings = self._spellings(_LOGGERS, logged_by) or [None]
            conditions.append(f"s.logged_by IN ({','.join('?' * len(spellings))})")
            params += spellings
        if since is not None:
            conditions.append("s.logged_at >= ?")
            params.append(since_text(since))
        if retracted_only:
            conditions.append("s.retracted_at IS NOT NULL")
        where = (" WHERE " + " AND ".join(conditions)) if conditions else ""
        for row in self.conn.execute(_LISTED_SELECT + where + " ORDER BY s.id", params):
            yield ListedStance(stance_from_row(row[1:]), row[0])

    def listed_stance(self, stance_id: int) -> ListedStance:
        """One stance with its status (it must exist: see `get_stance`)."""
        row = self.conn.execute(_LISTED_SELECT + " WHERE s.id = ?", [stance_id]).fetchone()
        if row is None:
            raise NotFound(f"no stance with id {stance_id}")
        return ListedStance(stance_from_row(row[1:]), row[0])
