"""Every record as an export carries it: merged records too, with aliases, rulings and history."""

from __future__ import annotations

import sqlite3
from typing import Iterator, Optional

import attrs

from ..models import Change, Claim, Question, Ruling, Source
from .rows import CLAIM_SELECT, source_from_row


@attrs.frozen
class SourceEntry:
    """A source as an export writes it: its other names, and the source it was merged into."""

    source: Source
    aliases: tuple[str, ...]
    merged_into: Optional[str]  # the name of the source it was merged into


@attrs.frozen
class ClaimEntry:
    """A claim as an export writes it: its old keys, its ruling history, the claim it was merged into."""

    claim: Claim
    aliases: tuple[str, ...]
    rulings: tuple[Ruling, ...]
    merged_into: Optional[str]  # the key of the claim it was merged into


class Export:
    """The part of `Store` that reads every record for an export, in a stable order."""

    conn: sqlite3.Connection

    def source_entries(self) -> Iterator[SourceEntry]:
        """Every source, merged ones included, by name."""
        aliases = self._aliases("source_id")
        names = dict(self.conn.execute("SELECT id, name FROM sources"))
        columns = self._columns("sources")
        for row in self.conn.execute("SELECT * FROM sources ORDER BY folded, name, uid"):
            data = dict(zip(columns, row))
            yield SourceEntry(source_from_row(data), tuple(aliases.get(data["id"], ())),
                              names.get(data["merged_into"]))

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
        keys = dict(self.conn.execute("SELECT id, key FROM claims"))
        for row in self.conn.execute(f"{CLAIM_SELECT} ORDER BY c.id"):
            claim = self._claim_from_row(row)
            merged = self.conn.execute("SELECT merged_into FROM claims WHERE id = ?", [claim.id]).fetchone()[0]
            yield ClaimEntry(claim, tuple(aliases.get(claim.id, ())), tuple(rulings.get(claim.id, ())),
                             keys.get(merged))

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
