"""Errors a user can cause. Each message is one plain line: the problem and the fix."""

from __future__ import annotations

import difflib
from typing import Iterable


class VerityError(Exception):
    """Something the user asked for cannot be done; the message says why and what to do."""

    exit_code = 1


class InvalidValue(VerityError, ValueError):
    """A value is not one verity accepts (a position, a grade, a date, empty text)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field  # the model field at fault, so file errors can point at it


class NotFound(VerityError):
    """A claim, source or stance that does not exist was named."""


class Duplicate(VerityError):
    """A claim key or source name is already taken."""


class Conflict(VerityError):
    """The request contradicts what the database already holds."""


class DatabaseUnavailable(VerityError):
    """The database file cannot be opened or is not a verity database."""


class CannotWrite(VerityError):
    """A file verity was asked to write (a report, an export, metadata) cannot be written there."""


def close_matches(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidates closest to `word`, compared case-insensitively."""
    by_folded: dict[str, str] = {}
    for candidate in candidates:
        by_folded.setdefault(candidate.casefold(), candidate)
    folded = difflib.get_close_matches(word.casefold(), list(by_folded), n=n, cutoff=0.6)
    return [by_folded[f] for f in folded]


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """' (did you mean 'x'?)' or '' when nothing is close."""
    matches = close_matches(word, candidates)
    if not matches:
        return ""
    return " (did you mean " + " or ".join(repr(m) for m in matches) + "?)"
