"""A JSON document's problems name the line their record starts on, as JSONL's and CSV's do."""

from __future__ import annotations

import json

import pytest
from support import EXAMPLE_JSON

from verity.formats import DocumentLines


def test_each_problem_names_the_line_its_record_starts_on(cli, tmp_path):
    document = json.loads(EXAMPLE_JSON.read_text(encoding="utf-8"))
    document["sources"][2]["reliability"] = "G"
    document["claims"][4]["tags"] = 5
    document["stances"][20]["position"] = "agrees"
    document["stances"][31]["claim"] = "no-such-claim"
    bad = tmp_path / "bad.json"
    text = json.dumps(document, indent=2, ensure_ascii=False)  # as 'verity export' lays a document out
    bad.write_text(text, encoding="utf-8")
    # Laid out so, a line that is "    {" starts an item of one of the document's lists, in order.
    starts = iter(number for number, line in enumerate(text.splitlines(), 1) if line == "    {")
    lines = {part: [next(starts) for _ in document[part]] for part in document if isinstance(document[part], list)}
    assert cli("init").exit_code == 0
    result = cli("import", bad)
    assert result.exit_code == 1
    for place in (f"@ line {lines['sources'][2]}, $.sources[2].reliability",
                  f"@ line {lines['claims'][4]}, $.claims[4].tags",
                  f"@ line {lines['stances'][20]}, $.stances[20].position",
                  f"@ line {lines['stances'][31]}, $.stances[31].claim"):
        assert place in result.stderr, (place, result.stderr)


@pytest.mark.parametrize("text, part, lines", [
    # strings holding brackets, braces, commas, quotes and newlines written as \n
    ('{\n "sources": [\n  {"name": "a [b], {c}"},\n\n  {"name": "q \\" ] }\\n"}\n ],\n'
     ' "stances": [{"claim": "k",\n  "source": "a"}, {"claim": "k", "source": "b"}]\n}', "sources", [3, 5]),
    ('{\n "sources": [\n  {"name": "a [b], {c}"},\n\n  {"name": "q \\" ] }\\n"}\n ],\n'
     ' "stances": [{"claim": "k",\n  "source": "a"}, {"claim": "k", "source": "b"}]\n}', "stances", [7, 8]),
    ('{"verity": 2, "questions": [{"key": "q", "text": "Q"}],\n "claims": [\n{"key": "k", "text": "K"}]}',
     "claims", [3]),
    ('{"sources": []}\n', "stances", []),  # no such list
    ('[\n1]', "sources", []),  # not a document: another problem says so
])
def test_the_lines_of_a_lists_items(text, part, lines):
    assert [DocumentLines(text).of(part, i) for i in range(len(lines))] == lines
    assert DocumentLines(text).of(part, len(lines)) is None


def test_a_document_on_one_line_is_placed_by_its_path_alone():
    text = json.dumps({"stances": [{"claim": "k"}, {"claim": "l"}]})
    assert DocumentLines(text).of("stances", 1) is None
