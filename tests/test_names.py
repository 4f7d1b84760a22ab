"""Names, ids given as text, uids and dates: the small rules everything else leans on."""

from __future__ import annotations

import time
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from verity import names, uids
from verity.errors import InvalidValue
from verity.models import Source, Stance, check_date, origin_of


@pytest.mark.parametrize("one, other", [
    ("Ömer", "ömer"),
    ("Caf\u00e9", "Cafe\u0301"),  # composed and decomposed é
    ("  Dmitry   Peskov ", "dmitry peskov"),
    ("ＴＴＰ", "ttp"),  # full-width letters (NFKC)
    ("STRASSE", "straße"),  # casefold, not lower
])
def test_names_that_fold_alike_are_one_name(one, other):
    assert names.fold(one) == names.fold(other)


def test_turkish_dotted_i_folds_as_unicode_defines_it():
    assert names.fold("İstanbul") == "i\u0307stanbul" != names.fold("istanbul")


def test_joiners_inside_a_word_are_kept_and_accepted():
    name = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # Persian, with a ZWNJ
    assert names.check_name(name) == name
    assert "\u200c" in names.fold(name)
    assert Source(name="Ahmad\u200dzai").name == "Ahmad\u200dzai"


@pytest.mark.parametrize("bad, problem", [
    ("\x1b]0;pwned\x07", "control character"),
    ("two\nlines", "control character"),
    ("tab\there", "control character"),
    ("   ", "empty"),
    ("\u3000", "empty"),  # an ideographic space folds to nothing
])
def test_a_name_empty_once_folded_or_with_a_control_character_is_refused(bad, problem):
    with pytest.raises(InvalidValue, match=problem):
        Source(name=bad)


def test_names_and_affiliations_are_kept_tidy_and_compared_folded():
    source = Source(name=" Cafe\u0301  Noir ", affiliation="  Government of  Russia ")
    assert source.name == "Caf\u00e9 Noir"
    assert source.affiliation == "Government of Russia"
    assert origin_of("a", "GOVERNMENT OF RUSSIA") == origin_of("b", "government  of russia")
    assert Source(name="x", affiliation="  ").affiliation is None
    with pytest.raises(InvalidValue, match="affiliation .* control character"):
        Source(name="x", affiliation="TTP\x00")


@pytest.mark.parametrize("ref, expected", [
    ("3", 3), (" 42 ", 42), ("٣", None), ("３", None), ("9223372036854775807", 2**63 - 1),
    ("9223372036854775808", None), ("99999999999999999999999", None), ("-1", None), ("1e3", None),
])
def test_only_ascii_digits_in_sqlites_range_are_an_id(ref, expected):
    assert names.as_id(ref) == expected


def test_uids_sort_by_creation_time_and_are_uuids():
    first = uids.new()
    time.sleep(0.002)
    second = uids.new()
    assert first < second
    assert uuid.UUID(first).version == 7 and uuid.UUID(second).variant == uuid.RFC_4122


def test_derived_uids_depend_on_content_and_sort_by_their_time():
    a = uids.derived("stance", "balti-was-killed", "ttp spokesman", "affirms", at="2022-01-12T10:00:00Z")
    assert a == uids.derived("stance", "balti-was-killed", "ttp spokesman", "affirms", at="2022-01-12T10:00:00Z")
    assert a != uids.derived("stance", "balti-was-killed", "ttp spokesman", "denies", at="2022-01-12T10:00:00Z")
    later = uids.derived("stance", "other", at="2022-01-13T00:00:00Z")
    assert a < later
    assert uuid.UUID(a).version == 8
    assert uids.derived("source", "ömer").startswith("00000000-0000-8")  # no time known: older than any


@given(st.lists(st.text(), max_size=4))
def test_derived_uids_of_different_parts_differ(parts):
    assert uids.derived("x", *parts) != uids.derived("x", *parts, "more")


@pytest.mark.parametrize("value", ["2023", "2023-08", "2023-08-01", "2023-08-01T10:00:00Z"])
def test_said_on_may_be_known_only_to_the_month_or_year(value):
    assert Stance(claim="c", source="s", position="affirms", said_on=value).said_on == value


@pytest.mark.parametrize("value", ["2023-13", "2023-00", "20231", "2023-8", "23", "2023-08-32"])
def test_malformed_partial_dates_are_refused(value):
    with pytest.raises(InvalidValue, match="said-on date"):
        Stance(claim="c", source="s", position="affirms", said_on=value)


def test_partial_dates_sort_before_every_day_they_contain():
    assert sorted(["2023-08-01", "2023-08", "2023", "2023-07-31T23:00"]) == [
        "2023", "2023-07-31T23:00", "2023-08", "2023-08-01"]


def test_a_timestamp_with_a_trailing_newline_is_refused():
    with pytest.raises(InvalidValue, match="not an ISO date"):
        check_date("2022-01-10T00:00:00Z\n", "logged_at")
    with pytest.raises(InvalidValue, match="not an ISO date"):
        Stance(claim="c", source="s", position="affirms", logged_at="2022-01-10T00:00:00Z\n")
    with pytest.raises(InvalidValue, match="month or year"):
        check_date("2022-01-10\n", "said-on date", partial=True)


def test_only_said_on_may_be_partial():
    with pytest.raises(InvalidValue, match="logged_at '2022' is not an ISO date"):
        Stance(claim="c", source="s", position="affirms", logged_at="2022")


def test_derived_uids_never_change():
    # Desks converge because one record imported anywhere, by any version, gets one uid:
    # these values are pinned, so a faster derivation must give exactly them.
    assert uids.of_stance("balti-was-killed", "Pakistani Senior Security Official", "affirms", "He was killed", None,
                          "2022-01-12", "Dawn", "2022-01-13T08:00:00.123456Z", "amna") \
        == "017e5273-607b-8819-956c-cd99b00fecac"
    assert uids.of_stance("c", "Ömer", "denies", None, "https://x.example/1", None, None, None, None) \
        == "00000000-0000-8903-b5fc-7146a8a25d2e"
    assert uids.of_stance("c", "S", "affirms", None, None, None, None, "2022-02-01T00:00:00.000007+05:30", None) \
        == "017eb166-a040-80c1-ab47-3611d6e050a9"
    assert uids.of_source("  Afghan   Taliban ") == "00000000-0000-8ab7-bf1f-a34fe93b9da2"
    assert uids.of_claim("balti-was-killed") == "00000000-0000-8a8a-9eea-da2019eb2f87"
    assert uids.of_ruling("c", "false", "no such incident", "2022-01-14", "desk") == "017e55e2-4800-853c-8c95-9971679502a0"
    assert uids.of_change("00000000-0000-8000-8000-000000000000", "edit", "note", None, "x", "2022-01-14T00:00:00Z",
                          "amna") == "017e55e2-4800-81bb-9940-bb2afbad24f8"
