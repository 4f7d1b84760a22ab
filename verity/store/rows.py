"""Rows <-> models: how sources, claims, stances and reconciliations sit in their tables."""

from __future__ import annotations

import json
import sqlite3
from json.encoder import encode_basestring
from typing import Optional, Sequence

from ..models import (
    CLAIM_FIELDS,
    STANCE_FIELDS,
    VERDICTS,
    Claim,
    Reconciliation,
    Retraction,
    Source,
    Stance,
    check_choice,
)
from ..names import fold
from ..reconcile import Outcome, contradiction_pairs

RETRACTION_COLUMNS = ("retracted_at", "retraction_reason", "retracted_by", "retracted_on")
# The stances table's columns but its id: the Stance's fields with the claim and source by id.
STANCE_COLUMNS = ("claim_id", "source_id", *STANCE_FIELDS[2:], *RETRACTION_COLUMNS, "uid", "desk")
STANCE_INSERT = f"INSERT INTO stances ({', '.join(STANCE_COLUMNS)}) VALUES ({', '.join('?' * len(STANCE_COLUMNS))})"

# The table of each kind of record that a change, or a uid, names.
RECORD_TABLES = {"source": "sources", "claim": "claims", "stance": "stances", "question": "questions"}
# A change as desks exchange it: its record named by uid (the record's id is each database's own).
CHANGE_COLUMNS = ("uid", "at", "by", "desk", "action", "record_type", "record_uid", "field", "old", "new", "reason")

# The key a claim's desk gave it: the one it had before a desk merge re-keyed it, else its key.
USER_KEY = "coalesce(rekeyed_from, key)"
# Records that are one by their name, which a desk merge points at the oldest of them (docs/desks.md,
# "What a merge resolves"; verity.store.resolve): those of one table with every expression here equal,
# each under the field an edit changes it by. A source's folded name; a claim's key, as its desk gave
# it, and its text. The one statement of the rule: settling a merge, loading a file, staging one, and
# telling which edits must settle again all read it from here.
ALIKE = {"sources": {"name": "folded"}, "claims": {"key": USER_KEY, "text": "text"}}


def alike(table: str) -> str:
    """The expressions of ALIKE for `table`, comma-separated: a select list, or in parentheses a row value."""
    return ", ".join(ALIKE[table].values())


# What a source, and a claim, is stored with beside its fields: who made it, where and when.
PROVENANCE_COLUMNS = ("uid", "desk", "created_at", "created_by")
SOURCE_COLUMNS = ("name", "folded", "kind", "affiliation", "reliability", "url", "note", *PROVENANCE_COLUMNS)
SOURCE_INSERT = f"INSERT INTO sources ({', '.join(SOURCE_COLUMNS)}) VALUES ({', '.join('?' * len(SOURCE_COLUMNS))})"

STANCE_SELECT = (
    "SELECT s.id, c.key, src.name, s.position, s.quote, s.url, s.said_on, s.via, s.note, "
    "s.logged_at, s.logged_by, s.retracted_at, s.retraction_reason, s.retracted_by, s.retracted_on, s.uid, s.desk "
    "FROM stances s JOIN claims c ON c.id = s.claim_id JOIN sources src ON src.id = s.source_id"
)

RECONCILIATION_RESULT = (
    "verdict, score, agreement, affirming, denying, neutral, affirming_origins, denying_origins, contradictions"
)
RECONCILIATION_UPSERT = (
    "INSERT INTO reconciliations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (claim_id) DO UPDATE "
    "SET ({0}) = ({1}) WHERE ({0}) IS NOT ({1})".format(
        RECONCILIATION_RESULT, ", ".join("excluded." + c for c in RECONCILIATION_RESULT.split(", "))
    )
)

# A stance's status as reconcile.StanceStatus gives it, field for field.
STANCE_STATUS_SELECT = ("SELECT st.stance_id, st.status, st.previous_id, st.claim_id, st.source_id "
                        "FROM stance_statuses st")
STANCE_STATUS_WRITE = ("INSERT OR REPLACE INTO stance_statuses (stance_id, status, previous_id, claim_id, source_id) "
                       "VALUES (?, ?, ?, ?, ?)")
STANCE_STATUS_DELETE = "DELETE FROM stance_statuses WHERE stance_id = ?"

RECONCILIATION_COLUMNS = (
    "c.key, c.text, c.ruling, r.verdict, r.score, r.agreement, r.affirming, r.denying, "
    "r.neutral, r.affirming_origins, r.denying_origins"
)
RECONCILIATION_SELECT = (
    "SELECT " + RECONCILIATION_COLUMNS + " FROM claims c JOIN reconciliations r ON r.claim_id = c.id"
)


def check_verdicts(verdicts: Optional[Sequence[str]]) -> tuple[str, ...]:
    """The verdicts asked for, checked, in the order reports list them; every verdict when none are."""
    if not verdicts:
        return VERDICTS
    for verdict in verdicts:
        check_choice("verdict", VERDICTS, verdict, "verdict")
    return tuple(v for v in VERDICTS if v in set(verdicts))


def verdict_filter(verdicts: Optional[Sequence[str]]) -> tuple[str, list]:
    """SQL that keeps the reconciliations `r` with these verdicts (checked), and its parameters;
    nothing when every verdict is kept."""
    checked = check_verdicts(verdicts)
    if checked == VERDICTS:
        return "", []
    return f" WHERE r.verdict IN ({','.join('?' * len(checked))})", list(checked)


def table_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def stance_from_row(row) -> Stance:
    """A Stance from a row of STANCE_SELECT."""
    (stance_id, claim, source, position, quote, url, said_on, via, note,
     logged_at, logged_by, retracted_at, reason, retracted_by, retracted_on, uid, desk) = row
    retracted = (Retraction(reason=reason, at=retracted_at, by=retracted_by, on=retracted_on)
                 if retracted_at else None)
    return Stance(
        claim=claim, source=source, position=position, quote=quote, url=url, said_on=said_on,
        via=via, note=note, logged_at=logged_at, logged_by=logged_by, retracted=retracted, uid=uid, desk=desk,
        id=stance_id,
    )


_NOT_RETRACTED = (None,) * len(RETRACTION_COLUMNS)


def stance_values(stance: Stance) -> tuple:
    """A stance as the values of STANCE_FIELDS, then of RETRACTION_COLUMNS, its uid and desk."""
    retracted = stance.retracted
    return (*(getattr(stance, name) for name in STANCE_FIELDS),
            *(_NOT_RETRACTED if retracted is None else (retracted.at, retracted.reason, retracted.by, retracted.on)),
            stance.uid, stance.desk)


def source_row(source: Source, at: Optional[str], by: Optional[str]) -> tuple:
    """A source as the values of SOURCE_COLUMNS (its uid given), made `at` a time `by` someone."""
    return (source.name, fold(source.name), source.kind, source.affiliation, source.reliability, source.url,
            source.note, source.uid, source.desk, at, by)


def source_from_row(row: dict) -> Source:
    """A Source from a sources row given as a dict of its columns."""
    return Source.as_stored(
        name=row["name"], kind=row["kind"], affiliation=row["affiliation"],
        reliability=row["reliability"], url=row["url"], note=row["note"], uid=row.get("uid"),
        desk=row.get("desk"), id=row["id"],
    )


CLAIM_COLUMNS = (*CLAIM_FIELDS, *PROVENANCE_COLUMNS)
# A claim's row with its question's key (as `Store._claim_from_row` reads it).
CLAIM_SELECT = "SELECT c.*, q.key AS question FROM claims c LEFT JOIN questions q ON q.id = c.question_id"
CLAIM_INSERT = f"INSERT INTO claims ({', '.join(CLAIM_COLUMNS)}) VALUES ({', '.join('?' * len(CLAIM_COLUMNS))})"
# A claim's ruling is the latest of its ruling history: by ruled_at (one without a date last), then
# by uid. SET_LATEST_RULING gives it to the claims its caller's WHERE names.
_RULING = "ruling, ruling_explanation, ruled_at, ruled_by"
_LATEST_RULING = ("SELECT ruling, explanation, ruled_at, ruled_by FROM rulings r WHERE r.claim_id = claims.id "
                  "ORDER BY ruled_at IS NULL, ruled_at DESC, uid DESC LIMIT 1")
SET_LATEST_RULING = f"UPDATE claims SET ({_RULING}) = ({_LATEST_RULING})"
# The claims with a ruling history whose ruling is not its latest ruling.
NOT_LATEST_RULING = (f"EXISTS (SELECT 1 FROM rulings r WHERE r.claim_id = claims.id) "
                     f"AND ({_RULING}) IS NOT ({_LATEST_RULING})")


def claim_insert_row(row: tuple, uid: str, desk: Optional[str], at: Optional[str], by: Optional[str]) -> tuple:
    """The values of CLAIM_COLUMNS: a claim as `claim_row` gives it, and where it comes from."""
    return (*row, uid, desk, at, by)


def claim_row(claim: Claim) -> tuple:
    """A claim as the values of CLAIM_FIELDS (its tags as a JSON list)."""
    return claim_row_of(tuple(getattr(claim, name) for name in CLAIM_FIELDS))


def claim_row_of(values: tuple) -> tuple:
    """claim_row from the values of CLAIM_FIELDS, as a Claim holds them (its tags a tuple)."""
    key, text, subject, tags, *rest = values
    return (key, text, subject, _tags_json(tags), *rest)


_TAGS_JSON: dict[tuple, str] = {}  # the same few sets of tags recur over thousands of claims


def _tags_json(tags: tuple) -> str:
    text = _TAGS_JSON.get(tags)
    if text is None:
        text = json.dumps(list(tags), ensure_ascii=False)
        if len(_TAGS_JSON) >= 4_096:  # bounded however many claims
            _TAGS_JSON.clear()
        _TAGS_JSON[tags] = text
    return text


def claim_of_values(values: tuple) -> Claim:
    """The claim (with no id) whose claim_row, in CLAIM_FIELDS order, is `values`."""
    return claim_from_row({**dict(zip(CLAIM_FIELDS, values)), "id": None})


def claim_from_row(row: dict) -> Claim:
    """A Claim from a claims row given as a dict of its columns (its question, when it has
    one, given as `question` by the caller)."""
    return Claim(
        key=row["key"], text=row["text"], subject=row["subject"], tags=tuple(json.loads(row["tags"])),
        note=row["note"], ruling=row["ruling"], ruling_explanation=row["ruling_explanation"],
        ruled_at=row["ruled_at"], ruled_by=row["ruled_by"], question=row.get("question"), uid=row.get("uid"),
        desk=row.get("desk"), id=row["id"],
    )


def reconciliation_row(claim_id: int, r: Outcome) -> tuple:
    return (
        claim_id, r.verdict, r.score, r.agreement,
        json_names(r.affirming), json_names(r.denying), json_names(r.neutral),
        r.affirming_origins, r.denying_origins, r.contradiction_count,
    )


def json_names(names: Sequence[str]) -> str:
    """The text json.dumps(list(names), ensure_ascii=False) gives: the same string encoder
    json.dumps uses, without its set-up per call (a full refresh makes three calls a claim)."""
    return "[" + ", ".join(map(encode_basestring, names)) + "]" if names else "[]"


def reconciliation_from_row(row) -> Reconciliation:
    (key, text, ruling, verdict, score, agreement, affirming, denying, neutral,
     affirming_origins, denying_origins) = row
    affirming, denying = tuple(json.loads(affirming)), tuple(json.loads(denying))
    return Reconciliation(
        claim=key, text=text, verdict=verdict, score=score, agreement=agreement,
        affirming=affirming, denying=denying, neutral=tuple(json.loads(neutral)),
        affirming_origins=affirming_origins, denying_origins=denying_origins,
        contradictions=contradiction_pairs(affirming, denying), ruling=ruling,
    )
