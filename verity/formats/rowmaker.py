"""The quick way from an imported record to its row, checked by its model's own rules
without building the model: an import makes a million of them."""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional

import attrs

from ..models import CLAIM_FIELDS, STANCE_FIELDS, Claim, Stance
from .convert import converter


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
