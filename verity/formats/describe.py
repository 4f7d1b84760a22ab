"""Building models from JSON data, and saying what is wrong when they cannot be built.

Input is checked by the same attrs validators as the command line, and every error
names its place (`verity.formats.places`), says what is wrong and what is expected:
`expected text, got 12 @ line 12, $.position`.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Optional, Union

import attrs
import cattrs

from ..errors import InvalidValue, did_you_mean
from ..models import GRADES, POSITIONS, RULINGS
from .convert import converter
from .places import Place

MAX_ERRORS = 20

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
