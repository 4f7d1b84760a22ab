"""Every record as an export carries it: merged records too, with aliases, rulings and history."""

from __future__ import annotations

import sqlite3
from typing import Iterator, Optional

import attrs

from ..models import Change, Claim, Question, Ruling, Source, Stance
from .rows import CLAIM_SELECT, STANCE_SELECT, source_from_row, stance_from_row


@attrs.frozen
class SourceEntry:
    """A source as an export writes it: its other names, and the source it was merged into."""

    source: Source
    aliases: tuple[str, ...]
    merged_into: Optional[str]  # the name of the source it was merged into
    merged_into_uid: Optional[str] = None  # that source's uid, where another source has its name


@attrs.frozen
class ClaimEntry:
    """A claim as an export writes it: its old keys, its ruling history, the claim it was merged into."""

    claim: Claim
    aliases: tuple[str, ...]
    rulings: tuple[Ruling, ...]
    merged_into: Optional[str]  # the key of the claim it was merged into
    merged_into_uid: Optional[str] = None  # that claim's uid, where another claim has its key


@attrs.frozen
class StanceEntry:
    """A stance as an export writes it: its claim by key and its source by name, and the uid of
    either where another record of the export has that key or name (docs/import-export.md)."""

    stance: Stance
    claim_uid: Optional[str] = None
    source_uid: Optional[str] = None


class Export:
    """The part of `Store` that reads every record for an export, in a stable order."""

    conn: sqlite3.Connection

    def source_entries(self) -> Iterator[SourceEntry]:
        """Every source, merged ones included, by name."""
        aliases = self._aliases("source_id")
        names = {record_id: (name, uid) for record_id, name, uid in self.conn.execute("SELECT id, name, uid FROM sources")}
        shared = self._shared("sources")
        columns = self._columns("sources")
        for row in self.conn.execute("SELECT * FROM sources ORDER BY folded, name, uid"):
            data = dict(zip(columns, row))
            name, uid = names.get(data["merged_into"], (None, None))
            yield SourceEntry(source_from_row(data), tuple(aliases.get(data["id"], ())), name,
                              uid if name in shared else None)

    def claim_entries(self) -> Iterator[ClaimEntry]:
        """Every claim, merged ones included, in the order they were added."""
        aliases = self._aliases("claim_id")
        rulings: dict[int, list[Ruling]] = {}
        for claim_id, *row in self.conn.execute(
                "SELECT claim_id, ruling, explanation, ruled_at, ruled_by, uid, desk FROM rulings "
                "ORDER BY claim_id, ruled_at IS NOT NULL, ruled_at, uid"):
            ruling, explanation, ruled_at, ruled_by, uid, desk = row
            rulings.setdefault(claim_id, []).append(Ruling(ruling=ruling, explanation=explanation, ruled_at=ruled_at,
                                                           ruled_by=ruled_by, uid=uid, desk=desk))
        keys = {record_id: (key, uid) for record_id, key, uid in self.conn.execute("SELECT id, key, uid FROM claims")}
        shared = self._shared("claims")
        for row in self.conn.execute(f"{CLAIM_SELECT} ORDER BY c.id"):
            claim = self._claim_from_row(row)
            merged = self.conn.execute("SELECT merged_into FROM claims WHERE id = ?", [claim.id]).fetchone()[0]
            key, uid = keys.get(merged, (None, None))
            yield ClaimEntry(claim, tuple(aliases.get(claim.id, ())), tuple(rulings.get(claim.id, ())), key,
                             uid if key in shared else None)

    def stance_entries(self) -> Iterator[StanceEntry]:
        """Every stance ever logged, in logging order, with the uid of its claim (of its source)
        where another claim has its key (another source its name)."""
        keys, names = self._shared("claims"), self._shared("sources")
        for row in self.conn.execute(STANCE_SELECT.replace(" FROM ", ", c.uid, src.uid FROM ", 1) + " ORDER BY s.id"):
            stance = stance_from_row(row[:-2])
            yield StanceEntry(stance, row[-2] if stance.claim in keys else None,
                              row[-1] if stance.source in names else None)

    def names_shared(self) -> bool:
        """Whether two claims share a key or two sources a name: then some stance may give the uid
        of its claim or source (`stance_entries`)."""
        return bool(self._shared("claims") or self._shared("sources"))

    def _shared(self, table: str) -> set[str]:
        """The keys (of claims) or names (of sources, spelt alike) that more than one record has: a
        desk merge's re-keyed claim given its key back, a record merged into another of its name.
        A file that named such a record by it alone would leave its reader to guess which it is."""
        if table == "claims":
            return {key for (key,) in self.conn.execute(
                "SELECT key FROM claims GROUP BY key COLLATE BINARY HAVING count(*) > 1")}
        # Names are matched as they fold ('Reuters', 'reuters'): each spelling of a name shared so.
        return {name for (name,) in self.conn.execute(
            "SELECT name FROM sources WHERE folded IN (SELECT folded FROM sources GROUP BY folded "
            "HAVING count(*) > 1)")}

    def questions(self) -> Iterator[Question]:
        """Every question, by key."""
        for key, text, uid, desk in self.conn.execute("SELECT key, text, uid, desk FROM questions ORDER BY key"):
            yield Question(key=key, text=text, uid=uid, desk=desk)

    def all_changes(self) -> Iterator[Change]:
        """Every change, oldest first."""
        return reversed(list(self.changes(described=False)))

    def _aliases(self, column: str) -> dict[int, list[str]]:
        # By the alias itself, not by when it was added: the same alias given on two desks is
        # one row, whose added_at is the desk's that merged first, and every desk's export of
        # the same record must read the same.
        found: dict[int, list[str]] = {}
        for record_id, alias in self.conn.execute(
                f"SELECT {column}, alias FROM aliases WHERE {column} IS NOT NULL ORDER BY folded, alias, uid"):
            found.setdefault(record_id, []).append(alias)
        return found
