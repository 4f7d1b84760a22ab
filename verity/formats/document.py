"""The JSON document verity exports and imports: its versions, its records, and the line each
record starts on (so a problem in a pretty-printed document can say where it is)."""

from __future__ import annotations

import json
import re
from typing import Any, Iterator, Optional

from ..models import Change, Claim, Question, Source, Stance
from .describe import unknown_fields
from .places import Place

FORMAT_VERSION = 2  # what export writes; import reads this and every version before it
READ_VERSIONS = (1, 2)
RECORD_TYPES = {"question": Question, "source": Source, "claim": Claim, "stance": Stance, "change": Change}
# What a version-2 document adds to a record beyond its model's fields (docs/import-export.md). A
# field ending _uid names the record the field before it names by key or name, where another
# record of the file has that key or name too (what an export writes then, and only then).
RECORD_EXTRAS = {"source": ("aliases", "merged_into", "merged_into_uid"),
                 "claim": ("aliases", "rulings", "merged_into", "merged_into_uid"),
                 "stance": ("claim_uid", "source_uid")}


def document_records(data: Any, lines: Optional["DocumentLines"] = None) -> Iterator[tuple[str, Any, Place]]:
    """The records of a JSON document as (type, data, place): questions, sources, claims,
    stances, changes (the last and the first from version 2 on). With the document's
    `lines`, a record's place also says the line it starts on (`line 12, $.stances[3]`).

    Problems with the document's outline come out as ("error", message, place).
    """
    if not isinstance(data, dict):
        yield "error", "a verity JSON document is an object with sources, claims and stances", Place()
        return
    version = data.get("verity", 1)
    if version not in READ_VERSIONS:
        yield "error", (
            f"document version {version!r} is not one this verity reads; expected \"verity\": "
            f"{' or '.join(map(str, READ_VERSIONS))} (a newer verity wrote it? upgrade verity)"
        ), Place().field("verity")
        return
    parts = ["verity", "sources", "claims", "stances"] + (["questions", "changes"] if version >= 2 else [])
    unknown = sorted(set(data) - set(parts))
    if unknown:
        yield "error", unknown_fields(unknown, parts), Place().field(unknown[0]) if len(unknown) == 1 else Place()
    for part in ("questions", "sources", "claims", "stances", "changes"):
        if part not in parts:
            continue
        items = data.get(part, [])
        place = Place().field(part)
        if not isinstance(items, list):
            yield "error", f"expected a list of {part}", place
            continue
        for index, item in enumerate(items):
            yield part[:-1], item, place.item(index) if lines is None else Place(
                f"$.{part}[{index}]", _RecordLine(lines, part, index))


class DocumentLines:
    """The line each record of a JSON document starts on, worked out from the document's text
    only when a problem is said (the parsed document does not keep where its parts were)."""

    def __init__(self, text: str):
        self.text = text
        self.one_line = "\n" not in text.strip()  # the path alone says where, then
        self._lines: dict[str, list[int]] = {}

    def of(self, part: str, index: int) -> Optional[int]:
        """The line item `index` of the document's list `part` starts on, if it can be found
        (and None in a document of one line, where the path alone says where)."""
        if self.one_line:
            return None
        if part not in self._lines:
            self._lines[part] = _item_lines(self.text, part)
        lines = self._lines[part]
        return lines[index] if index < len(lines) else None


class _RecordLine:
    """'line 12, ': where a record of a JSON document starts, shown as a place's prefix."""

    def __init__(self, lines: DocumentLines, part: str, index: int):
        self.lines, self.part, self.index = lines, part, index

    def __str__(self) -> str:
        line = self.lines.of(self.part, self.index)
        return "" if line is None else f"line {line}, "


_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


def _item_lines(text: str, part: str) -> list[int]:
    """The line each item of the top-level list `part` of a JSON document starts on; [] when
    the text is not laid out so (a problem elsewhere says what is wrong with it)."""
    try:
        at = _SPACE.match(text).end()
        if text[at] != "{":
            return []
        at += 1
        while True:
            at = _SPACE.match(text, at).end()
            if text[at] != '"':
                return []
            key, at = _DECODER.raw_decode(text, at)
            at = _SPACE.match(text, at).end() + 1  # past the colon
            at = _SPACE.match(text, at).end()
            if key == part:
                return _starts(text, at + 1) if text[at] == "[" else []
            _value, at = _DECODER.raw_decode(text, at)
            at = _SPACE.match(text, at).end()
            at += text[at] == ","
    except (ValueError, IndexError, RecursionError):
        return []


def _starts(text: str, at: int) -> list[int]:
    """The line each item of the JSON list whose first item is at or after `at` starts on."""
    lines, line, counted = [], 1, 0
    while True:
        at = _SPACE.match(text, at).end()
        if text[at] == "]":
            return lines
        line += text.count("\n", counted, at)
        counted = at
        lines.append(line)
        _value, at = _DECODER.raw_decode(text, at)
        at = _SPACE.match(text, at).end()
        at += text[at] == ","
