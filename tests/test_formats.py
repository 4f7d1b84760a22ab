"""The one converter: located, explained errors for every record, and JSON written as read."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verity.errors import InvalidValue
from verity.formats import (
    CLAIM_FIELDS,
    CsvPlace,
    Place,
    claim_row_maker,
    line_place,
    stance_row_maker,
    structure,
    structure_record,
)
from verity.models import STANCE_FIELDS, Claim, Source, Stance


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


# -- the quick way for plain stances agrees with the model ------------------------------


_TEXTS = st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["", "  ", " x ", "Reuters", "\t\n"]))
_DATES = st.one_of(
    st.none(), st.sampled_from([
        "2022-01-10", "2022-02-30", "2022-01-10T09:00", "2022-01-10 09:00:05.1Z", "2022-01-10T24:00",
        "2022-01-10T23:59:60", "2022-01-10T09:00+05:60", "2022-01-10T09:00-03:00", "20220110", " 2022-01-10",
        "2022-01-10T09:00:00.1234567", "0000-01-01", "2022-01-10T09", "",
    ]), st.text(max_size=12),
)
_VALUES = {
    "claim": st.one_of(st.sampled_from(["c", " c ", ""]), st.none(), st.integers()),
    "source": st.one_of(st.sampled_from(["S", "1234", ""]), st.none()),
    "position": st.one_of(st.sampled_from(["affirms", "Partially Denies", " denies", "deny", "NEUTRAL", ""]),
                          st.none(), st.integers()),
    "quote": _TEXTS, "url": _TEXTS, "via": _TEXTS, "note": st.one_of(_TEXTS, st.lists(st.text(), max_size=1)),
    "said_on": _DATES, "logged_at": _DATES, "logged_by": _TEXTS,
    "retracted": st.one_of(st.none(), st.just({"reason": "wrong source", "at": "2022-01-11"})),
    "id": st.integers(), "qoute": st.text(max_size=3),
}


_USUALLY = {"claim": "c", "source": "S", "position": "affirms"}  # mostly plain, as files are


@st.composite
def record_objects(draw, values: dict, usually: dict, always: dict):
    """Up to five of `values`' fields, drawn; the fields in `usually` nine times in ten."""
    names = draw(st.lists(st.sampled_from(sorted(values)), unique=True, max_size=5))
    data = {name: draw(values[name]) for name in names}
    for name, plain in usually.items():
        if name not in data and draw(st.integers(0, 9)):
            data[name] = plain
    return {**always, **data}


def stance_objects():
    # always a logged_at: else each side stamps its own 'now'
    return record_objects(_VALUES, _USUALLY, {"logged_at": "2022-01-18T09:00:00Z"})


@pytest.mark.slow
@settings(max_examples=600, deadline=None)
@given(stance_objects())
def test_the_quick_way_to_a_stance_row_gives_what_the_model_gives(data):
    make = stance_row_maker()
    quick = make(dict(data))
    again = make(dict(data))  # the second time from what it remembered
    stance, errors = structure_record(dict(data), Stance, Place())
    assert quick == again
    if errors:
        assert quick is None  # refused: the caller takes the full path, which describes the problem
    elif quick is not None:  # a retraction is left to the full path
        assert stance.retracted is None
        assert quick == tuple(getattr(stance, name) for name in (*STANCE_FIELDS, "uid", "desk"))
    else:
        assert stance.retracted is not None


_CLAIM_VALUES = {
    "key": st.one_of(st.sampled_from(["balti-was-killed", "Balti", "a--b", "2022", "k-1", " k ", ""]),
                     st.none(), st.integers()),
    "text": st.one_of(_TEXTS, st.just("Balti was killed"), st.integers()),
    "subject": _TEXTS, "note": _TEXTS, "ruling_explanation": _TEXTS, "ruled_by": _TEXTS,
    "tags": st.one_of(st.none(), st.lists(st.one_of(st.text(max_size=4), st.sampled_from([" a ", "", "a"]),
                                                    st.integers()), max_size=3), st.text(max_size=3)),
    "ruling": st.one_of(st.none(), st.sampled_from(["false", " Mostly True", "true", "maybe", ""]), st.integers()),
    "ruled_at": _DATES, "id": st.integers(), "txt": st.text(max_size=3),
}
_CLAIM_USUALLY = {"key": "balti-was-killed", "text": "Balti was killed"}


@pytest.mark.slow
@settings(max_examples=600, deadline=None)
@given(record_objects(_CLAIM_VALUES, _CLAIM_USUALLY, {}))
def test_the_quick_way_to_a_claim_row_gives_what_the_model_gives(data):
    make = claim_row_maker()
    quick = make(dict(data))
    again = make(dict(data))
    claim, errors = structure_record(dict(data), Claim, Place())
    assert quick == again
    if errors:
        assert quick is None
    elif quick is not None:
        assert quick == tuple(getattr(claim, name) for name in (*CLAIM_FIELDS, "uid", "desk"))
    else:
        assert "key" not in data or data["key"] is None  # a key made from the text: the full path


def _reference_check_date(value):
    """check_date as first written (the loose pattern, then Python's own parsers decide), a time
    with an offset as the same instant in UTC, and a time given to the minute with its seconds."""
    import datetime as dt
    import re

    match = re.match(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?"
                     r"(Z|[+-]\d{2}:\d{2})?)?$", value)
    if not match:
        return "not ISO"
    try:
        dt.date.fromisoformat(value[:10])
        if match.group(4) is not None:
            hour, minute, second = int(match.group(4)), int(match.group(5)), int(match.group(6) or 0)
            dt.time(hour, minute, second)
        tz = match.group(8)
        if tz and tz != "Z" and (int(tz[1:3]) > 23 or int(tz[4:6]) > 59):
            raise ValueError("offset")
    except ValueError:
        return "not real"
    if tz and tz != "Z":  # stored as the same instant in UTC, its seconds as given (or :00)
        local = dt.datetime(int(match.group(1)), int(match.group(2)), int(match.group(3)),
                            int(match.group(4)), int(match.group(5)))
        try:
            utc = local - (1 if tz[0] == "+" else -1) * dt.timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6]))
        except OverflowError:
            return "not real"
        return f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}{value[16:-6] or ':00'}Z"
    if match.group(4) is not None and match.group(6) is None:  # given to the minute: stored with its seconds
        return value[:16].replace(" ", "T", 1) + ":00" + (tz or "")
    return value.replace(" ", "T", 1)


@pytest.mark.slow
@settings(max_examples=800, deadline=None)
@given(st.one_of(
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,7})?)?"
                  r"(Z|[+-][0-9]{2}:[0-9]{2})?)?\Z"),
    _DATES.filter(lambda v: v is not None),
))
def test_check_date_agrees_with_the_plain_reading(value):
    from verity.models import check_date

    try:
        got = check_date(value)
    except InvalidValue as exc:
        got = "not ISO" if "is not an ISO date" in str(exc) else "not real"
    assert got == _reference_check_date(value)
