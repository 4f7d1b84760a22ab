"""Turning verity's models into JSON and back, and saying where input is wrong.

A package split along its seams; every name is imported from here (`verity.formats`):

- `convert`: the one cattrs converter, its strict hooks, and JSON text (`to_json`, `dumps`)
- `places`: where a value is, for error messages (`Place`, `CsvPlace`, `LinePlace`)
- `describe`: models built from JSON data, and every problem located and explained
- `rowmaker`: the quick rows an import makes a million times, by the models' own rules
- `document`: the JSON document's versions, its records and the line each starts on
- `export`: the whole database written as the JSON document or as JSONL

Input is checked by the same attrs validators as the command line; unknown keys
are errors (they are usually typos) and every error names its place, e.g.
`$.stances[3].position`, `line 12, $.position` (JSONL) or `line 12, column
position` (CSV), says what is wrong and what is expected.
"""

from __future__ import annotations

# The models' names this module offered before it was a package; tests still import them from here.
from ..models import CLAIM_FIELDS, Retraction
from .convert import converter, dumps, json_list, reconciliation_json, to_json, unique_keys
from .describe import (
    MAX_ERRORS,
    describe_errors,
    join_errors,
    structure,
    structure_record,
    structure_record_list,
    unknown_fields,
)
from .document import FORMAT_VERSION, READ_VERSIONS, RECORD_EXTRAS, RECORD_TYPES, DocumentLines, document_records
from .export import claim_json, document_of, source_json, write_document, write_jsonl
from .places import CsvPlace, LinePlace, Place, line_place
from .rowmaker import CACHE_LIMIT, claim_row_maker, row_maker, stance_row_maker

__all__ = [
    "CACHE_LIMIT", "CLAIM_FIELDS", "FORMAT_VERSION", "MAX_ERRORS", "READ_VERSIONS", "RECORD_EXTRAS", "RECORD_TYPES",
    "CsvPlace", "DocumentLines", "LinePlace", "Place", "Retraction", "claim_json", "claim_row_maker", "converter",
    "describe_errors", "document_of", "document_records", "dumps", "join_errors", "json_list", "line_place",
    "reconciliation_json", "row_maker", "source_json", "stance_row_maker", "structure", "structure_record",
    "structure_record_list", "to_json", "unique_keys", "unknown_fields", "write_document", "write_jsonl",
]
