"""CSV: one stance per row, under a header naming the stance fields.

    claim,source,position,quote,url,said_on,via,note,logged_at,logged_by,retracted_at,retraction_reason,retracted_by,retracted_on,uid,desk

Read as a stream. Columns may come in any order; only claim, source and
position are required, an empty cell is an absent value, and a header may say
"Said on" or "said-on" for said_on. A stance with a retraction reason was
retracted (at retracted_at, by retracted_by; the source withdrew it on
retracted_on). A row is the stance record a JSON document holds, the
retraction's columns gathered into its "retracted", and is checked by the same
rules (a uid must be a uid). Every error names its line (the line a row starts
on, as a spreadsheet shows it) and column.

`write_csv` writes every stance of a database with every one of these columns:
what `verity export --format csv` writes, and `verity import` reads back. Where two
claims of the database share a key, or two sources a name, it adds claim_uid and
source_uid: the uid of a row's claim and source, where its key or name alone is
ambiguous (an import finds the record by it, and checks it has that key or name).
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any, BinaryIO, Callable, Iterator, Optional, TextIO

from .errors import did_you_mean
from .formats import CsvPlace

COLUMNS = ("claim", "source", "position", "quote", "url", "said_on", "via", "note", "logged_at", "logged_by",
           "retracted_at", "retraction_reason", "retracted_by", "retracted_on", "uid", "desk")
# The retraction's columns, and the field of a stance's "retracted" object each fills.
RETRACTION_COLUMNS = {"retracted_at": "at", "retraction_reason": "reason", "retracted_by": "by",
                      "retracted_on": "on"}
_RETRACTION_FIELDS = {field: column for column, field in RETRACTION_COLUMNS.items()}
# The uid of a row's claim and of its source, where another claim has its key (another source its
# name): what the export writes, in these two columns, where the database has such records (and a
# key or name alone would leave the import to guess which is meant: docs/import-export.md).
REFERENCE_COLUMNS = ("claim_uid", "source_uid")
READ_COLUMNS = COLUMNS + REFERENCE_COLUMNS
REQUIRED = ("claim", "source", "position")
PROGRESS_EVERY = 2_000


# A spreadsheet runs a cell that starts with one of these as a formula; quotes and names
# from the database must stay text (OWASP "CSV injection"). What verity writes for people
# to open (the CSV report, Datasette's CSV downloads under 'verity browse') puts a ' first.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?", re.ASCII)


def spreadsheet_text(value: str) -> str:
    """Text as a spreadsheet shows it rather than runs it: "'=1+1" for "=1+1"."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def spreadsheet_cell(cell: str) -> str:
    """A cell of a CSV that does not say which cells are numbers: a plain number (a score of
    -0.5) is left a number, any other cell made `spreadsheet_text`."""
    if cell[:1] == "-" and _NUMBER.fullmatch(cell):
        return cell
    return spreadsheet_text(cell)


def column_name(header: str) -> str:
    """'Said on' / 'said-on' / ' SAID_ON ' -> 'said_on'."""
    return "_".join(header.strip().lower().replace("-", " ").split())


class RowPlace(CsvPlace):
    """A row, whose retraction's fields are named by their columns: `line 5, column retracted_on`,
    not the `retracted.on` of the record the row is read into."""

    def field(self, name: str) -> CsvPlace:
        if self.column == "retracted" and name in _RETRACTION_FIELDS:
            return CsvPlace(self.line, _RETRACTION_FIELDS[name])
        place = super().field(name)
        return RowPlace(place.line, place.column)


def read_csv(handle: BinaryIO, progress: Optional[Callable[[int], None]] = None
             ) -> Iterator[tuple[str, Any, CsvPlace]]:
    """("stance", row, place) for every row; problems come as ("error", message, place)."""
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    # strict: a quote left open would otherwise take every row after it into one cell, silently.
    reader = csv.reader(text, strict=True)
    start = 1
    try:
        header = next(reader, None)
        if header is None:
            yield "error", "the file is empty; expected a header row naming the columns: " + ", ".join(COLUMNS), CsvPlace(1)
            return
        names = [column_name(h) for h in header]
        problems = _header_problems(header, names)
        if problems:
            for problem in problems:
                yield "error", problem, CsvPlace(1)
            return
        rows = 0
        start = reader.line_num + 1
        for row in reader:
            place = RowPlace(start)
            start = reader.line_num + 1
            rows += 1
            if progress is not None and rows % PROGRESS_EVERY == 0:
                progress(handle.tell())
            if not any(cell.strip() for cell in row):
                continue  # a blank line
            if len(row) != len(names):
                yield "error", (f"{len(row)} cells, but the header has {len(names)} columns "
                                f"({', '.join(names)}); check for a stray or missing comma or quote"), place
                continue
            yield "stance", _stance(names, row), place
    except UnicodeDecodeError:
        yield "error", "the file is not UTF-8 text from here on; save it as UTF-8 (CSV UTF-8 in a spreadsheet)", CsvPlace(start)
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            yield "error", ("a quote opened on this row is never closed, so every line after it would be "
                            "one cell; close the quote (a quote inside a quoted cell is written twice: \"\")"), \
                CsvPlace(start)
        else:
            yield "error", f"unreadable CSV ({exc}); check the quotes on this row", CsvPlace(start)
    finally:
        if progress is not None:
            try:
                progress(handle.tell())
            except (OSError, ValueError):
                pass
        text.detach()  # leave the caller's file open for the caller to close


def _stance(names: list[str], row: list[str]) -> dict[str, Any]:
    """A row as the stance's fields (the retraction's gathered into "retracted"), empty cells left out."""
    data: dict[str, Any] = {name: cell for name, cell in zip(names, row) if cell.strip()}
    retraction = {field: data.pop(column) for column, field in RETRACTION_COLUMNS.items() if column in data}
    if retraction:
        data["retracted"] = retraction
    return data


def write_csv(store, out: TextIO) -> dict[str, int]:
    """Write every stance of `store`, in logging order, one row each under a header of COLUMNS
    (and REFERENCE_COLUMNS where two claims share a key or two sources a name); returns how many.
    Each cell is written as it is (no quote put before a leading '='): the export is data for
    `read_csv`, which takes a cell as it stands, not a report."""
    writer = csv.writer(out, lineterminator="\n")
    references = store.names_shared()
    writer.writerow(READ_COLUMNS if references else COLUMNS)
    count = 0
    for entry in store.stance_entries():
        stance = entry.stance
        retracted = stance.retracted
        writer.writerow([stance.claim, stance.source, stance.position, stance.quote, stance.url, stance.said_on,
                         stance.via, stance.note, stance.logged_at, stance.logged_by,
                         retracted.at if retracted else None, retracted.reason if retracted else None,
                         retracted.by if retracted else None, retracted.on if retracted else None,
                         stance.uid, stance.desk, *((entry.claim_uid, entry.source_uid) if references else ())])
        count += 1
    return {"stances": count}


def _header_problems(header: list[str], names: list[str]) -> list[str]:
    problems = []
    for raw, name in zip(header, names):
        if name not in READ_COLUMNS:
            hint = did_you_mean(name, READ_COLUMNS)
            problems.append(f"unknown column {raw!r}{hint}; the columns are: {', '.join(COLUMNS)}")
    seen = set()
    for name in names:
        if name in seen and name in READ_COLUMNS:
            problems.append(f"column {name!r} appears twice; keep one")
        seen.add(name)
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        problems.append(f"no {', '.join(missing)} column; a stance row needs claim, source and position")
    return problems


__all__ = ["COLUMNS", "FORMULA_STARTS", "READ_COLUMNS", "REFERENCE_COLUMNS", "column_name", "read_csv", "spreadsheet_cell", "spreadsheet_text",
           "write_csv"]
