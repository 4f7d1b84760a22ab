"""Importing records into the store: all of them in one transaction, or none.

A reader turns a file into records, (type, data, place) one at a time: a JSON
document (`formats.document_records`), JSONL (`jsonl.read_jsonl`), CSV
(`csvio.read_csv`) or ClaimReview (`claimreview.Reviews`). `rows.prepared`
checks each plain stance with the models' own rules and makes it into its row;
for a large JSONL or CSV file a second process does that (`ahead`). An `Importer`
(`records`) checks the rest, finds each stance's claim and source (`references`),
and hands them to the store's bulk load (`Store.bulk_load`), which leaves out the
stances logged before; what a version-2 document adds beyond the models' fields
(aliases, ruling histories, merges, changes) it applies once every record is in
(`extras`). Every problem is kept with its place and said in file order
(`summary`); any problem rolls the whole import back.

Memory stays flat however long the input: what is remembered is bounded by the
number of sources and claims, by a few batches of stances, and by the problems found.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Optional

from .. import claimreview
from ..errors import InvalidValue, unreadable
from ..formats import DocumentLines, Place, document_records, unique_keys
from ..models import Claim, Source, Stance, check_choice
from ..names import fold
from ..store import BulkLoad, Store
from . import ahead
from .records import Importer
from .rows import Record, prepared
from .summary import ImportSummary, Problems

FORMATS = ("json", "jsonl", "csv", "claimreview")
EXTENSIONS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".jsonld": "claimreview"}

Progress = Callable[[int], None]  # told how many bytes of the input have been read

__all__ = ["EXTENSIONS", "FORMATS", "ImportSummary", "Importer", "Problems", "Progress", "Record", "content_format",
           "fold", "format_of", "import_file", "import_records", "readable_as", "run_import"]


def run_import(store: Store, records: Iterable[Record], name: str = "the file", *, new_file: bool = False,
               create_missing: bool = False, user: Optional[str] = None, missing_hint: str = "") -> ImportSummary:
    """Import (type, data, place) records in one transaction: all of them, or none.

    `new_file`: the database was created for this import (see `Store.bulk_load`).
    """
    with store.bulk_load(new_file=new_file) as load:
        importer = Importer(load, create_missing=create_missing, user=user, missing_hint=missing_hint)
        for kind, data, place in records:
            importer.add(kind, data, place)
        return importer.finish(name)


def import_records(store: Store, sources: Iterable[Source] = (), claims: Iterable[Claim] = (),
                   stances: Iterable[Stance] = (), where: str = "$") -> dict[str, int]:
    """Add sources, claims and stances in one transaction: all of them, or none.

    A source or claim already present is reused when its fields agree and is
    an error when they differ; a stance identical to one already logged is
    skipped, so importing the same records twice adds nothing.
    """
    base = Place(where)
    with store.bulk_load() as load:
        importer = Importer(load)
        for part, records, add in (("sources", sources, importer.source), ("claims", claims, importer.claim),
                                   ("stances", stances, importer.stance)):
            for i, record in enumerate(records):
                importer.record += 1
                add(record, base.field(part).item(i))
        return importer.finish("the records").as_dict()


def format_of(path: Path, given: Optional[str] = None) -> str:
    """The format named by --format, else by the file's extension."""
    if given:
        check_choice("import format", FORMATS, given, "format")
        return given
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise InvalidValue(
            f"cannot tell the format of {path} from its extension; "
            f"name it .json, .jsonl, .csv or .jsonld, or give --format {'|'.join(FORMATS)}"
        )
    return fmt


def import_file(store: Store, path: Path, fmt: Optional[str] = None, *, create_missing: bool = False,
                progress: Optional[Progress] = None, stream: Optional[BinaryIO] = None,
                new_file: bool = False) -> ImportSummary:
    """Import a file (or `stream`, e.g. stdin) in the given or implied format: all of it, or nothing.

    A .json file is read as ClaimReview when it holds JSON-LD, unless `fmt` says json.
    `new_file`: the database was created for this import, and is deleted if it fails
    (see `Store.bulk_load`).
    """
    with store.bulk_load(new_file=new_file) as load:
        return _import_file(load, path, fmt, create_missing, progress, stream)


def _import_file(load: BulkLoad, path: Path, fmt: Optional[str], create_missing: bool,
                 progress: Optional[Progress], stream: Optional[BinaryIO]) -> ImportSummary:
    sniff = fmt is None
    fmt = format_of(path, fmt)
    if create_missing and fmt != "csv":
        raise InvalidValue("--create-missing is for CSV files, whose rows name claims and sources by key and name")
    name = str(path)
    handle = stream if stream is not None else open_input(path)
    try:
        _check_content(handle, fmt, "standard input" if stream is not None else name, sniff)
        if fmt in ahead.READERS:  # a format read a record at a time: JSONL, CSV
            # Only a file can be read again: a pipe (standard input, a FIFO) is read once.
            again = stream is None and path.is_file()
            importer = Importer(load, create_missing=create_missing, missing_hint=MISSING_HINTS[fmt],
                                reread=(lambda: _read_again(path, fmt)) if again else None)
            if stream is None and ahead.can_read_ahead(path, fmt):
                with ahead.read_ahead(path, fmt, importer.user, progress) as records:
                    _add_all(importer, records)
                return importer.finish(name)
            records: Iterable[Record] = ahead.READERS[fmt](handle, progress)
        else:
            text, data = load_json_text(path, handle)
            if fmt == "claimreview" or (sniff and claimreview.looks_like_claimreview(data)):
                reviews = claimreview.Reviews(data)
                importer = Importer(load)
                _add_all(importer, reviews)
                importer.finish(name).notes.extend(reviews.notes())
                return importer.summary
            importer = Importer(load, missing_hint="add the {kind} to the document's {kind}s, or first with '{command}'",
                                reread=lambda: document_records(json.loads(text), DocumentLines(text)))
            records = document_records(data, DocumentLines(text))
        _add_all(importer, prepared(records, importer.user))
        return importer.finish(name)
    finally:
        if stream is None:
            handle.close()


# How to fix a reference to a claim or source that is not there, in each format that streams.
MISSING_HINTS = {"jsonl": "add the {kind} on an earlier line, or first with '{command}'",
                 "csv": "add it first with '{command}', or import with --create-missing"}

# What each format is called, and the extension that names it, for a file that says one
# thing by its name and another by its content.
FORMAT_NAMES = {"json": "a JSON document", "jsonl": "JSON lines (one record per line)", "csv": "CSV",
                "claimreview": "schema.org ClaimReview"}
FORMAT_EXTENSIONS = {"json": ".json", "jsonl": ".jsonl", "csv": ".csv", "claimreview": ".jsonld"}
_SNIFF_BYTES = 1 << 16


def content_format(head: bytes) -> Optional[str]:
    """The format a file's first bytes show it to be, or None when they do not say.

    A first line that is a JSON object with a "type" is JSON lines; one with "verity",
    "sources", "claims" or "stances" a verity document; one with "@context" or "@type"
    ClaimReview; a JSON value that does not end on its first line a document (ClaimReview
    when it names it); a first line naming the claim, source and position columns CSV.
    """
    text = head.decode("utf-8-sig", errors="replace").lstrip()
    if not text:
        return None
    first = text.split("\n", 1)[0].strip()
    if text[0] in "{[":
        try:
            value = json.loads(first)
        except RecursionError:
            return None  # nested past reason: the reader says so
        except ValueError:  # the value goes on past its first line: one document
            if "ClaimReview" in text:
                return "claimreview"
            return "json" if text[0] == "{" else None
        if isinstance(value, dict):
            if "type" in value:
                return "jsonl"
            if "@context" in value or "@type" in value:
                return "claimreview"
            if value.keys() & {"verity", "sources", "claims", "stances"}:
                return "json"
        if isinstance(value, list) and "ClaimReview" in first:
            return "claimreview"
        return None
    from ..csvio import column_name

    columns = {column_name(cell) for cell in first.split(",")}
    return "csv" if {"claim", "source", "position"} <= columns else None


def readable_as(fmt: str, found: str) -> bool:
    """Whether content in the `found` format can be imported as `fmt` (an import of "json" reads a
    verity document or ClaimReview; one of "claimreview", a document of reviews)."""
    return found == fmt or {fmt, found} == {"json", "claimreview"}


def _check_content(handle: BinaryIO, fmt: str, name: str, from_extension: bool) -> None:
    """InvalidValue, before anything is read, when the file's first bytes show another format."""
    peek = getattr(handle, "peek", None)
    if peek is None:
        return
    found = content_format(peek(_SNIFF_BYTES)[:_SNIFF_BYTES])
    if found is None or readable_as(fmt, found):
        return
    told = "as its extension says" if from_extension else "as --format says"
    fix = f"rename it {FORMAT_EXTENSIONS[found]} or give --format {found}" if from_extension \
        else f"give --format {found}"
    raise InvalidValue(f"{name} looks like {FORMAT_NAMES[found]}, not {FORMAT_NAMES[fmt]} {told}; {fix}")


def _read_again(path: Path, fmt: str) -> Iterator[Record]:
    """A file of JSONL or CSV read again, as it was read (`Importer.reread`)."""
    with open_input(path) as handle:
        yield from ahead.READERS[fmt](handle, None)


def _add_all(importer: Importer, records: Iterable[Record]) -> None:
    add = importer.add
    for kind, data, place in records:
        add(kind, data, place)


def open_input(path: Path) -> BinaryIO:
    """The file as bytes, with a plain error when it cannot be read."""
    try:
        return open(path, "rb")
    except OSError as exc:
        raise unreadable(path, exc) from None


def load_json(path: Path, handle: BinaryIO) -> Any:
    """The JSON in the file, or InvalidValue saying why it is not JSON."""
    return load_json_text(path, handle)[1]


def load_json_text(path: Path, handle: BinaryIO) -> tuple[str, Any]:
    """The file's text and the JSON it holds (`load_json`)."""
    try:
        text = handle.read().decode("utf-8-sig")
        return text, json.loads(text, object_pairs_hook=unique_keys)
    except RecursionError:
        raise InvalidValue(f"{path} is nested too deeply to be a verity document or ClaimReview "
                           "(lists or objects inside each other hundreds deep); fix the file") from None
    except InvalidValue as exc:
        raise InvalidValue(f"{path}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise InvalidValue(f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise InvalidValue(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); fix the file"
        ) from None
