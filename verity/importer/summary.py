"""What an import says: the records it added and found, or every problem, in file order."""

from __future__ import annotations

import attrs

from ..errors import Conflict, InvalidValue
from ..formats import MAX_ERRORS
from ..names import counted


@attrs.define
class ImportSummary:
    """What an import did: records added, records that were already there, what it made up."""

    sources: int = 0
    claims: int = 0
    stances: int = 0
    sources_present: int = 0  # records that matched one already in the database
    claims_present: int = 0
    stances_present: int = 0  # stances identical to one logged before: skipped
    sources_created: int = 0  # made by --create-missing, counted in `sources` too
    claims_created: int = 0
    notes: list[str] = attrs.field(factory=list)  # what could not be carried over, for the user

    def as_dict(self) -> dict[str, int]:
        """The records added, by type: {"sources": …, "claims": …, "stances": …}."""
        return {"sources": self.sources, "claims": self.claims, "stances": self.stances}

    def line(self, name: str) -> str:
        """The one-line summary: 'Imported 3 sources, 2 claims, 10 stances from x.csv.'"""
        text = (f"Imported {counted(self.sources, 'source')}, {counted(self.claims, 'claim')}, "
                f"{counted(self.stances, 'stance')} from {name}")
        extra = []
        created = [counted(n, what) for n, what in ((self.sources_created, "missing source"),
                                                    (self.claims_created, "missing claim")) if n]
        if created:
            extra.append(f"created {' and '.join(created)}")
        present = []
        if self.sources_present:
            present.append(counted(self.sources_present, "source"))
        if self.claims_present:
            present.append(counted(self.claims_present, "claim"))
        if present:
            extra.append(f"{' and '.join(present)} already there")
        if self.stances_present:
            extra.append(f"{counted(self.stances_present, 'stance')} already logged, skipped")
        return text + (f" ({'; '.join(extra)})" if extra else "") + "."


class Problems:
    """Every problem of an import, counted; the first MAX_ERRORS in file order kept to be said.

    A problem is found either as its record is read or when its batch of stances is
    written (an unknown claim or source); each comes with the number of its record
    in the file, so that they are said in file order however they were found.
    """

    def __init__(self):
        self.count = 0
        self.conflicts = 0
        self._kept: list[tuple[int, int, str]] = []  # (record number, order found, text)

    def add(self, record: int, text: str, conflict: bool = False) -> None:
        """Note a problem found at record `record` (kept in file order, however found)."""
        self.count += 1
        self.conflicts += conflict
        self._kept.append((record, self.count, text))
        if len(self._kept) >= 10 * MAX_ERRORS:
            self._kept = sorted(self._kept)[:MAX_ERRORS]

    def shown(self, record: int) -> bool:
        """Whether a problem of this record would be among those said (or may be)."""
        return len(self._kept) < MAX_ERRORS or record < sorted(self._kept)[MAX_ERRORS - 1][0]

    def failure(self, name: str) -> Exception:
        """The error that says them all: a Conflict when every problem is one, else InvalidValue."""
        texts = [text for _record, _order, text in sorted(self._kept)[:MAX_ERRORS]]
        cls = Conflict if self.conflicts == self.count else InvalidValue
        if self.count == 1:
            return cls(f"{texts[0]}; nothing was imported")
        lines = [f"{self.count:,} problems in {name}; nothing was imported:"]
        lines += [f"  {text}" for text in texts]
        if self.count > len(texts):
            lines.append(f"  (and {self.count - len(texts):,} more)")
        return cls("\n".join(lines))
