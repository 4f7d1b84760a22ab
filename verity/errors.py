"""Errors a user can cause. Each message is one plain line: the problem and the fix."""

from __future__ import annotations

import os
import re
import stat
from typing import Iterable, Mapping, Optional

from .folding import fold


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


class NotVerityDatabase(DatabaseUnavailable):
    """The file is not a verity database: not SQLite's, or a SQLite database of no verity tables."""


class CannotWrite(VerityError):
    """A file verity was asked to write (a report, an export, metadata) cannot be written there."""


def unreadable(path, exc: OSError) -> InvalidValue:
    """The one line for a file that cannot be read: why, and what to do."""
    if isinstance(exc, FileNotFoundError):
        return InvalidValue(f"cannot read {path}: no such file; check the path")
    if isinstance(exc, IsADirectoryError):
        return InvalidValue(f"cannot read {path}: it is a folder; give the path of a file")
    return InvalidValue(f"cannot read {path}: {exc.strerror}; check the path and its permissions")


def check_readable(path, wanted: str) -> None:
    """InvalidValue unless `path` is something to read records from: a file, or a pipe
    (`<(zcat big.jsonl.gz)`); a device such as /dev/zero never ends. `wanted` names what
    to give instead ("a file to import")."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise unreadable(path, exc) from None
    if stat.S_ISDIR(mode):
        raise unreadable(path, IsADirectoryError())
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        raise InvalidValue(f"cannot read {path}: it is a device, not a file; give the path of {wanted}")


def edit_distance(a: str, b: str, limit: int) -> int:
    """The optimal-string-alignment distance between `a` and `b` (insertions, deletions,
    substitutions and swaps of two neighbours, one edit each), or `limit + 1` once it is
    sure to exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    # What the two share at either end costs nothing: keys and names often share a start.
    start = 0
    while start < len(a) and start < len(b) and a[start] == b[start]:
        start += 1
    end = 0
    while end < len(a) - start and end < len(b) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    a, b = a[start:len(a) - end], b[start:len(b) - end]
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, other in enumerate(b, 1):
            cost = char != other
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char == b[j - 2] and a[i - 2] == other:
                value = min(value, before[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[-1]


def typo_limit(word: str) -> int:
    """How many edits a mistyped word of this length may be from what was meant."""
    return 0 if len(word) <= 2 else 1 if len(word) <= 4 else 2 if len(word) <= 8 else 3


_WORD = re.compile(r"\w+")


def _within_words(given: list[str], words: list[str], memo: dict) -> Optional[int]:
    """The edits by which `given` differs from a run of as many neighbouring `words`
    (the best run), when each word is within a typo of its counterpart; else None.
    `memo` remembers word pairs already compared (names share their words)."""
    best = None
    for start in range(len(words) - len(given) + 1):
        total = 0
        for typed, word in zip(given, words[start:]):
            distance = memo.get((typed, word))
            if distance is None:
                limit = 0 if len(typed) < 4 else typo_limit(typed) - 1
                distance = 0 if typed == word else edit_distance(typed, word, limit) if limit else 1
                distance = memo[(typed, word)] = distance if distance <= limit else -1
            if distance < 0:
                break
            total += distance
        else:
            best = total if best is None else min(best, total)
    return best


def close_matches(word: str, candidates: Iterable[str], n: int = 3,
                  synonyms: Optional[Mapping[str, str]] = None) -> list[str]:
    """The candidates a person most likely meant by `word`, best first, at most `n`.

    Compared as names are (`verity.folding.fold`): a candidate that is `word` once
    folded, or the one `synonyms` gives for it (what a fact-checker might type for a
    position: 'agrees' for 'affirms'), is the answer; else candidates within a few
    typing mistakes (edits, `edit_distance`), then longer names that start with `word`
    or hold its words ('Peskov' in 'Dmitry Peskov'), exactly or within a typo.
    """
    given = fold(word)
    if not given:
        return []
    given_words = _WORD.findall(given)
    meant = next((fold(target) for typed, target in (synonyms or {}).items() if fold(typed) == given), None)
    limit = typo_limit(given)
    ranked: dict[str, tuple] = {}
    memo: dict[tuple[str, str], int] = {}
    for candidate in candidates:
        folded = fold(candidate)
        if not folded or folded in ranked:
            continue
        if folded == given:
            rank = (0, 0)
        elif folded == meant:
            rank = (1, 0)
        else:
            distance = edit_distance(given, folded, limit)
            if distance <= limit:
                rank = (2, distance)
            elif len(given) >= 2 and folded.startswith(given):  # the start of a longer name
                rank = (3, 0)
            else:
                words = _WORD.findall(folded)
                within = (_within_words(given_words, words, memo)
                          if given_words and len(words) > len(given_words) and max(map(len, given_words)) >= 3
                          else None)
                if within is None:
                    continue
                rank = (3, within)
        ranked[folded] = (*rank, abs(len(folded) - len(given)), folded, candidate)
    best = sorted(ranked.values())
    if best and best[0][0] <= 1:  # the same name, or what the synonym means: nothing else is as likely
        best = [entry for entry in best if entry[0] <= 1]
    return [entry[-1] for entry in best[:n]]


def did_you_mean(word: str, candidates: Iterable[str], synonyms: Optional[Mapping[str, str]] = None) -> str:
    """' (did you mean 'x'?)', ' (did you mean 'x' or 'y'?)', or '' when nothing is close
    (see `close_matches`). Every "no such name" message in verity ends its first half with it."""
    matches = close_matches(word, candidates, synonyms=synonyms)
    if not matches:
        return ""
    quoted = [repr(m) for m in matches]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f" (did you mean {listed}?)"
