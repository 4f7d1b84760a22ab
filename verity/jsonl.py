"""JSONL: one record per line, `{"type": "source" | "claim" | "stance", ...fields}`.

Read as a stream, a line at a time, so memory stays flat however long the file.
"""

from __future__ import annotations

import json
import re
from typing import Any, BinaryIO, Callable, Iterator, Optional

from .errors import InvalidValue, did_you_mean
from .formats import RECORD_TYPES, Place, line_place, unique_keys

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
        if number == 1 and line.startswith(BOM):  # as a JSON document may start (a Windows editor's mark)
            line = line[len(BOM):]
        try:
            data = _loads(line)
        except ValueError as exc:
            if not line.strip():
                continue  # blank lines are allowed
            yield "error", f"not a JSON object ({_json_problem(line, exc)}); each line holds one record", line_place(number)
            continue
        # perhaps a key twice (a flat record's keys are all at its top: len(data) counts them)
        if data.__class__ is dict and (ends := _key_ends(line)) != len(data) and ends != _key_count(data):
            problem = _duplicate_key(line)
            if problem:
                yield "error", problem, line_place(number)
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


BOM = "\ufeff".encode()
# Every key in a line ends with a quote, maybe white space, and a colon: with the white space
# taken out, a '":'. When no more of those are found than keys were parsed, no key can have
# appeared twice (the parser keeps the last one silently); more (white space or a colon in a
# quoted value) and the line is parsed again, looking at every key.
_WHITE_SPACE = b" \t\r"


def _key_ends(line: bytes) -> int:
    """How many places in the line may end a key: at least as many as there are keys."""
    return line.translate(None, _WHITE_SPACE).count(b'":')


def _key_count(data: Any) -> int:
    """How many keys the objects in `data` hold, nested ones included."""
    count = 0
    pending = [data]
    while pending:  # without recursion: a line may nest a thousand deep
        value = pending.pop()
        if value.__class__ is dict:
            count += len(value)
            pending.extend(item for item in value.values() if item.__class__ is dict or item.__class__ is list)
        elif value.__class__ is list:
            pending.extend(value)
    return count


def _duplicate_key(line: bytes) -> Optional[str]:
    """What is wrong when an object on the line holds a key twice, else None."""
    try:
        json.loads(line, object_pairs_hook=unique_keys)
    except InvalidValue as exc:
        return str(exc)
    except (ValueError, RecursionError):
        return None  # the strict parser took it: nothing else to say
    return None


def _bad_type(kind: Any) -> str:
    expected = 'expected "type": "source", "claim", "stance", "question" or "change"'
    if kind is None:
        return f"the record has no type; {expected}"
    hint = did_you_mean(kind, _TYPES) if isinstance(kind, str) else ""
    return f"{json.dumps(kind)} is not a record type{hint}; {expected}"


def _json_problem(line: bytes, refused: Optional[Exception] = None) -> str:
    try:
        json.loads(line.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return f"byte {exc.start + 1} is not UTF-8"
    except json.JSONDecodeError as exc:
        return f"column {exc.colno}: {exc.msg}"
    except RecursionError:
        return "nested too deeply"
    else:
        half = re.search(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}", line.decode("utf-8"))
        if half:  # Python's parser takes what the stricter one refused: half a character
            return f"{half.group()} is half of a character, not text"
    return str(refused).split(":", 1)[0] if refused is not None else "unreadable"
