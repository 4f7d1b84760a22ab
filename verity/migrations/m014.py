"""m014: every date and time stored as verity stores them now: one instant, one text."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Optional

from ..errors import InvalidValue
from ..models import check_date
from .runner import migration

if TYPE_CHECKING:
    import sqlite_utils

# Every column that holds a date or time a person typed or a file gave (the command line took
# them as typed before; an import or a desk merge, as its file wrote them). The times verity's
# own clock writes (utc_now: the records' created_at, an estimate's computed_at and stale_since,
# a similarity check's checked_at) have been in UTC, with seconds, all along.
DATES = {
    "stances": ("said_on", "logged_at", "retracted_at", "retracted_on"),
    "rulings": ("ruled_at",),
    "claims": ("ruled_at",),  # its latest ruling's, which `Store.migrate` then sets again
    "aliases": ("added_at",),  # a desk merge's: when the change that gave the alias was made
    "changes": ("at",),
}
# Of the changes, only a retraction's holds a date as its value: when the source withdrew the
# stance, else when it was retracted. (A ruling's change holds the ruling, not its date.)
DATED_VALUES = {"changes": ("new", "action = 'retract'")}
STORED = "verity_date_as_stored"  # the SQL function `stored`, for the length of this migration


def stored(value: object) -> object:
    """A date or time as verity stores it (models.check_date), else the value as it is: one
    that cannot be read as a date (written by another program) is left alone."""
    try:
        return check_date(value, partial=True)  # partial: a said-on or withdrawal date may be "2023-08"
    except InvalidValue:
        return value


@migration
def m014_dates_as_stored(db: sqlite_utils.Database) -> None:
    """Dates are compared as text (docs/rules.md, rule 1), and verity now stores a time given
    with an offset as the same instant in UTC, with 'T' and with its seconds (models.check_date).
    A database written before holds them as they were typed: '2022-01-20T08:00-05:00' (13:00
    UTC) sorted before '2022-01-20T10:00:00Z', '2022-01-10 09:00' before '2022-01-10T08:00', and
    '10:00Z' after '10:00:30Z'; and its own export, read back, said otherwise than the database.

    Each such value is rewritten as check_date stores it, the one rule: stances' said-on, logged,
    retraction and withdrawal times; rulings' and claims' ruling times; when aliases were added
    and changes made, and a retraction's change's date. A value that cannot be read as a date
    (another program's) is left as it is, and so is a fraction of a second. Every uid stays as it
    is: other desks know the records by it (a file without uids imported again finds its stances
    by what they say, as dated now). What "latest" picks can change: `Store.migrate` then sets
    each claim's ruling to its latest ruling again and refreshes every reconciliation and stance
    status; a stance rewritten marks saved estimates stale (m006's trigger).

    The append-only triggers (m005, m008, m013) refuse these updates: those of a table with
    values to rewrite are dropped and made again, as they were and in their order, inside the
    upgrade's transaction."""
    conn = db.conn
    conn.create_function(STORED, 1, stored, deterministic=True)
    try:
        for table, columns in DATES.items():
            _rewrite(conn, table, columns, DATED_VALUES.get(table))
    finally:
        conn.create_function(STORED, 1, None)


def _rewrite(conn: sqlite3.Connection, table: str, columns: tuple[str, ...],
             dated: Optional[tuple[str, str]]) -> None:
    """Rewrite the values of `columns` of `table` that are not as stored, and of the `dated`
    column (column, condition) those of the rows that meet its condition."""
    sets = [f"{column} = {STORED}({column})" for column in columns]
    differs = [f"{column} IS NOT {STORED}({column})" for column in columns]
    if dated is not None:
        column, when = dated
        sets.append(f"{column} = CASE WHEN {when} THEN {STORED}({column}) ELSE {column} END")
        differs.append(f"({when} AND {column} IS NOT {STORED}({column}))")
    where = " OR ".join(differs)
    if conn.execute(f"SELECT 1 FROM {table} WHERE {where} LIMIT 1").fetchone() is None:
        return  # nothing to rewrite (a new database, or one written only by this verity): its triggers stay
    refusals = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
                            "AND sql LIKE '%RAISE(%' ORDER BY rowid", [table]).fetchall()
    for name, _sql in refusals:
        conn.execute(f'DROP TRIGGER "{name}"')
    # Every column in one SET: a stance's retracted_at among them, so that m006's trigger marks the
    # saved estimates stale once any stance is rewritten (which of its source's stances counts may change).
    conn.execute(f"UPDATE {table} SET {', '.join(sets)} WHERE {where}")
    for _name, sql in refusals:
        conn.execute(sql)
