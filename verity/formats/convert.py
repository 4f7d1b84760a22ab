"""verity's models as JSON data and back: the one cattrs converter, its hooks, and JSON text.

The hooks make the converter strict where cattrs is lenient: text must be text (cattrs would
make "None" of null), tags a list, and unknown keys are errors (they are usually typos).
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Iterator, Optional

import cattrs
from cattrs.preconf.json import make_converter

from ..errors import InvalidValue
from ..models import Claim, Reconciliation, Source, Stance
from ..names import check_text

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
