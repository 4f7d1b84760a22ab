"""The reconciler's rules (docs/rules.md), one by one, on the pure function."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verity.models import POSITIONS
from verity.reconcile import (
    SourceFacts,
    StanceFact,
    StanceStatus,
    counted_stances,
    plain_status,
    reconcile,
    reconcile_claim,
    reconcile_stances,
    stance_statuses,
)

_seq = iter(range(1, 10_000_000))
_source_ids: dict[str, int] = {}  # one id per source name, the same in every run


def fact(source, position, date="2022-01-10", affiliation=None, grade=None, seq=None,
         retracted=False, source_id=None):
    """A stance by `source` and what the rules need to know about that source."""
    stance = StanceFact(
        source_id=source_id if source_id is not None else _source_ids.setdefault(source, len(_source_ids) + 1),
        position=position,
        effective_date=date,
        sequence=seq if seq is not None else next(_seq),
        retracted=retracted,
    )
    return stance, SourceFacts.of(source, affiliation, grade)


def rec(*facts, ruling=None):
    return reconcile_claim("c", "claim text", [f for f, _ in facts],
                           {f.source_id: source for f, source in facts}, ruling)


def outcome(*facts):
    return reconcile([f for f, _ in facts], {f.source_id: source for f, source in facts})


def test_no_stance_is_unverified():
    r = rec()
    assert (r.verdict, r.score, r.agreement) == ("unverified", None, None)
    assert r.contradictions == ()


def test_only_neutral_is_unverified_with_a_score_of_zero():
    r = rec(fact("UN", "neutral"))
    assert r.verdict == "unverified"
    assert r.score == 0.0
    assert r.agreement is None
    assert r.neutral == ("UN",)


def test_both_sides_is_contested_the_design_example():
    r = rec(
        fact("Pakistani security official", "affirms", affiliation="Government of Pakistan"),
        fact("TTP spokesman", "affirms", affiliation="TTP"),
        fact("Afghan government spokesperson", "denies", affiliation="Islamic Emirate"),
    )
    assert r.verdict == "contested"
    assert r.score == 0.333 and r.agreement == 0.333
    assert r.affirming == ("Pakistani security official", "TTP spokesman")
    assert r.denying == ("Afghan government spokesperson",)
    assert (r.affirming_origins, r.denying_origins) == (2, 1)
    assert r.contradictions == (
        ("Pakistani security official", "Afghan government spokesperson"),
        ("TTP spokesman", "Afghan government spokesperson"),
    )


def test_partial_positions_count_on_their_side():
    r = rec(fact("A", "partially-affirms"), fact("B", "partially-denies"))
    assert r.verdict == "contested"
    assert r.affirming == ("A",) and r.denying == ("B",)


def test_two_independent_affirming_origins_corroborate():
    r = rec(fact("A", "affirms"), fact("B", "partially-affirms"))
    assert r.verdict == "corroborated"
    assert r.affirming_origins == 2


def test_two_independent_denying_origins_deny():
    r = rec(fact("A", "denies", affiliation="X"), fact("B", "partially-denies", affiliation="Y"))
    assert r.verdict == "denied"


def test_one_origin_is_single_source_even_with_several_voices():
    r = rec(fact("TTP spokesman", "affirms", affiliation="TTP"),
            fact("TTP commander", "affirms", affiliation="TTP"))
    assert r.verdict == "single-source"
    assert r.affirming_origins == 1
    assert len(r.affirming) == 2


def test_single_denying_source_is_single_source():
    assert rec(fact("A", "denies")).verdict == "single-source"


def test_affiliations_compared_trimmed_and_ignoring_case():
    r = rec(fact("A", "affirms", affiliation="  Government of Pakistan "),
            fact("B", "affirms", affiliation="government of pakistan"))
    assert r.affirming_origins == 1
    assert r.verdict == "single-source"


def test_sources_without_affiliation_are_their_own_origins():
    r = rec(fact("A", "affirms"), fact("B", "affirms"), fact("C", "affirms", affiliation="C"))
    assert r.affirming_origins == 3


def test_neutral_is_on_no_side_but_counts_in_the_score():
    r = rec(fact("A", "affirms"), fact("B", "neutral"))
    assert r.verdict == "single-source"
    assert r.neutral == ("B",)
    assert r.score == 0.5  # (0.5*1 + 0.5*0) / (0.5 + 0.5)
    assert r.agreement == 1.0


def test_latest_stance_by_date_counts():
    r = rec(fact("A", "denies", date="2022-01-12", source_id=1, seq=1),
            fact("A", "affirms", date="2022-01-10", source_id=1, seq=2))
    assert r.verdict == "single-source"
    assert r.denying == ("A",) and r.affirming == ()


def test_same_date_later_logged_wins():
    r = rec(fact("A", "affirms", date="2022-01-10", source_id=1, seq=5),
            fact("A", "denies", date="2022-01-10", source_id=1, seq=6))
    assert r.denying == ("A",)


def test_bare_date_sorts_before_any_time_that_day():
    r = rec(fact("A", "affirms", date="2022-01-10T00:00", source_id=1, seq=1),
            fact("A", "denies", date="2022-01-10", source_id=1, seq=2))
    assert r.affirming == ("A",)


def test_retraction_falls_back_to_the_sources_earlier_stance():
    r = rec(fact("A", "affirms", date="2022-01-10", source_id=1, seq=1),
            fact("A", "denies", date="2022-01-12", source_id=1, seq=2, retracted=True))
    assert r.affirming == ("A",) and r.denying == ()


def test_each_stance_gets_its_status_and_the_stance_its_source_held_before():
    facts = (
        fact("A", "affirms", date="2022-01-10", source_id=1, seq=1),
        fact("A", "denies", date="2022-01-11", source_id=1, seq=2, retracted=True),
        fact("A", "denies", date="2022-01-12", source_id=1, seq=3),
        fact("B", "neutral", date="2022-01-09", source_id=2, seq=4),
        fact("C", "affirms", date="2022-01-09", source_id=3, seq=5, retracted=True),
    )
    stances = [f for f, _ in facts]
    assert sorted(stance_statuses(stances)) == [
        StanceStatus(1, "superseded", None),
        StanceStatus(2, "retracted", None),  # no previous, and no one's previous
        StanceStatus(3, "counted", 1),  # a reversal: affirms, then denies
        plain_status(4),
        StanceStatus(5, "retracted", None),
    ]
    # The store keeps only the statuses that are not plain.
    assert sorted(reconcile_stances(stances, {f.source_id: source for f, source in facts})[1]) == [
        StanceStatus(1, "superseded", None), StanceStatus(2, "retracted", None), StanceStatus(3, "counted", 1),
        StanceStatus(5, "retracted", None),
    ]


def test_all_stances_retracted_is_unverified():
    assert rec(fact("A", "affirms", retracted=True)).verdict == "unverified"


@pytest.mark.parametrize("grade,weight", [("A", 1.0), ("B", 0.8), ("C", 0.6), ("D", 0.4),
                                          ("E", 0.2), ("F", 0.5), (None, 0.5)])
def test_weights(grade, weight):
    # against an ungraded denier (weight 0.5): score = (w - 0.5) / (w + 0.5)
    r = rec(fact("A", "affirms", grade=grade), fact("B", "denies"))
    assert r.score == round((weight - 0.5) / (weight + 0.5), 3)


def test_score_and_agreement_with_grades_and_partials():
    r = rec(fact("A", "affirms", grade="A"), fact("B", "partially-denies", grade="B"),
            fact("C", "neutral", grade="C"))
    # Σwv = 1 - 0.4 = 0.6; Σw = 1 + 0.8 + 0.6 = 2.4; Σw|v| = 1 + 0.4 = 1.4
    assert r.score == 0.25
    assert r.agreement == 0.429


def test_rounding_to_three_decimals():
    r = rec(fact("A", "affirms"), fact("B", "affirms"), fact("C", "denies"))
    assert r.score == 0.333
    r = rec(fact("A", "affirms", grade="A"), fact("B", "denies", grade="B"), fact("C", "neutral", grade="E"))
    assert r.score == 0.1  # 0.2 / 2.0
    r = rec(fact("A", "affirms"), fact("B", "affirms"), fact("C", "denies", grade="A"), fact("D", "neutral"))
    assert r.score == 0.0 and r.agreement == 0.0


def test_names_sorted_by_code_point():
    r = rec(fact("bravo", "affirms"), fact("Zulu", "affirms"), fact("alpha", "denies"),
            fact("Alpha", "denies"))
    assert r.affirming == ("Zulu", "bravo")
    assert r.denying == ("Alpha", "alpha")
    assert r.contradictions[0] == ("Zulu", "Alpha")


def test_ruling_is_carried_beside_the_verdict():
    r = rec(fact("A", "denies"), ruling="true")
    assert (r.verdict, r.ruling) == ("single-source", "true")


# -- properties -----------------------------------------------------------------

names = st.sampled_from(["A", "B", "C", "D", "E"])
affiliations = st.sampled_from([None, "X", "Y", " x "])
dates = st.dates(min_value=__import__("datetime").date(2020, 1, 1),
                 max_value=__import__("datetime").date(2023, 12, 31)).map(str)
stance_lists = st.lists(
    st.tuples(names, st.sampled_from(POSITIONS), dates, st.booleans()), max_size=12
)


def _facts(items):
    affiliation_of = {"A": "X", "B": "X", "C": None, "D": "Y", "E": None}
    return [
        fact(name, position, date, affiliation=affiliation_of[name], seq=i, retracted=retracted,
             source_id=ord(name))
        for i, (name, position, date, retracted) in enumerate(items)
    ]


@settings(max_examples=200, deadline=None)
@given(stance_lists, st.randoms())
def test_logging_order_does_not_matter_when_dates_differ(items, rnd):
    # Give every stance of a source its own date, then shuffle the logging order.
    seen, unique = set(), []
    for name, position, date, retracted in items:
        if (name, date) not in seen:
            seen.add((name, date))
            unique.append((name, position, date, retracted))
    facts = _facts(unique)
    shuffled = list(unique)
    rnd.shuffle(shuffled)
    assert rec(*facts) == rec(*_facts(shuffled))


@settings(max_examples=200, deadline=None)
@given(stance_lists, names, dates)
def test_adding_a_neutral_stance_changes_no_side_of_other_sources(items, name, date):
    before = rec(*_facts(items))
    after = rec(*_facts(items + [(name, "neutral", "2099-01-01", False)]))
    assert name in after.neutral
    assert tuple(n for n in before.affirming if n != name) == after.affirming
    assert tuple(n for n in before.denying if n != name) == after.denying


@settings(max_examples=200, deadline=None)
@given(stance_lists)
def test_verdict_agrees_with_sides(items):
    r = rec(*_facts(items))
    counted = counted_stances(f for f, _ in _facts(items))
    assert len(r.affirming) + len(r.denying) + len(r.neutral) == len(counted)
    assert outcome(*_facts(items)).contradiction_count == len(r.contradictions)
    if r.affirming and r.denying:
        assert r.verdict == "contested"
        assert len(r.contradictions) == len(r.affirming) * len(r.denying)
    elif not r.affirming and not r.denying:
        assert r.verdict == "unverified"
    else:
        assert r.contradictions == ()
    if r.score is not None:
        assert -1.0 <= r.score <= 1.0
    if r.agreement is not None:
        assert 0.0 <= r.agreement <= 1.0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(POSITIONS), st.sampled_from([None, "A", "B", "C", "D", "E", "F"])),
                min_size=1, max_size=30), st.randoms())
def test_score_does_not_depend_on_the_order_stances_are_read(items, rnd):
    facts = [fact(f"s{i}", position, grade=grade, seq=i, source_id=i) for i, (position, grade) in enumerate(items)]
    shuffled = list(facts)
    rnd.shuffle(shuffled)
    assert rec(*facts) == rec(*shuffled)


@settings(max_examples=200, deadline=None)
@given(stance_lists)
def test_statuses_follow_rule_one(items):
    stances = [f for f, _ in _facts(items)]
    statuses = {s.stance_id: s for s in stance_statuses(stances)}
    assert sorted(statuses) == sorted(f.sequence for f in stances)
    counted = {f.sequence for f in counted_stances(stances)}
    assert {i for i, s in statuses.items() if s.status == "counted"} == counted
    for f in stances:
        status = statuses[f.sequence]
        if f.retracted:
            assert status == StanceStatus(f.sequence, "retracted", None)
            continue
        standing = sorted((g.effective_date, g.sequence) for g in stances
                          if g.source_id == f.source_id and not g.retracted)
        before = [seq for date, seq in standing if (date, seq) < (f.effective_date, f.sequence)]
        assert status.previous_id == (before[-1] if before else None)
        assert status.status == ("counted" if standing[-1][1] == f.sequence else "superseded")
    listed = reconcile_stances(stances, {f.source_id: SourceFacts.of("s", None, None) for f in stances})[1]
    assert sorted(listed) == sorted(s for s in statuses.values() if not s.plain)
