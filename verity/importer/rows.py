"""Records made into the rows they will be staged as: the part of an import that needs
nothing from the database (`preparer`), so the read-ahead child process (`ahead`) may
run it while this one writes.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Optional

from .. import uids
from ..formats import RECORD_EXTRAS, Place, claim_row_maker, stance_row_maker
from ..store import claim_row_of
from ..store.bulk import GAVE_LOGGED_AT, GAVE_LOGGED_BY, GAVE_UID

Record = tuple[str, Any, Place]  # (type, data, place): see records.Importer.add
_CLAIM_LATER = frozenset(RECORD_EXTRAS["claim"])  # a claim record with any of these goes the full way


def prepared(records: Iterable[Record], user: str) -> Iterator[Record]:
    """The records, each made ready as `preparer` makes it."""
    return map(preparer(user), records)


def preparer(user: str) -> Callable[[Record], Record]:
    """What makes a record ready to import: each plain stance (nearly all of them) made into
    the row it will stage, ("stance-row", (given, *values), place) (see `quick_stance`), and
    each plain claim into its row, ("claim-row", (row, uid, desk), place); any other record
    as it is. What is read, checked and derived here needs nothing from the database, so
    `ahead` may do it in another process; `records.Importer.add` takes a record either way."""
    make_stance, make_claim = stance_row_maker(), claim_row_maker()

    def prepare(record: Record) -> Record:
        kind, data, place = record
        if kind == "stance" and data.__class__ is dict:
            quick = quick_stance(data, user, make_stance)
            if quick is not None:
                return "stance-row", quick, place
        elif kind == "claim" and data.__class__ is dict and not data.keys() & _CLAIM_LATER:
            quick = quick_claim(data, make_claim)
            if quick is not None:
                return "claim-row", quick, place
        return record

    return prepare


def quick_claim(data: dict, make: Callable[[dict], Optional[tuple]]) -> Optional[tuple]:
    """A claim record that gives its key and no question, made the quick way into its row
    (`store.claim_row`), its uid (None when the file gives none) and desk; None when it needs
    the full check."""
    values = make(data) if not data.get("question") else None
    if values is None:
        return None
    *fields, uid, desk = values
    return claim_row_of(tuple(fields)), uid, desk


def quick_stance(data: dict, user: str, make: Callable[[dict], Optional[tuple]]) -> Optional[tuple]:
    """A stance record made into the row it will stage, the quick way (`formats.stance_row_maker`'s
    `make`): as `staged` gives it, its values as `store.stance_values` gives them but without a
    retraction (the quick way takes none). None, with `data` as it was, when the record needs
    the full check."""
    given_by = "logged_by" in data
    if not given_by:
        data["logged_by"] = user  # who imported it, as 'stance add' records who logged it
    values = make(data)
    if values is None:
        if not given_by:
            del data["logged_by"]
        return None
    same_time = "logged_at" in data  # else it is logged now, and a re-import matches on content
    return staged(values, same_time, given_by)  # never retracted: bulk.STAGED_UNRETRACTED


def staged(values: tuple, same_time: bool, given_by: bool) -> tuple:
    """A stance's values (those of STANCE_FIELDS first, its uid and desk last) as the row it is
    staged as (bulk.STAGED_COLUMNS): first what its file gave of it, then the values, with the
    uid its content gives when it has none (`with_uid`). `same_time`: the file gave its
    logged_at; `given_by`: its logged_by."""
    given = (GAVE_LOGGED_AT if same_time else 0) | (GAVE_LOGGED_BY if given_by else 0) \
        | (GAVE_UID if values[-2] is not None else 0)
    return (given, *with_uid(values, same_time, given_by))


def with_uid(values: tuple, same_time: bool, given_by: bool) -> tuple:
    """A stance's values (those of STANCE_FIELDS first, its uid and desk last), with the uid its
    content gives when it has none: what the file says, not what this import adds (its time
    unless the file gave it, its logger unless the file named one), so one file imported on two
    desks gives the same uids."""
    if values[-2] is not None:
        return values
    claim_key, source_name, position, quote, url, said_on, via, _note, logged_at, logged_by = values[:10]
    uid = uids.of_stance(claim_key.strip(), source_name.strip(), position, quote, url, said_on, via,
                         logged_at if same_time else None, logged_by if given_by else None)
    return (*values[:-2], uid, values[-1])
