"""The one converter: located, explained errors for every record, and JSON written as read."""

from __future__ import annotations

import pytest

from verity.formats import CsvPlace, Place, line_place, structure, structure_record
from verity.errors import InvalidValue
from verity.models import Claim, Source, Stance


def test_places_name_where_a_value_is():
    assert str(Place().field("stances").item(12).field("position")) == "$.stances[12].position"
    assert str(line_place(41).field("retracted").field("at")) == "line 41, $.retracted.at"
    assert str(CsvPlace(5)) == "line 5"
    assert str(CsvPlace(5).field("said_on")) == "line 5, column said_on"


def test_a_good_record_is_the_model():
    stance, errors = structure_record({"claim": "c", "source": "S", "position": "Partially Denies"},
                                      Stance, line_place(3))
    assert errors == []
    assert stance.position == "partially-denies"


@pytest.mark.parametrize("data, cls, expected", [
    ({"claim": "c", "source": "S", "position": "deny"}, Stance,
     "'deny' is not a position (did you mean 'denies'?); use one of: affirms, partially-affirms, neutral, "
     "partially-denies, denies @ line 3, $.position"),
    ({"claim": "c", "source": "S"}, Stance,
     "required field missing; expected one of: affirms, partially-affirms, neutral, partially-denies, denies "
     "@ line 3, $.position"),
    ({"claim": "c", "source": "S", "position": "affirms", "qoute": "x"}, Stance,
     "unknown field 'qoute' (did you mean 'quote' or 'note'?); rename or remove it @ line 3, $.qoute"),
    ({"claim": "c", "source": "S", "position": "affirms", "quote": 5}, Stance,
     "expected text or null, got 5 @ line 3, $.quote"),
    ({"claim": "c", "source": "S", "position": "affirms", "retracted": {"at": "2022-01-01"}}, Stance,
     "required field missing; expected why the stance was retracted @ line 3, $.retracted.reason"),
    ({"name": None}, Source, "expected text, got null @ line 3, $.name"),
    ({"name": "1234"}, Source, "source name '1234' is only digits and would be read as a source id; add a word "
     "@ line 3, $.name"),
    ({"text": "C", "tags": {"a": 1}}, Claim, 'expected a list of tags, got {"a": 1} @ line 3, $.tags'),
    ({"text": "C", "key": "Not A Slug"}, Claim, "claim key 'Not A Slug' is not a slug; use lower-case letters, "
     "digits and hyphens such as 'not-a-slug' @ line 3, $.key"),
    (["a list"], Claim, "expected an object with the claim fields, got a list @ line 3, $"),
])
def test_each_problem_says_what_where_and_what_is_expected(data, cls, expected):
    record, errors = structure_record(data, cls, line_place(3))
    assert record is None
    assert errors == [expected]


def test_a_tag_string_is_one_tag_not_letters():
    claim, errors = structure_record({"text": "C", "tags": "ttp"}, Claim, Place())
    assert errors == [] and claim.tags == ("ttp",)


def test_every_structural_problem_of_a_record_is_listed():
    _record, errors = structure_record({"name": 7, "kind": [], "reliabilty": "B", "zzz": 1}, Source, Place())
    assert errors == [
        "expected text, got 7 @ $.name",
        "expected text or null, got [] @ $.kind",
        "unknown fields 'reliabilty' (did you mean 'reliability'?), 'zzz'; rename or remove them @ $",
    ]


def test_structure_raises_one_located_message():
    with pytest.raises(InvalidValue, match=r"is not a position.* @ \$\[1\]\.position"):
        structure([{"claim": "c", "source": "S", "position": "affirms"},
                   {"claim": "c", "source": "S", "position": "nope"}], list[Stance])
