"""Turning verity's models into JSON and back: one cattrs converter for everything.

Input is checked by the same attrs validators as the command line; unknown keys
are errors (they are usually typos) and every error names its place, e.g.
`$.stances[3].position`, `line 12, $.position` (JSONL) or `line 12, column
position` (CSV), says what is wrong and what is expected.
"""

from __future__ import annotations

import functools
import json
import re
from typing import IO, Any, Callable, Iterable, Iterator, Optional, Union

import attrs
import cattrs
from cattrs.preconf.json import make_converter

from .errors import InvalidValue, did_you_mean
from .models import (
    CLAIM_FIELDS,
    GRADES,
    POSITIONS,
    RULINGS,
    STANCE_FIELDS,
    Change,
    Claim,
    Question,
    Reconciliation,
    Retraction,
    Source,
    Stance,
)
from .names import check_text

FORMAT_VERSION = 2  # what export writes; import reads this and every version before it
READ_VERSIONS = (1, 2)
MAX_ERRORS = 20
RECORD_TYPES = {"question": Question, "source": Source, "claim": Claim, "stance": Stance, "change": Change}
# What a version-2 document adds to a record beyond its model's fields (docs/import-export.md).
RECORD_EXTRAS = {"source": ("aliases", "merged_into"), "claim": ("aliases", "rulings", "merged_into")}

converter = make_converter(forbid_extra_keys=True, omit_if_default=False)


def _shown(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except RecursionError:
        return "lists or objects nested hundreds deep"
    return text if len(text) <= 40 else text[:39] + "…"


def _text(value: Any, _type: type) -> str:
    # cattrs would make text of anything (null -> "None", [1] -> "[1]"); a file must say what it means.
    if isinstance(value, str):
        return value if value.isascii() and "\x00" not in value else check_text(value, "the value")
    raise InvalidValue(f"expected text, got {_shown(value)}")


def _tags(value: Any, _type: type) -> Any:
    # The model's own converter tidies tags (one string is one tag); a string must not become letters.
    if isinstance(value, (str, list, tuple)):
        return value
    raise InvalidValue(f"expected a list of tags, got {_shown(value)}")


def _optional_text(value: Any, _type: Any) -> Optional[str]:
    if value is None:
        return value
    if isinstance(value, str):
        return value if value.isascii() and "\x00" not in value else check_text(value, "the value")
    raise InvalidValue(f"expected text or null, got {_shown(value)}")


converter.register_structure_hook(str, _text)
converter.register_structure_hook_func(lambda type_: type_ == Optional[str], _optional_text)
converter.register_structure_hook_func(lambda type_: type_ == tuple[str, ...], _tags)


def _without_id(cls):
    base = cattrs.gen.make_dict_unstructure_fn(cls, converter, id=cattrs.gen.override(omit=True))
    return base


for _cls in (Source, Claim, Stance):
    converter.register_unstructure_hook(_cls, _without_id(_cls))
    converter.register_structure_hook(
        _cls,
        cattrs.gen.make_dict_structure_fn(
            _cls, converter, _cattrs_forbid_extra_keys=True, id=cattrs.gen.override(omit=True)
        ),
    )


def unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    """An object from its key-value pairs (a `json.loads` object_pairs_hook), or InvalidValue
    when a key appears twice: a parser keeps the last one, and the first is lost unseen."""
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _value in pairs if key in seen or seen.add(key))
        raise InvalidValue(f"the key {json.dumps(twice, ensure_ascii=False)} appears twice in one object "
                           f"({_shown(data)}); keep one")
    return data


def to_json(value: Any) -> Any:
    """Plain JSON-ready data (dicts, lists) for any verity model or list of them."""
    return converter.unstructure(value)


def dumps(value: Any) -> str:
    """Any verity model (or list of them) as indented JSON text."""
    return json.dumps(to_json(value), indent=2, ensure_ascii=False)


def reconciliation_json(reconciliation: Reconciliation) -> dict:
    """The object `verity reconcile --json` prints for a claim (lists, not tuples)."""
    data = to_json(reconciliation)
    data["contradictions"] = [list(pair) for pair in reconciliation.contradictions]
    return data


def json_list(items: Iterable[Any]) -> Iterator[str]:
    """A JSON list of JSON-ready items as text chunks, one item a line, so it can be
    written as the items are read."""
    first = True
    for item in items:
        yield ("[\n  " if first else ",\n  ") + json.dumps(item, ensure_ascii=False)
        first = False
    yield "[]\n" if first else "\n]\n"


# -- where a value is, for error messages ------------------------------------------


class Place:
    """A JSON path, possibly inside a numbered line: `$.stances[3]`, `line 12, $`."""

    def __init__(self, path: str = "$", prefix: Any = ""):  # prefix: text, or what shows as text ("line 12, ")
        self.path = path
        self.prefix = prefix

    def field(self, name: str) -> "Place":
        """The place of field `name` of the object here."""
        return Place(f"{self.path}.{name}", self.prefix)

    def item(self, index: Any) -> "Place":
        """The place of item `index` of the list here."""
        return Place(f"{self.path}[{index!r}]", self.prefix)

    def __str__(self) -> str:
        return f"{self.prefix}{self.path}"


class CsvPlace(Place):
    """A CSV row (`line 12`) or one of its cells (`line 12, column position`)."""

    def __init__(self, line: int, column: Optional[str] = None):
        super().__init__()
        self.line = line
        self.column = column

    def field(self, name: str) -> "CsvPlace":
        """The place of column `name` of this row."""
        return CsvPlace(self.line, name if self.column is None else f"{self.column}.{name}")

    def item(self, index: Any) -> "CsvPlace":
        """The place of item `index` of this cell's value."""
        return CsvPlace(self.line, f"{self.column}[{index!r}]")

    def __str__(self) -> str:
        return f"line {self.line}" + (f", column {self.column}" if self.column else "")


class LinePlace(Place):
    """The object on a JSONL line: `line 12, $`. Made for every line, so it is made cheaply."""

    __slots__ = ("line",)

    def __init__(self, line: int):
        self.line = line

    @property
    def path(self) -> str:  # type: ignore[override]
        """The path of the object on the line: always its root."""
        return "$"

    @property
    def prefix(self) -> str:  # type: ignore[override]
        """'line N, ': where the path starts."""
        return f"line {self.line}, "


line_place = LinePlace


# What a required field should hold, so "missing" can say what is expected.
_EXPECTED = {
    "name": "the source's name, e.g. \"Afghan government spokesperson\"",
    "text": "the statement to check, e.g. \"Mufti Khalid Balti was killed\"",
    "claim": "the key of a claim, e.g. \"balti-was-killed\"",
    "source": "the name of a source",
    "position": "one of: " + ", ".join(POSITIONS),
    "reason": "why the stance was retracted",
    "reliability": "one of: " + ", ".join(GRADES),
    "ruling": "one of: " + ", ".join(RULINGS),
}


def describe_errors(exc: BaseException, path: Union[str, Place] = "$", type_: Optional[type] = None) -> list[str]:
    """One line per problem, each naming where it is, e.g. `... @ $.stances[3].position`."""
    place = Place(path) if isinstance(path, str) else path
    if isinstance(exc, cattrs.IterableValidationError):
        with_notes, without = exc.group_exceptions()
        lines = []
        for inner, note in with_notes:
            lines += describe_errors(inner, place.item(note.index))
        for inner in without:
            lines += describe_errors(inner, place)
        return lines
    if isinstance(exc, cattrs.ClassValidationError):
        with_notes, without = exc.group_exceptions()
        lines = []
        for inner, note in with_notes:
            if isinstance(inner, KeyError):
                lines.append(f"{_missing(note.name)} @ {place.field(note.name)}")
            else:
                lines += describe_errors(inner, place.field(note.name), type_=note.type)
        for inner in without:
            lines += describe_errors(inner, place)
        return lines
    field = getattr(exc, "field", None)
    if isinstance(exc, cattrs.ForbiddenExtraKeysError) and len(exc.extra_fields) == 1:
        (field,) = exc.extra_fields
    where = place.field(field) if field else place
    return [f"{_format_exception(exc, type_)} @ {where}"]


def _missing(name: str) -> str:
    expected = _EXPECTED.get(name)
    return "required field missing" + (f"; expected {expected}" if expected else "")


def _type_name(type_: Any) -> str:
    names = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}
    if type_ in names:
        return names[type_]
    args = getattr(type_, "__args__", None)
    if args and type(None) in args:  # Optional[X]
        inner = [a for a in args if a is not type(None)]
        return (_type_name(inner[0]) if len(inner) == 1 else "a value") + " or null"
    if attrs.has(type_):
        return f"an object with the {type_.__name__.lower()} fields"
    if getattr(type_, "__origin__", None) in (tuple, list):
        return "a list"
    return getattr(type_, "__name__", str(type_))


def _format_exception(exc: BaseException, type_: Optional[type]) -> str:
    if isinstance(exc, InvalidValue):
        return str(exc)
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return unknown_fields(exc.extra_fields, [f.name for f in attrs.fields(exc.cl) if f.name != "id"])
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, (TypeError, ValueError, AttributeError)) and type_ is not None:
        return f"expected {_type_name(type_)}"
    return str(exc) or exc.__class__.__name__


def unknown_fields(names: Iterable[str], allowed: list[str]) -> str:
    """'unknown field 'qoute' (did you mean 'quote'?); ...' for fields a record may not have."""
    names = sorted(names)
    guesses = [did_you_mean(name, allowed) for name in names]
    listed = ", ".join(repr(name) + guess for name, guess in zip(names, guesses))
    plural = "s" if len(names) > 1 else ""
    if any(guesses):
        return f"unknown field{plural} {listed}; rename or remove {'them' if plural else 'it'}"
    return f"unknown field{plural} {listed}; expected only: {', '.join(allowed)}"


def structure_record_list(data: Any, cls: type, place: Place) -> tuple[list, list[str]]:
    """(the models, []) or ([], located errors) for a list of records of one kind (a ruling history)."""
    if not isinstance(data, list):
        return [], [f"expected a list of {cls.__name__.lower()}s @ {place}"]
    records, errors = [], []
    for index, item in enumerate(data):
        record, found = structure_record(item, cls, place.item(index))
        records.append(record)
        errors += found
    return ([] if errors else records), errors


def structure_record(data: Any, cls: type, place: Place) -> tuple[Any, list[str]]:
    """(the model, []) or (None, located errors) for one source, claim or stance."""
    if not isinstance(data, dict):
        kind = cls.__name__.lower()
        got = "a list" if isinstance(data, list) else json.dumps(data)[:40]
        return None, [f"expected an object with the {kind} fields, got {got} @ {place}"]
    try:
        return converter.structure(data, cls), []
    except Exception as exc:  # cattrs groups every failure of the record
        return None, describe_errors(exc, place) or [f"invalid {cls.__name__.lower()} @ {place}"]


def _told(convert: "attrs.Converter", field: "attrs.Attribute") -> Callable[[Any], Any]:
    """An attrs Converter that takes its field, as a function of the value alone."""
    return functools.partial(convert.converter, field=field)


_ABSENT = object()
CACHE_LIMIT = 4_096  # remembered outcomes per field: bounded however long the input


def row_maker(cls: type, columns: tuple[str, ...], remember: tuple[str, ...] = (),
              required: tuple[str, ...] = ()) -> Callable[[dict], Optional[tuple]]:
    """A quick way from a JSON object to the values of `columns`, checked by `cls`'s own rules.

    An import checks a million stances; building each through cattrs and the attrs
    class costs more than writing it. The function made here does what they do,
    field by field, with the same parts: the converter's structure hook for the
    field's type, then the attrs converter, then the attrs validator. For the
    fields in `remember` (values that repeat: positions, dates, who logged it) the
    outcome for a value seen before is looked up instead. It returns the values in
    `columns` order, or None when anything is not plain: a missing or unknown key, a
    field outside `columns` that is not null, any value its rules refuse. The caller
    then takes `structure_record`, which builds the model and describes every
    problem; tests/test_formats.py checks that the two agree.

    For classes whose rules look at one field at a time (no validator that reads
    another field, no default that takes self), which `Stance` is. `Claim` is too
    once its key is `required`: a claim without one (whose default key is made from
    its text) goes the full way.
    """
    fields = {f.name: f for f in attrs.fields(cls) if f.name != "id"}
    assert not hasattr(cls, "__attrs_post_init__")
    plan = []
    for name in columns:
        field = fields[name]
        default, needed = field.default, field.default is attrs.NOTHING or name in required
        assert needed or not (isinstance(default, attrs.Factory) and default.takes_self)
        convert = field.converter
        if isinstance(convert, attrs.Converter):  # one that is told its field (the models' text fields)
            convert = _told(convert, field)
        plan.append((
            name, converter.get_structure_hook(field.type), field.type, convert, field.validator, field,
            needed, default.factory if isinstance(default, attrs.Factory) else None, default,
            {} if name in remember else None,  # value -> outcome, for a field in `remember`
        ))
    others = tuple(name for name in fields if name not in columns)

    def make(data: dict) -> Optional[tuple]:
        values = []
        found = 0
        try:
            for name, hook, type_, convert, validate, field, needed, factory, default, seen in plan:
                value = data.get(name, _ABSENT)
                if value is _ABSENT:
                    if needed:
                        return None
                    value = factory() if factory is not None else default
                else:
                    found += 1
                if seen is not None:
                    known = seen.get(value, _ABSENT)
                    if known is not _ABSENT:
                        values.append(known)
                        continue
                checked = hook(value, type_)
                if convert is not None:
                    checked = convert(checked)
                if validate is not None:
                    validate(None, field, checked)
                if seen is not None:
                    if len(seen) >= CACHE_LIMIT:
                        seen.clear()
                    seen[value] = checked
                values.append(checked)
        except Exception:
            return None
        if found != len(data):  # keys beyond `columns`: only the other fields, each null
            for name in others:
                if data.get(name) is not None:
                    return None
                found += name in data
            if found != len(data):
                return None
        return tuple(values)

    return make


def stance_row_maker() -> Callable[[dict], Optional[tuple]]:
    """`row_maker` for a stance with no retraction: the values of STANCE_FIELDS, its uid and desk."""
    return row_maker(Stance, (*STANCE_FIELDS, "uid", "desk"), remember=("position", "said_on", "via", "logged_by",
                                                                       "desk"))


def claim_row_maker() -> Callable[[dict], Optional[tuple]]:
    """`row_maker` for a claim that gives its key: the values of CLAIM_FIELDS, its uid and desk."""
    return row_maker(Claim, (*CLAIM_FIELDS, "uid", "desk"), remember=("subject", "ruling", "desk"),
                     required=("key",))


def join_errors(errors: list[str], total: Optional[int] = None) -> str:
    """Up to MAX_ERRORS errors on one line, then '(and K more)'."""
    total = len(errors) if total is None else total
    shown = errors[:MAX_ERRORS]
    more = f" (and {total - len(shown)} more)" if total > len(shown) else ""
    return "; ".join(shown) + more


def structure(data: Any, cls: type, path: str = "$"):
    """Build `cls` from JSON data or raise InvalidValue listing every located error."""
    try:
        return converter.structure(data, cls)
    except Exception as exc:  # cattrs groups every failure of the document
        raise InvalidValue(join_errors(describe_errors(exc, path))) from None


# -- the JSON document -------------------------------------------------------------------


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


def document_of(store) -> dict:
    """The whole database as the JSON document `write_document` writes (for tests and small databases)."""
    return {"verity": FORMAT_VERSION, **{part: list(records) for part, records in _export_parts(store)}}


def source_json(entry: Any) -> dict:
    """A source as a document holds it: its fields, then its aliases and what it was merged into."""
    return {**converter.unstructure(entry.source), "aliases": list(entry.aliases), "merged_into": entry.merged_into}


def claim_json(entry: Any) -> dict:
    """A claim as a document holds it: its fields (its ruling the latest), then its old keys,
    its ruling history (oldest first) and what it was merged into."""
    return {**converter.unstructure(entry.claim), "aliases": list(entry.aliases),
            "rulings": [converter.unstructure(ruling) for ruling in entry.rulings], "merged_into": entry.merged_into}


def _export_parts(store) -> Iterator[tuple[str, Iterable[Any]]]:
    yield "questions", map(converter.unstructure, store.questions())
    yield "sources", map(source_json, store.source_entries())
    yield "claims", map(claim_json, store.claim_entries())
    yield "stances", map(converter.unstructure, store.all_stances())
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


__all__ = [
    "CsvPlace", "Place", "Retraction", "converter", "unique_keys", "describe_errors", "document_of",
    "DocumentLines", "document_records", "dumps", "join_errors", "json_list", "line_place", "structure",
    "structure_record", "to_json", "write_document", "write_jsonl", "source_json", "claim_json",
]
