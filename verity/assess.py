"""`verity assess`: the estimate of every claim, from the store's counted stances.

Reads what the model needs from the store (`Store.assessment_input`: sources, claims,
the counted stances of rule 1 under the claim and source they count for), turns it
into the arrays verity.truth works on, and turns the fit back into verity's words:
one `Assessment` per claim (estimate, credibility grade, the basis it rests on).
The only module that imports numpy: no other command pays for it.

    desk = assess(store)
    for assessment in desk.assessments():
        ...
    desk.save(store)   # what `verity assess --save` stores, for claim show, reports, Datasette
"""

from __future__ import annotations

import math
from typing import Iterator, Optional, Sequence

import numpy as np

from . import truth
from .models import POSITIONS, utc_now
from .names import fold
from .reconcile import VALUES
from .trust import ESTIMATE_DECIMALS, RELIABILITY_DECIMALS, Assessment, Basis, credibility, rounded, ruled_truth

METHOD = truth.METHOD
_POSITION_NAMES = np.array(POSITIONS, dtype=object)
_POSITION_CODE = {position: code for code, position in enumerate(POSITIONS)}
_POSITION_VALUES = np.array([VALUES[position] for position in POSITIONS])


def _index(ids: np.ndarray) -> np.ndarray:
    """A look-up table from database id to row number (-1: none)."""
    table = np.full(int(ids.max(initial=0)) + 1, -1, dtype=np.int64)
    table[ids] = np.arange(len(ids))
    return table


def _rows_of(table: np.ndarray, ids: np.ndarray, what: str, store) -> np.ndarray:
    """The rows (`_index`) of the records counted stances name; a record that is not there (a
    file damaged outside verity) is said to be, as every write says it."""
    rows = table[np.clip(ids, 0, len(table) - 1)] if len(table) else np.full(len(ids), -1, np.int64)
    missing = (ids < 0) | (ids >= len(table)) | (rows < 0)  # a negative id would wrap to the last row
    if missing.any():
        from .store.core import damaged

        raise damaged(store.path, f"a stance names {what} {int(ids[missing][0])}, which is not there")
    return rows


def _codes(values) -> np.ndarray:
    """Dense integer codes for hashable values, in the order first met."""
    seen: dict = {}
    return np.fromiter((seen.setdefault(value, len(seen)) for value in values), np.int64, len(values))


class DeskAssessment:
    """The model fitted to a whole desk: every claim's estimate and every source's learned
    reliability, by the store's ids."""

    def __init__(self, data, fit: truth.Fit, claim_rows: np.ndarray, stance_claim: np.ndarray,
                 stance_source: np.ndarray, position: np.ndarray):
        self.data = data
        self.fit = fit
        self.method = METHOD
        self.claim_rows = claim_rows  # claim id -> row
        self.computed_at = utc_now()
        self._stance_claim, self._stance_source, self._position = stance_claim, stance_source, position
        self.estimates = self._rounded(fit.estimate)
        self._basis_rows: Optional[tuple[list, list, list]] = None  # names, positions, reliabilities
        self._basis_starts: list = []

    def _rounded(self, estimate: np.ndarray) -> list[Optional[float]]:
        """Each claim's estimate to three decimals, a question's answers still summing to at most 1."""
        out = [None if math.isnan(e) else e for e in estimate.tolist()]
        answers: dict[int, list[int]] = {}
        for row, (_id, _key, question_id, *_rest) in enumerate(self.data.claims):
            if question_id is not None:
                answers.setdefault(question_id, []).append(row)
        result = [None if e is None else round(e, ESTIMATE_DECIMALS) for e in out]
        for rows in answers.values():
            for row, value in zip(rows, rounded([out[row] for row in rows])):
                result[row] = value
        return result

    def credibility(self, row: int) -> int:
        return credibility(self.estimates[row], self.data.claims[row][5])

    def _prepare_basis(self) -> None:
        """Every claim's basis at once: its counted sided stances by source name (plain string
        order), each with its source's reliability as used for the claim."""
        reliability = self.fit.stance_reliability
        sided = np.flatnonzero(~np.isnan(reliability))  # neutral stances take no side
        names = [s[1] for s in self.data.sources]
        name_of = np.array(names + [""], dtype=object)[:-1]  # (the "" keeps numpy from splitting strings)
        rank = np.empty(len(names), dtype=np.int64)
        rank[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
        claim_row, source_row = self._stance_claim[sided], self._stance_source[sided]
        order = np.lexsort((rank[source_row], claim_row))
        sided, claim_row, source_row = sided[order], claim_row[order], source_row[order]
        self._basis_starts = np.searchsorted(claim_row, np.arange(len(self.data.claims) + 1)).tolist()
        self._basis_rows = (name_of[source_row].tolist(), _POSITION_NAMES[self._position[sided]].tolist(),
                            np.round(reliability[sided], RELIABILITY_DECIMALS).tolist())

    def _basis(self, row: int) -> tuple[Basis, ...]:
        """The counted sided stances of the claim in this row, with their sources' reliability."""
        if self._basis_rows is None:
            self._prepare_basis()
        start, end = self._basis_starts[row], self._basis_starts[row + 1]
        names, positions, reliabilities = self._basis_rows
        return tuple(zip(names[start:end], positions[start:end], reliabilities[start:end]))

    def assessment(self, row: int) -> Assessment:
        claim_id, key, _question_id, question, ruling, _verdict = self.data.claims[row]
        return Assessment(claim=key, question=question, estimate=self.estimates[row],
                          credibility=self.credibility(row), ruling=ruling, basis=self._basis(row), method=METHOD)

    def assessments(self, claim_ids: Optional[Sequence[int]] = None) -> Iterator[Assessment]:
        """The assessment of these claims (in that order), or of every claim by id."""
        for row in self._rows(claim_ids):
            yield self.assessment(row)

    def _rows(self, claim_ids: Optional[Sequence[int]]):
        return range(len(self.data.claims)) if claim_ids is None else (int(self.claim_rows[i]) for i in claim_ids)

    def json_items(self, claim_ids: Optional[Sequence[int]] = None) -> Iterator[dict]:
        """What `verity assess --json` gives for these claims (in that order), or every claim by
        id: each assessment as JSON-ready data, made straight from the fit (a desk's basis lists
        a million stances)."""
        if self._basis_rows is None:
            self._prepare_basis()
        names, positions, reliabilities = self._basis_rows
        starts, claims, estimates = self._basis_starts, self.data.claims, self.estimates
        for row in self._rows(claim_ids):
            _id, key, _question_id, question, ruling, verdict = claims[row]
            start, end = starts[row], starts[row + 1]
            yield {"claim": key, "question": question, "estimate": estimates[row],
                   "credibility": credibility(estimates[row], verdict), "ruling": ruling,
                   "basis": [{"source": n, "position": p, "reliability": r} for n, p, r in
                             zip(names[start:end], positions[start:end], reliabilities[start:end])],
                   "method": METHOD}

    def save(self, store) -> None:
        """Store every claim's estimate and grade and every source's learned reliability."""
        claims = self.data.claims
        store.save_estimates(
            METHOD, self.computed_at,
            ((claims[row][0], self.estimates[row], self.credibility(row)) for row in range(len(claims))),
            ((source[0], round(float(r), RELIABILITY_DECIMALS))
             for source, r in zip(self.data.sources, self.fit.reliability.tolist())))


def assess(store) -> DeskAssessment:
    """Fit the model to every claim of the desk in `store` (see verity.truth)."""
    if store.stances_not_by_id():  # numpy would cut 1.5 to source 1, and count it
        from .store.core import damaged

        raise damaged(store.path, "a stance names its claim or source by something that is not an id")
    data = store.assessment_input()
    sources, claims = data.sources, data.claims
    source_ids = np.fromiter((s[0] for s in sources), np.int64, len(sources))
    claim_ids = np.fromiter((c[0] for c in claims), np.int64, len(claims))
    source_rows, claim_rows = _index(source_ids), _index(claim_ids)
    # One origin per affiliation (compared as names are), else the source itself.
    origin = _codes([("affiliation", fold(a)) if a and fold(a) else ("source", i) for i, _n, a, _r, _k in sources])
    grade_class = {grade: index for index, grade in enumerate(truth.GRADE_CLASSES)}
    src_class = np.fromiter((grade_class.get(s[3], len(truth.GRADE_CLASSES) - 1) for s in sources),
                            np.int64, len(sources))
    kind = _codes([fold(k) if k and fold(k) else None for *_rest, k in sources])
    group = _codes([("question", q) if q is not None else ("claim", i) for i, _k, q, *_rest in claims])
    is_question = np.zeros(int(group.max(initial=-1)) + 1, dtype=bool)
    is_question[group[[row for row, c in enumerate(claims) if c[2] is not None]]] = True
    label = np.array([math.nan if (t := ruled_truth(c[4])) is None else float(t) for c in claims])
    parts: tuple[list, list, list] = ([], [], [])
    for chunk in data.stances:
        n = len(chunk)
        parts[0].append(np.fromiter((s[0] for s in chunk), np.int64, n))
        parts[1].append(np.fromiter((s[1] for s in chunk), np.int64, n))
        parts[2].append(np.fromiter(map(_POSITION_CODE.__getitem__, (s[2] for s in chunk)), np.int8, n))
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int8))
    claim_id, source_id, position = (np.concatenate(p) if p else e for p, e in zip(parts, empty))
    stance_claim, stance_source = _rows_of(claim_rows, claim_id, "claim", store), _rows_of(source_rows, source_id,
                                                                                         "source", store)
    value = _POSITION_VALUES[position]
    fit = truth.estimate_arrays(src_origin=origin, src_class=src_class, src_kind=kind, claim_group=group,
                                group_is_question=is_question, claim_label=label, st_claim=stance_claim,
                                st_source=stance_source, st_value=value)
    return DeskAssessment(data, fit, claim_rows, stance_claim, stance_source, position)
