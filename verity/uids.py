"""uids: globally unique ids that sort by creation time.

Every source, claim, question, stance, ruling and change gets one when it is
created, and keeps it through export, import and merge, so desks can tell their
records apart and agree on which is older. A uid is a UUID in its text form:
version 7 (the first 48 bits the creation time in milliseconds, the rest random)
for a record made here; version 8 for one imported without a uid, derived from
its content (and, where the record has one, its time), so that one file imported
on two desks gives the same uids.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import time
from typing import Optional

from .names import fold

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_SEPARATOR = "\x1f"  # cannot occur in a checked text field (control characters are refused)


def _format(ms: int, rest: bytes, version: int) -> str:
    """A UUID: 48 bits of `ms`, the version, then 74 bits of `rest` with the RFC 9562 variant."""
    rest_int = int.from_bytes(rest[:10], "big") & ((1 << 74) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | version << 76 | (rest_int >> 62) << 64 | 0b10 << 62 | (
        rest_int & ((1 << 62) - 1))
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


_UID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def is_uid(value: object) -> bool:
    """Whether `value` is a uid as verity writes them: a UUID in lower-case text."""
    return isinstance(value, str) and _UID_RE.fullmatch(value) is not None


def new() -> str:
    """A fresh uid for a record created now."""
    return _format(time.time_ns() // 1_000_000, os.urandom(10), 7)


_FRACTION = re.compile(r"\.(\d+)")


def milliseconds(iso: Optional[str]) -> int:
    """An ISO date or date-time as milliseconds since 1970 (UTC when it has no offset); 0 if none."""
    if not iso:
        return 0
    text = iso.strip().replace("Z", "+00:00").replace(" ", "T", 1)
    if len(text) == 4:
        text += "-01-01"
    elif len(text) == 7:
        text += "-01"
    # Python 3.10 reads a fraction of a second of three or six digits only: given six.
    text = _FRACTION.sub(lambda found: "." + (found.group(1) + "00000")[:6], text)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return max(0, int((moment - _EPOCH).total_seconds() * 1000))


def derived(kind: str, *parts: Optional[str], at: Optional[str] = None) -> str:
    """The uid of a record imported without one: a function of what it is (`kind`), its
    identifying `parts` and, where it has one, the time it was made (`at`)."""
    content = _SEPARATOR.join([kind, *["" if part is None else part for part in parts]])
    return _format(milliseconds(at), hashlib.blake2b(content.encode("utf-8", "surrogatepass"), digest_size=10).digest(), 8)


# What each kind of record imported without a uid derives its uid from: what identifies it
# (a source by its folded name, a claim by its key, a stance by everything it says and
# when and by whom it was logged), so one file imported on two desks gives the same uids.


def of_source(name: str) -> str:
    return derived("source", fold(name))


def of_claim(key: str) -> str:
    return derived("claim", key)


def of_claim_beside(key: str, text: str) -> str:
    """A claim imported without a uid whose key a claim of the database has, saying something else
    (`verity merge` of a file without uids): a claim of its own, from its key and its text, and
    younger than any claim made (its time is in the year 6429 or later). The file says not when it
    was made, so it does not take the key from the database's claim, which says; its first hex
    digits, which its key ends with once it is re-keyed, are its content's."""
    digest = hashlib.blake2b(_SEPARATOR.join(["claim beside", key, text]).encode("utf-8", "surrogatepass"),
                             digest_size=16).digest()
    return _format(1 << 47 | int.from_bytes(digest[:6], "big") >> 1, digest[6:], 8)


def of_question(key: str) -> str:
    return derived("question", key)


def of_stance(claim: str, source: str, position: str, quote: Optional[str], url: Optional[str],
              said_on: Optional[str], via: Optional[str], logged_at: Optional[str], logged_by: Optional[str]) -> str:
    return derived("stance", claim, fold(source), position, quote, url, said_on, via, logged_at, logged_by,
                   at=logged_at)


def of_ruling(claim: str, ruling: str, explanation: Optional[str], ruled_at: Optional[str],
              ruled_by: Optional[str]) -> str:
    return derived("ruling", claim, ruling, explanation, ruled_at, ruled_by, at=ruled_at)


def of_alias(target_uid: str, alias: str) -> str:
    return derived("alias", target_uid, fold(alias))


def of_change(record_uid: str, action: str, field: Optional[str], old: Optional[str], new: Optional[str],
              at: str, by: Optional[str]) -> str:
    return derived("change", record_uid, action, field, old, new, at, by, at=at)
