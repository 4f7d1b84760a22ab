"""The estimate model (verity.truth) on its own arrays: a claim's own ruling never reaches
its estimate, answers of one question are exclusive, and agreement alone still estimates."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verity import truth


@st.composite
def desks(draw):
    """A small random desk: sources (some sharing an affiliation, some graded), yes/no
    claims and questions of 2-4 answers, counted stances, and some rulings."""
    n_src = draw(st.integers(2, 9))
    origin = [draw(st.integers(0, n_src - 1)) for _ in range(n_src)]
    grade = [draw(st.integers(0, len(truth.GRADE_CLASSES) - 1)) for _ in range(n_src)]
    group, is_question = [], []
    for _ in range(draw(st.integers(1, 8))):  # yes/no claims: a group of their own
        group.append(len(is_question))
        is_question.append(False)
    for _ in range(draw(st.integers(0, 4))):  # questions
        answers = draw(st.integers(2, 4))
        group += [len(is_question)] * answers
        is_question.append(True)
    n_claims = len(group)
    pairs = draw(st.sets(st.tuples(st.integers(0, n_claims - 1), st.integers(0, n_src - 1)),
                         min_size=1, max_size=n_claims * n_src))
    pairs = sorted(pairs)
    values = [draw(st.sampled_from([1.0, 0.5, 0.0, -0.5, -1.0])) for _ in pairs]
    labels = [draw(st.sampled_from([math.nan, math.nan, 1.0, 0.0])) for _ in range(n_claims)]
    x = draw(st.integers(0, n_claims - 1))
    return dict(src_origin=np.array(origin), src_class=np.array(grade), claim_group=np.array(group),
                group_is_question=np.array(is_question), st_claim=np.array([c for c, _ in pairs]),
                st_source=np.array([s for _, s in pairs]), st_value=np.array(values)), np.array(labels), x


def _estimate(desk, labels):
    return truth.estimate_arrays(**desk, claim_label=labels).estimate


def _own_rulings(desk, labels, x):
    """Every way of ruling claim x's own truth: x ruled true, false or not at all, and for an
    answer of a question, any other answer ruled true (which rules x false) or false."""
    group = desk["claim_group"]
    own = np.flatnonzero(group == group[x]) if desk["group_is_question"][group[x]] else np.array([x])
    ways = []
    for ruled in own:
        for value in (1.0, 0.0):
            changed = labels.copy()
            changed[own] = math.nan
            changed[ruled] = value
            ways.append(changed)
    cleared = labels.copy()
    cleared[own] = math.nan
    return [cleared, *ways]


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(desks())
def test_a_claims_own_ruling_never_changes_its_estimate(case):
    """docs/estimates.md: rule claim X any way (or not at all) and X's estimate is what it was.
    For an answer of a question, its own ruling includes every ruling of the question's other
    answers: one of them ruled true rules X false."""
    desk, labels, x = case
    estimates = [_estimate(desk, ruled)[x] for ruled in _own_rulings(desk, labels, x)]
    first = estimates[0]
    for other in estimates[1:]:
        assert (math.isnan(first) and math.isnan(other)) or abs(first - other) < 1e-9, estimates


@settings(max_examples=100, deadline=None)
@given(desks())
def test_the_answers_of_a_question_sum_to_at_most_one(case):
    desk, labels, _ = case
    estimate = _estimate(desk, labels)
    group = desk["claim_group"]
    for g in np.flatnonzero(desk["group_is_question"]):
        answers = estimate[group == g]
        assert np.nansum(answers) <= 1.0 + 1e-9
        assert np.all(np.isnan(answers)) or not np.any(np.isnan(answers))  # a question is spoken to, or not


def test_other_rulings_do_move_an_estimate():
    """The property above is not vacuous: rulings of *other* claims teach the sources' records."""
    # Source 0 and 1 disagree on claims 0-3; claim 0 is the one estimated.
    desk = dict(src_origin=np.array([0, 1]), src_class=np.array([5, 5]), claim_group=np.arange(4),
                group_is_question=np.zeros(4, dtype=bool), st_claim=np.repeat(np.arange(4), 2),
                st_source=np.tile([0, 1], 4), st_value=np.tile([1.0, -1.0], 4))
    unruled = _estimate(desk, np.full(4, math.nan))[0]
    source_0_right = _estimate(desk, np.array([math.nan, 1.0, 1.0, 1.0]))[0]
    source_1_right = _estimate(desk, np.array([math.nan, 0.0, 0.0, 0.0]))[0]
    assert source_1_right < unruled < source_0_right
    assert source_0_right - source_1_right > 0.3


def test_no_rulings_and_no_grades_still_estimate():
    """Agreement alone: two independent sources affirming beat one denying."""
    desk = dict(src_origin=np.array([0, 1, 2]), src_class=np.array([5, 5, 5]), claim_group=np.array([0]),
                group_is_question=np.array([False]), st_claim=np.zeros(3, dtype=int),
                st_source=np.arange(3), st_value=np.array([1.0, 1.0, -1.0]))
    estimate = _estimate(desk, np.array([math.nan]))[0]
    assert 0.5 < estimate < 1.0


def test_one_origin_is_one_vote():
    """Three sources of one affiliation count as one voice against one independent source."""
    same = dict(src_origin=np.array([0, 0, 0, 1]), src_class=np.array([5, 5, 5, 5]), claim_group=np.array([0]),
                group_is_question=np.array([False]), st_claim=np.zeros(4, dtype=int),
                st_source=np.arange(4), st_value=np.array([1.0, 1.0, 1.0, -1.0]))
    independent = {**same, "src_origin": np.array([0, 1, 2, 3])}
    label = np.array([math.nan])
    assert abs(_estimate(same, label)[0] - 0.5) < 1e-9
    assert _estimate(independent, label)[0] > 0.6


# -- rule 7 (verity.reconcile.reconcile_question) on answers' reconciliations ------------------

from verity.models import Reconciliation  # noqa: E402
from verity.reconcile import reconcile_question  # noqa: E402


def _answer(key, affirming=(), denying=(), affirming_origins=None):
    pairs = tuple(sorted((a, d) for a in affirming for d in denying))
    return Reconciliation(key, key, "contested" if affirming and denying else "single-source", None, None,
                          tuple(affirming), tuple(denying), (), len(affirming) if affirming_origins is None
                          else affirming_origins, len(denying), pairs)


def test_rule_7_verdicts_and_leading_answer():
    assert reconcile_question("q", "?", [_answer("a"), _answer("b")]).verdict == "open"
    one = reconcile_question("q", "?", [_answer("a", ["X", "Y"]), _answer("b")])
    assert (one.verdict, one.leading) == ("settled", "a")
    assert reconcile_question("q", "?", [_answer("a", ["X", "Y"], affirming_origins=1)]).verdict == "single-source"
    denied = reconcile_question("q", "?", [_answer("a", ["X", "Y"], ["Z"])])
    assert (denied.verdict, denied.contradictions) == ("disputed", (("X", "Z"), ("Y", "Z")))
    two = reconcile_question("q", "?", [_answer("b", ["Y"]), _answer("a", ["X"])])
    assert (two.verdict, two.leading, two.contradictions) == ("disputed", None, (("X", "Y"),))
    both = reconcile_question("q", "?", [_answer("a", ["X"]), _answer("b", ["X", "Y"])])
    assert (both.leading, both.contradictions) == ("b", (("X", "X"), ("X", "Y")))
