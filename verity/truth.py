"""What is probably true, from sources' track records: the model behind `verity assess`.

Pure functions on numpy arrays; nothing here knows verity's database (verity.assess
reads the counted stances from the store and hands them over). docs/estimates.md
says what the model does for fact-checkers; this docstring says it for a
contributor, and the benchmark (python -m benchmarks.truth) measures it.

The model
---------
Every source has a track record, and the estimate weighs what sources say by it.

- **Track record.** On claims the desk has ruled, a source was right (it took the
  side the ruling took) or wrong. On claims nobody has ruled, it is credited by how
  probable its side looks given everyone else ("agreement"); a claim only one origin
  spoke to teaches nothing and is skipped. **Rulings come first**: a source's
  agreement record is only the starting point of its ruled record, worth
  PRIOR_STRENGTH rulings, and agreement alone never rates a source above an A
  grade's figure (AGREEMENT_CEILING): agreement can be copying, a ruling cannot.
- **Copying is learned** (AccuCopy: Dong, Berti-Equille & Srivastava, VLDB 2009).
  After a first fit that takes every source as independent, each pair of sources of
  different origins that answered at least MIN_SHARED of the same questions is
  tested once: do they name the same answers, above all the same wrong ones, far
  more often than independent sources of their reliability would? Where a pair is
  probably dependent, on every claim where both take the same side the less
  reliable of the two keeps only (1 - c d) of its vote (d the probability that they
  are dependent, c = COPY_RATE). Declared affiliations stay one origin; this finds
  the undeclared ones. Tested on questions only: on yes/no claims, sources that
  agree by temperament (credulous ones affirm most rumours) look like copies.
- **Starting points (pools).** A source with little record starts from sources like
  it: the same Admiralty grade (F and ungraded together), the same kind, and a
  similar amount said (once, 2-9, 10-99, 100+ counted stances). A pool starts from
  its grade's textbook figure (GRADE_PRIOR) and is corrected by its members' records.
- **Yes/no claims** weigh a "yes" and a "no" apart (two coins): a source has a chance
  of affirming a true claim and of denying a false one, so the "yes" of a source that
  affirms everything counts for little and its "no" for much. The prior is the base
  rate of true claims among the ruled ones (even odds when none is ruled).
- **Questions** (exclusive answers): the truth is one of the answers or something
  else, alike a priori; a wrong source picks a value the way the crowd does
  (Pasternack & Roth's GuessLCA), so affirming an answer weighs logit(r) + log(1/f),
  f the answer's share of the question's votes. Estimates of one question's answers
  sum to at most 1 (the rest is "none of these"). Where sources name different
  answers, their records are credited with each answer's share among the answers
  named ("dispute credit"; charging every disputant for an unnamed truth drains all
  records at once).
- **One vote per origin**: sources of one affiliation share one vote on a claim. A
  source that affirms two answers of one question shares its vote between them.
- **Partial positions** count half, in the vote and in the record; neutral, nothing.

No claim vouches for itself
---------------------------
Every claim is estimated with its sources' records taken without it (for a question,
without any of its answers): what its group added to each record, to the pools and
to the base rate is subtracted in closed form. That alone would not keep a claim's
own ruling out: in an EM fit that used the ruling, the ruling moves its sources'
rates, the rates move the credits of their other claims, and those credits are in the
records taken "without" the claim. So EM never sees a ruling:

1. The model is fitted **without any ruling**: agreement alone, the copy test on
   that fit, then the refit with copies discounted. This gives every unruled claim
   the credit its sources' agreement records are made of.
2. Every claim is then estimated once, from records made of the **other groups'
   rulings**, counted directly as right or wrong, and of that fit's agreement
   credits, with its own group's part subtracted.

Nothing in a claim's estimate then depends on its own ruling: ruling it, or ruling
it otherwise, leaves its estimate as it was (up to floating-point rounding, far below
the third decimal). For an answer of a question, its own ruling is the ruling of every
answer of that question (one answer ruled true rules the others false), so none of them is
used for any of them. Rulings still come first in every record they are part of; they only
do not travel through other claims' credits, which cost nothing measurable on the benchmark
with half the gold ruled (docs/estimates.md has the figures).

Formally: a semi-supervised naive-Bayes (Dawid-Skene) model with Beta priors and
two-level empirical-Bayes pools, fitted by EM. With r, se, sp a source's rates, v its
position (+-1, +-0.5), and sums over origins of the mean of their sources' terms:

    yes/no:   logit P(true) = logit(pi) + sum v>0: |v| log(se / (1 - sp))
                                        - sum v<0: |v| log(sp / (1 - se))
    question: P(answer a) = e^S_a / (1 + sum_b e^S_b),
              S_a = sum v>0 on a: v (logit r - log f_a)  +  sum v<0 on a: v logit r

Each rate is (ruled hits + k * agree) / (ruled + k), agree = min((agreement hits +
k * pool) / (agreement total + k), AGREEMENT_CEILING), k = PRIOR_STRENGTH; pools are
means of their members' shrunk records, shrunk to the grade class, the class to its
textbook figure (POOL_STRENGTH sources' worth) and never below CLASS_FLOOR.

Cost: each EM round is a few `bincount`s over the stances; the copy test pairs
answers to one question by sources of MIN_SHARED+ answers only (capped by
MAX_PAIR_GROUP and PAIR_BUDGET), never all pairs of sources.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Optional

import numpy as np

METHOD = "track-record-em/3"
"""The algorithm's name, as `assess` reports it in `method`."""

# Starting reliability of a graded source, before the desk's own record corrects it;
# F ("cannot be judged") and ungraded sources start from UNGRADED_PRIOR.
GRADE_PRIOR = {"A": 0.95, "B": 0.85, "C": 0.70, "D": 0.55, "E": 0.45}
GRADE_CLASSES = ("A", "B", "C", "D", "E", None)  # None: F or no grade
UNGRADED_PRIOR = 0.70  # sources beat a coin until the record says otherwise
CLASS_FLOOR = 0.5  # a grade class is never learned to be worse than a coin
PRIOR_STRENGTH = 3.0  # a source's pool (or agreement record) is worth this many rulings
POOL_STRENGTH = 2.0  # a pool's starting figure is worth this many sources' records
ACTIVITY_EDGES = (1, 10, 100)  # activity pools: spoke once, 2-9, 10-99, 100+ times
RATE_FLOOR, RATE_CEIL = 0.01, 0.99
AGREEMENT_CEILING = GRADE_PRIOR["A"]  # agreement alone never rates a source above an A grade
ITERATIONS, TOLERANCE = 10, 1e-3  # EM rounds of the independent fit; stop when no estimate moves more
DEPENDENCE_ITERATIONS = 50  # at most this many more once copying is known
# The copy test, with AccuCopy's settings: a copier repeats its original on a share
# COPY_RATE of the claims, a pair is dependent a priori with probability COPY_PRIOR, a
# wrong answer is one of FALSE_VALUES values. A pair is tested when it shares
# MIN_SHARED questions; a question with more than MAX_PAIR_GROUP testable answers is
# not used (the cost is quadratic in it), nor the largest beyond PAIR_BUDGET pairs.
COPY_RATE, COPY_PRIOR, FALSE_VALUES = 0.8, 0.2, 100.0
MIN_SHARED, MAX_PAIR_GROUP, PAIR_BUDGET = 5, 50, 4_000_000


class Fit(NamedTuple):
    """What `estimate_arrays` returns, by the index of each claim, source and stance."""

    estimate: np.ndarray  # P(true) per claim; nan when no counted stance takes a side on it (or its question)
    reliability: np.ndarray  # each source's learned reliability, every ruling used
    stance_reliability: np.ndarray  # per stance: its source's reliability as used for its claim; nan if neutral
    rounds: int  # EM rounds run
    base_rate: float  # the prior of a yes/no claim: true ones among the ruled (Laplace), 0.5 with none
    dependent: tuple  # (source a, source b, probability) arrays: pairs judged dependent, most likely first


def _dense(*keys: np.ndarray) -> tuple[np.ndarray, int, np.ndarray]:
    """Dense ids 0..n-1 for the distinct tuples of non-negative integer keys, their
    count, and the index of each id's first row."""
    combined = np.zeros(len(keys[0]), dtype=np.int64)
    for key in keys:
        combined = combined * (int(key.max(initial=0)) + 1) + key
    uniq, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    return inverse.ravel(), len(uniq), first


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1.0 - p))


class _Records(NamedTuple):
    """The parts of every source's record that do not change during EM, for one use of rulings."""

    ruled_w: np.ndarray  # per stance: its weight in its source's ruled record
    agree_w: np.ndarray  # per stance: its weight in the agreement record
    ruled_right: np.ndarray  # per stance: the ruled weight it was right by
    ruled_true_w: np.ndarray  # per stance: ruled weight on a claim ruled true (two coins)
    sums: dict  # per source: the same, summed


class _Model:
    """The stances and sources as the model sees them, and one EM step's parts."""

    def __init__(self, src_origin, src_class, src_kind, claim_group, group_is_question, claim_label,
                 st_claim, st_source, st_value):
        self.n_src, self.n_claims = len(src_origin), len(claim_group)
        self.n_groups = len(group_is_question)
        self.src_class = src_class = np.asarray(src_class, dtype=np.int64)
        self.claim_group = claim_group = np.asarray(claim_group, dtype=np.int64)
        self.group_is_question = group_is_question = np.asarray(group_is_question, dtype=bool)
        self.class_prior = np.array([GRADE_PRIOR.get(gc, UNGRADED_PRIOR) if gc else UNGRADED_PRIOR
                                     for gc in GRADE_CLASSES])

        # Stances: the sided ones only; a source affirming several answers of one
        # question shares its vote between them.
        values = np.asarray(st_value, dtype=np.float64)
        self.index = index = np.flatnonzero(values != 0)
        c, s, v = np.asarray(st_claim)[index], np.asarray(st_source)[index], values[index]
        g = claim_group[c]
        affirm = v > 0
        pair, n_pair, first = _dense(g, s)
        n_aff = np.bincount(pair, weights=affirm.astype(np.float64), minlength=n_pair)
        share = np.where(affirm & (n_aff[pair] > 1), 1.0 / np.maximum(n_aff[pair], 1.0), 1.0)
        self.w = w = np.abs(v) * share  # a stance's weight in its source's record
        self.c, self.s, self.v, self.g, self.affirm = c, s, v, g, affirm
        self.pair, self.n_pair = pair, n_pair
        self.pair_source, self.pair_group = s[first], g[first]

        # Origins: one vote per origin on a group, its sources averaged.
        self.origin = origin = np.asarray(src_origin, dtype=np.int64)[s]
        go_pair, n_go, go_first = _dense(g, origin)
        self.share = share / np.bincount(go_pair[first], minlength=n_go).astype(np.float64)[go_pair]
        informative = np.bincount(g[go_first], minlength=self.n_groups)[g] > 1  # another origin spoke

        # Pools: grade class, kind, how much the source has said.
        bucket = np.searchsorted(np.asarray(ACTIVITY_EDGES), np.bincount(s, minlength=self.n_src))
        kind = np.zeros(self.n_src, dtype=np.int64) if src_kind is None else np.asarray(src_kind, dtype=np.int64)
        self.src_pool, self.n_pools, _ = _dense(src_class, kind, bucket)
        self.pool_class = np.zeros(self.n_pools, dtype=np.int64)
        self.pool_class[self.src_pool] = src_class
        self.pair_class, self.pair_pool = src_class[self.pair_source], self.src_pool[self.pair_source]

        # Hypotheses: a yes/no claim true or false; a question one of its answers or none.
        self.q_stance = q_stance = group_is_question[g]
        self.yes_no = ~q_stance
        self.two = bool(self.yes_no.any())
        self.single_group = ~group_is_question
        self.spoken = (np.bincount(g, minlength=self.n_groups) > 0)[claim_group]
        affirmed = np.bincount(c[affirm], minlength=self.n_claims) > 0
        disputed = group_is_question & (np.bincount(claim_group, weights=affirmed.astype(np.float64),
                                                    minlength=self.n_groups) >= 2)
        self.disputed_claim = disputed[claim_group]
        # Each stance's weight is |v| times one of four per-source figures: a question's
        # affirmation or denial (+-logit r), a yes/no claim's "yes" or "no".
        self.stance_code = 4 * s + np.where(q_stance, np.where(affirm, 0, 1), np.where(affirm, 2, 3))
        self.aff_i = affirm.astype(np.int64)
        self.aff_f = affirm.astype(np.float64)
        self.set_votes(self.share)

        # Rulings: a question with an answer ruled true rules its other answers false.
        label = np.asarray(claim_label, dtype=np.float64)
        ruled = ~np.isnan(label)
        self.ruled_true = ruled_true = ruled & (np.nan_to_num(label) == 1.0)
        group_true = np.bincount(claim_group, weights=ruled_true.astype(np.float64), minlength=self.n_groups) > 0
        self.hard = (ruled | (group_true[claim_group] & group_is_question[claim_group]))[c]
        self.hard_label = ruled_true.astype(np.float64)[c]
        self.single_ruled = ruled & self.single_group[claim_group] & self.spoken
        # Per (group, pool) and (group, grade class): a group's sources' pools are taken without it too.
        self.gc_key, self.n_gc, _ = _dense(self.pair_group, self.pair_class)
        self.gp_key, self.n_gp, _ = _dense(self.pair_group, self.pair_pool)
        self.counted = np.where(informative, w, 0.0)  # in the records: claims with another origin...
        self.counted_ruled = np.where(self.hard | informative, w, 0.0)  # ... and ruled ones

    def set_votes(self, vote_share: np.ndarray) -> None:
        """Each stance's share of a vote (lowered for copies), and what affirming an answer
        adds beyond the source's reliability: log(1/f), f the answer's share of the votes."""
        self.vote_share = vote_share
        c, g, affirm = self.c, self.g, self.affirm
        votes = np.bincount(c, weights=np.where(affirm, vote_share, 0.0), minlength=self.n_claims)
        group_votes = np.bincount(self.claim_group, weights=votes, minlength=self.n_groups)
        bonus = -np.log(np.clip(votes[c] / np.maximum(group_votes[g], 1e-12), 1e-12, 1.0))
        self.affirm_bonus = np.where(affirm & self.q_stance, self.v * bonus, 0.0)

    def by_source(self, x: np.ndarray) -> np.ndarray:
        return np.bincount(self.s, weights=x, minlength=self.n_src)

    def by_pair(self, x: np.ndarray) -> np.ndarray:
        return np.bincount(self.pair, weights=x, minlength=self.n_pair)

    def records(self, rulings: bool) -> _Records:
        """The fixed parts of the records, with every ruling or with none."""
        if rulings:
            hard, counted = self.hard, self.counted_ruled
        else:
            hard, counted = np.zeros(len(self.c), dtype=bool), self.counted
        ruled_w = np.where(hard, counted, 0.0)
        agree_w = counted - ruled_w
        deny_f = 1.0 - self.aff_f
        ruled_right = ruled_w * (deny_f + (self.aff_f - deny_f) * self.hard_label)
        ruled_true_w = ruled_w * self.hard_label
        sums = {"ruled_hits": self.by_source(ruled_right), "ruled_total": self.by_source(ruled_w),
                "agree_total": self.by_source(agree_w), "agree_deny": self.by_source(agree_w * deny_f),
                "se_hits": self.by_source(ruled_true_w * self.aff_f), "on_true": self.by_source(ruled_true_w),
                "sp_hits": self.by_source((ruled_w - ruled_true_w) * deny_f)}
        return _Records(ruled_w, agree_w, ruled_right, ruled_true_w, sums)

    def base_rate(self) -> tuple[float, np.ndarray]:
        """The prior that a yes/no claim is true: Laplace over the ruled ones, even odds when
        none is ruled; and per group, the same without the group's own ruling."""
        ruled = self.single_ruled
        n = float(ruled.sum())
        if not n:
            return 0.5, np.full(self.n_groups, 0.5)
        t = float(self.ruled_true[ruled].sum())
        pi = np.full(self.n_groups, (t + 1.0) / (n + 2.0))
        pi[self.claim_group[ruled]] = (t - self.ruled_true[ruled] + 1.0) / (n + 1.0)
        return (t + 1.0) / (n + 2.0), pi

    def rates(self, ruled_hits, ruled_total, agree_hits, agree_total, own=None):
        """Each source's rate; with `own` (the same four sums per (group, source) pair)
        also each pair's rate without its group, pools included, else None."""
        k, m = PRIOR_STRENGTH, POOL_STRENGTH
        hits, total = ruled_hits + agree_hits, ruled_total + agree_total
        term_a, term_b = hits / (total + k), total / (total + k)
        n_classes = len(GRADE_CLASSES)
        cls_a = np.bincount(self.src_class, weights=term_a, minlength=n_classes)
        cls_b = np.bincount(self.src_class, weights=term_b, minlength=n_classes)
        pool_a = np.bincount(self.src_pool, weights=term_a, minlength=self.n_pools)
        pool_b = np.bincount(self.src_pool, weights=term_b, minlength=self.n_pools)
        mu_cls = np.maximum((cls_a + m * self.class_prior) / (cls_b + m), CLASS_FLOOR)
        mu_pool = (pool_a + m * mu_cls[self.pool_class]) / (pool_b + m)

        def combine(rh, rt, ah, at, mu):
            agree = np.minimum((ah + k * mu) / (at + k), AGREEMENT_CEILING)
            return np.clip((rh + k * agree) / (rt + k), RATE_FLOOR, RATE_CEIL)

        rate = combine(ruled_hits, ruled_total, agree_hits, agree_total, mu_pool[self.src_pool])
        if own is None:
            return rate, None
        ps, pc, pp = self.pair_source, self.pair_class, self.pair_pool
        rh, rt, ah, at = (ruled_hits[ps] - own[0], ruled_total[ps] - own[1],
                          agree_hits[ps] - own[2], agree_total[ps] - own[3])
        # The pools without the group: each of its sources' terms replaced by its term without it.
        hw, tw = rh + ah, rt + at
        d_a, d_b = hw / (tw + k) - term_a[ps], tw / (tw + k) - term_b[ps]
        gc, gp = self.gc_key, self.gp_key
        cls_wo = np.maximum((cls_a[pc] + np.bincount(gc, weights=d_a, minlength=self.n_gc)[gc] + m * self.class_prior[pc])
                            / (cls_b[pc] + np.bincount(gc, weights=d_b, minlength=self.n_gc)[gc] + m), CLASS_FLOOR)
        pool_wo = ((pool_a[pp] + np.bincount(gp, weights=d_a, minlength=self.n_gp)[gp] + m * cls_wo)
                   / (pool_b[pp] + np.bincount(gp, weights=d_b, minlength=self.n_gp)[gp] + m))
        return rate, combine(rh, rt, ah, at, pool_wo)

    def weights(self, records: _Records, p_st: np.ndarray):
        """Each stance's log-likelihood weight from the records that the credits `p_st`
        (per stance) give, every group included; the one-coin rates; the two coins."""
        R = records.sums
        both = np.bincount(2 * self.s + self.aff_i, weights=records.agree_w * p_st, minlength=2 * self.n_src)
        x_src, xa_src = both[0::2] + both[1::2], both[1::2]  # agreement weight on true claims; its "yes" part
        right_src = R["agree_deny"] + 2.0 * xa_src - x_src  # affirmed a true claim or denied a false one
        rel, _ = self.rates(R["ruled_hits"], R["ruled_total"], right_src, R["agree_total"])
        table = np.empty((self.n_src, 4))
        table[:, 0] = _logit(rel)
        table[:, 1] = -table[:, 0]
        table[:, 2:] = table[:, :2]
        coins = None
        if self.two:
            se, _ = self.rates(R["se_hits"], R["on_true"], xa_src, x_src)
            sp, _ = self.rates(R["sp_hits"], R["ruled_total"] - R["on_true"],
                               R["agree_deny"] - (x_src - xa_src), R["agree_total"] - x_src)
            table[:, 2] = np.log(se / (1.0 - sp))
            table[:, 3] = -np.log(sp / (1.0 - se))
            coins = (se, sp)
        return np.abs(self.v) * table.ravel()[self.stance_code], rel, coins

    def weights_without_own(self, records: _Records, p_st: np.ndarray):
        """As `weights`, but each stance's from its source's record without the stance's
        group (records, pools); and the one-coin rate used for each stance."""
        R, by_pair = records.sums, self.by_pair
        aff_f, deny_f = self.aff_f, 1.0 - self.aff_f
        x = records.agree_w * p_st
        xa = x * aff_f
        x_src, xa_src = self.by_source(x), self.by_source(xa)
        right_src = R["agree_deny"] + 2.0 * xa_src - x_src
        # (Each part's per-pair sums are made just before they are used and dropped after:
        # they are the largest arrays the model makes.)
        own = (by_pair(records.ruled_right), by_pair(records.ruled_w),
               by_pair(records.agree_w * deny_f + 2.0 * xa - x), by_pair(records.agree_w))
        _, rel_pair = self.rates(R["ruled_hits"], R["ruled_total"], right_src, R["agree_total"], own=own)
        del own
        rel_st = rel_pair[self.pair]
        del rel_pair
        weight = self.v * _logit(rel_st)
        if self.two:
            ruled_w, ruled_true_w, agree_w = records.ruled_w, records.ruled_true_w, records.agree_w
            own = (by_pair(ruled_true_w * aff_f), by_pair(ruled_true_w), by_pair(xa), by_pair(x))
            _, se_pair = self.rates(R["se_hits"], R["on_true"], xa_src, x_src, own=own)
            own = (by_pair((ruled_w - ruled_true_w) * deny_f), by_pair(ruled_w - ruled_true_w),
                   by_pair((agree_w - x) * deny_f), by_pair(agree_w - x))
            _, sp_pair = self.rates(R["sp_hits"], R["ruled_total"] - R["on_true"],
                                    R["agree_deny"] - (x_src - xa_src), R["agree_total"] - x_src, own=own)
            del own
            se_st, sp_st = se_pair[self.pair], sp_pair[self.pair]
            yes = np.where(self.affirm, np.log(se_st / (1.0 - sp_st)), -np.log(sp_st / (1.0 - se_st)))
            weight = np.where(self.yes_no, yes * np.abs(self.v), weight)
        return weight, rel_st

    def posterior(self, weight: np.ndarray, pi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """P(true) of every claim from each stance's weight, and the credit its sources'
        records get: the same, except on a disputed question, where it is the answer's
        share among the answers given."""
        cg = self.claim_group
        score = np.bincount(self.c, weights=(weight + self.affirm_bonus) * self.vote_share, minlength=self.n_claims)
        logit = np.where(self.single_group, _logit(pi), 0.0)[cg] + score
        top = np.zeros(self.n_groups)  # "false" / "none of these" sits at 0
        np.maximum.at(top, cg, logit)
        e = np.exp(logit - top[cg])
        listed = np.bincount(cg, weights=e, minlength=self.n_groups)
        p = e / (np.exp(-top) + listed)[cg]
        credit = np.where(self.disputed_claim, e / np.maximum(listed, 1e-300)[cg], p)
        return p, credit

    def run_em(self, records: _Records, pi: np.ndarray, p: np.ndarray, credit: np.ndarray, rounds: int):
        """EM rounds from these credits until no estimate moves more than TOLERANCE."""
        done = 0
        while done < rounds:
            new_p, credit = self.posterior(self.weights(records, credit[self.c])[0], pi)
            delta = float(np.max(np.abs(new_p - p), initial=0.0))
            p, done = new_p, done + 1
            if delta < TOLERANCE:
                break
        return p, credit, done


def estimate_arrays(*, src_origin, src_class, claim_group, group_is_question, claim_label, st_claim, st_source,
                    st_value, src_kind: Optional[np.ndarray] = None) -> Fit:
    """The model on dense integer arrays.

    Sources are 0..S-1: `src_origin[s]` its origin (sources sharing one are not
    independent), `src_class[s]` its grade's index in GRADE_CLASSES, `src_kind[s]` an
    optional kind id. Claims are 0..C-1: `claim_group[c]` its question's group, or a
    group of its own; `group_is_question[g]`; `claim_label[c]` 1.0 ruled true, 0.0 ruled
    false, nan otherwise. Stances are the counted ones (rule 1), as parallel arrays of
    claim, source and position value (+1, +0.5, 0, -0.5, -1).
    """
    model = _Model(src_origin, src_class, src_kind, claim_group, group_is_question, claim_label,
                   st_claim, st_source, st_value)
    n_claims, n_stances = model.n_claims, len(np.asarray(st_value))
    if not len(model.c):
        empty = np.zeros(0, dtype=np.int64)
        rel = np.clip(model.class_prior[model.src_class], RATE_FLOOR, RATE_CEIL)
        return Fit(np.full(n_claims, np.nan), rel, np.full(n_stances, np.nan), 0, 0.5, (empty, empty, np.zeros(0)))

    # ---- The fit without rulings: independent sources, the copy test on it, then the refit.
    free = model.records(rulings=False)
    pi_free = np.full(model.n_groups, 0.5)  # even odds: agreement alone cannot tell the base rate
    start = model.v * _logit(np.clip(model.class_prior[model.src_class][model.s], RATE_FLOOR, RATE_CEIL))
    p, credit = model.posterior(start, pi_free)
    p, credit, rounds = model.run_em(free, pi_free, p, credit, ITERATIONS)
    dependent = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))
    _, rel, _ = model.weights(free, credit[model.c])
    found = _dependence(model, credit, rel)
    if found is not None:
        factor, dependent = found
        model.set_votes(model.share * factor)
        p, credit = model.posterior(model.weights(free, credit[model.c])[0], pi_free)
        p, credit, more = model.run_em(free, pi_free, p, credit, DEPENDENCE_ITERATIONS)
        rounds += more

    # ---- Every claim from its sources' records without its group: every other group's
    # ruling directly, agreement as the fit without rulings credits it.
    del free
    records = model.records(rulings=True)
    base, pi_without_own = model.base_rate()
    weight, rel_st = model.weights_without_own(records, credit[model.c])
    p, _ = model.posterior(weight, pi_without_own)
    _, reliability, _ = model.weights(records, credit[model.c])

    estimate = np.where(model.spoken, p, np.nan)
    stance_reliability = np.full(n_stances, np.nan)
    stance_reliability[model.index] = rel_st
    return Fit(estimate, reliability, stance_reliability, rounds, base, dependent)


def _pairs_in_groups(group: np.ndarray, rows: np.ndarray, max_group: int, budget: int):
    """Every pair (i, j), i before j, of the given stance rows that share a group. The
    cost is quadratic in a group's size only: groups with more than `max_group` rows are
    skipped, and if all pairs would exceed `budget` the largest groups are skipped until
    they fit (deterministic; such crowds have votes enough without it)."""
    empty = np.zeros(0, dtype=np.int64)
    if not len(rows):
        return empty, empty
    rows = rows[np.argsort(group[rows], kind="stable")]
    gr = group[rows]
    starts = np.flatnonzero(np.r_[True, gr[1:] != gr[:-1]])
    sizes = np.diff(np.r_[starts, len(rows)])
    by_size, n_of_size = np.unique(sizes[(sizes >= 2) & (sizes <= max_group)], return_counts=True)
    total = np.cumsum(n_of_size * by_size * (by_size - 1) // 2)
    by_size = by_size[total <= budget]
    first, second = [empty], [empty]
    for size in by_size.tolist():
        block = rows[starts[sizes == size][:, None] + np.arange(size)]
        a, b = np.triu_indices(size, 1)
        first.append(block[:, a].ravel())
        second.append(block[:, b].ravel())
    return np.concatenate(first), np.concatenate(second)


def _dependence(model: _Model, credit: np.ndarray, rel: np.ndarray):
    """The copy test (AccuCopy), once, on a fit without rulings. Returns each stance's
    vote factor and the dependent pairs (a, b, probability > 0.5), or None when no
    pair is tested.

    Independent sources with accuracies A1, A2 name the same true answer with
    probability A1 A2 and the same false one with (1-A1)(1-A2)/n; a copier repeats the
    other with probability c and is otherwise independent. Summed over the questions
    both answer, with p the credit that the shared answer is true,

        same answer:  p log((c A + (1-c) A1 A2) / (A1 A2))
                      + (1-p) log((c (1-A) + (1-c)(1-A1)(1-A2)/n) / ((1-A1)(1-A2)/n))
        different:    log(1 - c)

    (A = (A1 + A2) / 2) is the log likelihood ratio of dependence; with prior odds
    COPY_PRIOR : 1 - COPY_PRIOR it gives the probability d that the pair is dependent.
    On a claim where both take the same side, the less reliable keeps (1 - c d) of its
    vote (both keep sqrt(1 - c d) when equally reliable). Votes change, records do not.
    """
    c, s, g, affirm, w = model.c, model.s, model.g, model.affirm, model.w
    n_src = model.n_src
    eligible = model.q_stance & affirm
    eligible &= np.bincount(s[eligible], minlength=n_src)[s] >= MIN_SHARED
    first, second = _pairs_in_groups(g, np.flatnonzero(eligible), MAX_PAIR_GROUP, PAIR_BUDGET)
    keep = model.origin[first] != model.origin[second]
    first, second = first[keep], second[keep]
    if not len(first):
        return None
    lo, hi = np.minimum(s[first], s[second]), np.maximum(s[first], s[second])
    keys, inverse, counts = np.unique(lo * n_src + hi, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    keep = counts[inverse] >= MIN_SHARED
    if not keep.any():
        return None
    first, second, inverse = first[keep], second[keep], inverse[keep]
    kept, inverse = np.unique(inverse, return_inverse=True)
    inverse = inverse.ravel()
    keys = keys[kept]
    src_a, src_b = keys // n_src, keys % n_src

    cr = COPY_RATE
    same = c[first] == c[second]  # both affirm (only affirmations are tested): the same answer
    a1, a2 = rel[s[first]], rel[s[second]]
    mean = 0.5 * (a1 + a2)
    p = credit[c[first]]  # P(the shared answer is true)
    indep_false = (1 - a1) * (1 - a2) / FALSE_VALUES
    term = np.where(same, p * np.log((cr * mean + (1 - cr) * a1 * a2) / (a1 * a2))
                    + (1 - p) * np.log((cr * (1 - mean) + (1 - cr) * indep_false) / indep_false),
                    math.log(1 - cr))
    llr = np.bincount(inverse, weights=w[first] * w[second] * term, minlength=len(keys))
    d = 1.0 / (1.0 + np.exp(-np.clip(llr + math.log(COPY_PRIOR / (1 - COPY_PRIOR)), -50, 50)))

    # Each copy's vote factor: the less reliable of a dependent pair is discounted.
    log_keep = np.log(np.maximum(1.0 - cr * d[inverse], 1e-12)) * same
    tie = a1 == a2
    log_first = np.where(a1 < a2, log_keep, np.where(tie, 0.5 * log_keep, 0.0))
    log_second = np.where(a2 < a1, log_keep, np.where(tie, 0.5 * log_keep, 0.0))
    factor = np.exp(np.bincount(first, weights=log_first, minlength=len(c))
                    + np.bincount(second, weights=log_second, minlength=len(c)))
    order = np.argsort(-d, kind="stable")
    order = order[d[order] > 0.5]
    return factor, (src_a[order], src_b[order], d[order])
