"""Turning verity's models into JSON and back: one cattrs converter for everything.

Input is checked by the same attrs validators as the command line; unknown keys
are errors (they are usually typos) and every error names its place, e.g.
`$.stances[3].position`.
"""

from __future__ import annotations

import json
from typing import Any, Optional

import attrs
import cattrs
from cattrs.preconf.json import make_converter

from .errors import InvalidValue
from .models import Claim, Reconciliation, Retraction, Source, Stance

FORMAT_VERSION = 1
MAX_ERRORS = 20

converter = make_converter(forbid_extra_keys=True, omit_if_default=False)


@attrs.frozen
class Document:
    """The JSON document of DESIGN.md §5."""

    verity: int = FORMAT_VERSION
    sources: tuple[Source, ...] = ()
    claims: tuple[Claim, ...] = ()
    stances: tuple[Stance, ...] = ()


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


def to_json(value: Any) -> Any:
    """Plain JSON-ready data (dicts, lists) for any verity model or list of them."""
    return converter.unstructure(value)


def dumps(value: Any) -> str:
    return json.dumps(to_json(value), indent=2, ensure_ascii=False)


def reconciliation_json(reconciliation: Reconciliation) -> dict:
    """The reconcile object of DESIGN.md §4 (lists, not tuples)."""
    data = to_json(reconciliation)
    data["contradictions"] = [list(pair) for pair in reconciliation.contradictions]
    return data


def describe_errors(exc: BaseException, path: str = "$", type_: Optional[type] = None) -> list[str]:
    """One line per problem, each naming where it is, e.g. `... @ $.stances[3].position`."""
    if isinstance(exc, cattrs.IterableValidationError):
        with_notes, without = exc.group_exceptions()
        lines = []
        for inner, note in with_notes:
            lines += describe_errors(inner, f"{path}[{note.index!r}]")
        for inner in without:
            lines += describe_errors(inner, path)
        return lines
    if isinstance(exc, cattrs.ClassValidationError):
        with_notes, without = exc.group_exceptions()
        lines = []
        for inner, note in with_notes:
            if isinstance(inner, KeyError):
                lines.append(f"required field missing @ {path}.{note.name}")
            else:
                lines += describe_errors(inner, f"{path}.{note.name}", type_=note.type)
        for inner in without:
            lines += describe_errors(inner, path)
        return lines
    field = getattr(exc, "field", None)
    where = f"{path}.{field}" if field else path
    return [f"{_format_exception(exc, type_)} @ {where}"]


def _format_exception(exc: BaseException, type_: Optional[type]) -> str:
    if isinstance(exc, InvalidValue):
        return str(exc)
    if isinstance(exc, cattrs.ForbiddenExtraKeysError):
        return f"unknown field(s) {', '.join(sorted(exc.extra_fields))}; remove or rename them"
    if isinstance(exc, KeyError):
        return "required field missing"
    if isinstance(exc, (TypeError, ValueError)) and type_ is not None:
        name = getattr(type_, "__name__", str(type_))
        return f"expected {name}, got something else"
    return str(exc) or exc.__class__.__name__


def structure(data: Any, cls: type, path: str = "$"):
    """Build `cls` from JSON data or raise InvalidValue listing every located error."""
    try:
        return converter.structure(data, cls)
    except Exception as exc:  # cattrs groups every failure of the document
        errors = describe_errors(exc, path)
        shown = errors[:MAX_ERRORS]
        more = f" (and {len(errors) - MAX_ERRORS} more)" if len(errors) > MAX_ERRORS else ""
        raise InvalidValue("; ".join(shown) + more) from None


def load_document(data: Any) -> Document:
    if not isinstance(data, dict):
        raise InvalidValue("a verity JSON document is an object with sources, claims and stances @ $")
    version = data.get("verity", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise InvalidValue(
            f"document version {version!r} is not one this verity reads; expected \"verity\": {FORMAT_VERSION} @ $.verity"
        )
    return structure(data, Document)


def document_of(store) -> Document:
    """The whole database as a Document (sources by name, claims and stances in order)."""
    return Document(
        sources=tuple(source for source, _count in store.sources()),
        claims=tuple(claim for claim, _r in store.claims()),
        stances=tuple(store.all_stances()),
    )


__all__ = ["Document", "Retraction", "converter", "dumps", "load_document", "structure", "to_json"]
