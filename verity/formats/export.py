"""Writing the whole database out: as the JSON document (`write_document`) or as JSONL
(`write_jsonl`), record by record, without holding it in memory."""

from __future__ import annotations

import json
from typing import IO, Any, Iterable, Iterator

from .convert import converter
from .document import FORMAT_VERSION


def document_of(store) -> dict:
    """The whole database as the JSON document `write_document` writes (for tests and small databases)."""
    return {"verity": FORMAT_VERSION, **{part: list(records) for part, records in _export_parts(store)}}


def _with_uids(record: dict, **uids: Any) -> dict:
    """A record with the uid of each record it names by a key or name that another record of the
    export has too (`Store.stance_entries`), and only then: a file without such a name is as it was."""
    record.update((field, uid) for field, uid in uids.items() if uid is not None)
    return record


def source_json(entry: Any) -> dict:
    """A source as a document holds it: its fields, then its aliases and what it was merged into."""
    return _with_uids({**converter.unstructure(entry.source), "aliases": list(entry.aliases),
                       "merged_into": entry.merged_into}, merged_into_uid=entry.merged_into_uid)


def claim_json(entry: Any) -> dict:
    """A claim as a document holds it: its fields (its ruling the latest), then its old keys,
    its ruling history (oldest first) and what it was merged into."""
    return _with_uids({**converter.unstructure(entry.claim), "aliases": list(entry.aliases),
                       "rulings": [converter.unstructure(ruling) for ruling in entry.rulings],
                       "merged_into": entry.merged_into}, merged_into_uid=entry.merged_into_uid)


def stance_json(entry: Any) -> dict:
    """A stance as a document holds it: its fields, its claim by key and its source by name."""
    return _with_uids(converter.unstructure(entry.stance), claim_uid=entry.claim_uid, source_uid=entry.source_uid)


def _export_parts(store) -> Iterator[tuple[str, Iterable[Any]]]:
    yield "questions", map(converter.unstructure, store.questions())
    yield "sources", map(source_json, store.source_entries())
    yield "claims", map(claim_json, store.claim_entries())
    yield "stances", map(stance_json, store.stance_entries())
    yield "changes", map(converter.unstructure, store.all_changes())


def write_document(store, out: IO[str]) -> dict[str, int]:
    """Write the whole database as a JSON document (version 2), record by record.

    The text is exactly `dumps(document_of(store))` plus a newline, without
    holding the database in memory. Returns the count of each record type.
    """
    counts = {}
    out.write('{\n  "verity": %d' % FORMAT_VERSION)
    for part, records in _export_parts(store):
        out.write(f',\n  "{part}": [')
        count = 0
        for record in records:
            text = json.dumps(record, indent=2, ensure_ascii=False)
            # JSON strings escape their newlines, so every raw newline is layout.
            out.write(("\n    " if count == 0 else ",\n    ") + text.replace("\n", "\n    "))
            count += 1
        out.write("\n  ]" if count else "]")
        counts[part] = count
    out.write("\n}\n")
    return counts


def write_jsonl(store, out: IO[str]) -> dict[str, int]:
    """Write the whole database as JSONL: questions, sources, claims, stances, then changes, one per line."""
    counts = {}
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for part, records in _export_parts(store):
        kind = part[:-1]
        count = 0
        for record in records:
            out.write(encode({"type": kind, **record}) + "\n")
            count += 1
        counts[part] = count
    return counts
