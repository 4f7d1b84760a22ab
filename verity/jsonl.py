"""JSONL: one record per line, `{"type": "source" | "claim" | "stance", ...fields}`.

Read as a stream, a line at a time, so memory stays flat however long the file.
"""

from __future__ import annotations

import json
from typing import Any, BinaryIO, Callable, Iterator, Optional

from .errors import did_you_mean
from .formats import RECORD_TYPES, Place, line_place

try:  # a faster parser when it is installed; the results are the same
    import orjson

    _loads: Callable[[bytes], Any] = orjson.loads
except ImportError:  # pragma: no cover
    _loads = json.loads

PROGRESS_EVERY = 2_000  # lines between progress reports
_TYPES = tuple(RECORD_TYPES)


def read_jsonl(handle: BinaryIO, progress: Optional[Callable[[int], None]] = None
               ) -> Iterator[tuple[str, Any, Place]]:
    """(type, data, place) for every line; a line that is not a record gives ("error", message, place)."""
    done = 0
    for number, line in enumerate(handle, 1):
        done += len(line)
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(done)
        try:
            data = _loads(line)
        except ValueError:
            if not line.strip():
                continue  # blank lines are allowed
            yield "error", f"not a JSON object ({_json_problem(line)}); each line holds one record", line_place(number)
            continue
        if not isinstance(data, dict):
            got = "a list" if isinstance(data, list) else json.dumps(data)[:40]
            yield "error", f"expected a JSON object with a \"type\", got {got}", line_place(number)
            continue
        kind = data.pop("type", None)
        if kind not in RECORD_TYPES:
            yield "error", _bad_type(kind), line_place(number).field("type")
            continue
        yield kind, data, line_place(number)
    if progress is not None:
        progress(done)


def _bad_type(kind: Any) -> str:
    expected = 'expected "type": "source", "claim", "stance", "question" or "change"'
    if kind is None:
        return f"the record has no type; {expected}"
    hint = did_you_mean(kind, _TYPES) if isinstance(kind, str) else ""
    return f"{json.dumps(kind)} is not a record type{hint}; {expected}"


def _json_problem(line: bytes) -> str:
    try:
        json.loads(line.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return f"byte {exc.start + 1} is not UTF-8"
    except json.JSONDecodeError as exc:
        return f"column {exc.colno}: {exc.msg}"
    return "unreadable"
