"""Importing records: each checked with the models' own rules and handed to the store's bulk load.

The `Importer` takes each record as it is read: it adds or reuses sources and claims, and
stages stances (most of them rows already, `rows.prepared`) to write them in batches. Its
other parts: finding the claim and source a stance names (`references.References`), and
what a version-2 document adds, applied once every record is in (`extras.Extras`).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

import attrs

from .. import uids
from ..formats import RECORD_TYPES, Place, claim_row_maker, stance_row_maker, structure_record
from ..models import Claim, Ruling, Source, Stance, slugify
from ..names import fold, visible
from ..store import BulkLoad, Store, claim_of_values, claim_row, current_user, stance_values
from ..store.bulk import Edited, Named
from ..store.resolve import rekeyed_from
from .extras import Extras
from .references import References
from .rows import Record, preparer, quick_claim, quick_stance, staged
from .summary import ImportSummary, Problems

BATCH = 5_000  # stances staged before they are written


class Importer(References, Extras):
    """One import into a bulk load (`Store.bulk_load`): `add` each record, then `finish`."""

    def __init__(self, load: BulkLoad, *, create_missing: bool = False, user: Optional[str] = None,
                 missing_hint: str = "", reread: Optional[Callable[[], Iterable[Record]]] = None):
        self.load = load
        self.reread = reread  # the file's records again, to say where a stance is that an earlier batch wrote
        self.store: Store = load.store
        self.create_missing = create_missing
        self.user = user or current_user()
        self.missing_hint = missing_hint  # how to fix an unknown claim or source in this format
        self.summary = ImportSummary()
        self.problems = Problems()
        self.record = 0  # the number of the record at hand, in the file
        # Bounded by the number of sources, claims and problems, and by a batch: never by the stances.
        self._sources: dict[str, tuple[int, Source, Optional[str]]] = {}  # folded name -> (id, source, where)
        self._source_uids: dict[str, tuple[int, Source, Optional[str]]] = {}  # a uid the file gives -> likewise
        self._named: dict[str, int] = {}  # a source's name as the file's record spells it -> its id
        self._source_ids: dict[str, int] = {}  # a source's name as stances spell it -> its id
        self._broken_claims: set[str] = set()  # keys said to be missing or failed: their stances say nothing new
        self._broken_sources: set[str] = set()  # folded names, likewise
        self._claim_keys: dict[str, str] = {}  # --create-missing: a claim reference as written -> its claim's key
        # A uid the file gives a claim that is a claim of the database's with another uid (its key and
        # fields the same) -> (its id, its key): what a stance's claim_uid finds it by. Most claims
        # have their uid in the database, and are found there.
        self._claim_uids: dict[str, tuple[int, str]] = {}
        self._broken_uids: set[str] = set()  # of sources and claims that failed: their stances say nothing new
        self._reviewed: set[str] = set()  # keys of claims found equal to a reviewed claim (ClaimReview)
        self._rows: list[tuple] = []  # staged stances: bulk.STAGED_COLUMNS, or STAGED_UNRETRACTED
        # (record number, place) of each, to say where one is that would edit a stance logged
        # before the import, or that repeats the uid of another that says otherwise
        self._places: list[tuple[int, Place]] = []
        self._claim_ids: dict[str, int] = {}  # a claim's key as stances name it -> its id
        self._later: list = []  # what refers to records that may come later (see `_apply_later`)
        self._questions: list[tuple[int, str, Place]] = []  # (claim id, its question's key, where)
        self._first_rulings: list[tuple[int, Ruling]] = []  # the ruling of a claim that came with no history
        self._with_history = False  # the record at hand gave its ruling history
        self._merged = False  # the record at hand says it was merged into another
        self._stance_values = stance_row_maker()
        self._claim_values = claim_row_maker()

    # -- records -----------------------------------------------------------------

    def add(self, kind: str, data: Any, place: Place) -> None:
        """One record: ("source" | "claim" | "stance", its JSON data, where it is).

        ("error", message, place) is a problem the reader found; ("review", (claim,
        authors), place) a ClaimReview (see `claimreview.Reviews` and `review`);
        ("stance-row", row, place) a stance `prepared` made into its row (`quick_stance`);
        ("claim-row", (row, uid, desk), place) a claim likewise (`quick_claim`).
        """
        self.record += 1
        if kind == "stance-row":  # a stance `prepared` made into its row (most records): nothing more to it
            self._stage(data, place)
            return
        if kind == "claim-row":
            self._with_history = self._merged = False
            row, uid, desk = data
            self._claim_row(row, place, uid=uid, desk=desk)
            return
        extras = self._extras(kind, data, place)
        self._with_history = "rulings" in extras
        self._merged = "merged_into" in extras
        record_id = None  # of the source or claim, for what `_apply_later` adds to it
        if kind == "stance":
            self._stance_data(data, place, extras)
        elif kind == "claim":
            quick = quick_claim(data, self._claim_values) if isinstance(data, dict) else None
            if quick is not None:  # the quick way, for a claim that gives its key (most of them)
                row, uid, desk = quick
                record_id = self._claim_row(row, place, uid=uid, desk=desk)
            else:
                record_id = self._checked(kind, data, place, self.claim)
        elif kind == "source":
            record_id = self._checked(kind, data, place, self.source)
        elif kind == "question":
            self._checked(kind, data, place, self.question)
        elif kind == "change":
            self._checked(kind, data, place, lambda change, _place: self._later.append(change))
        elif kind == "review":
            self.review(*data, place)
        else:
            self.error(data, place)
        if extras and record_id is not None:  # else it failed, and said why
            self._later.append((kind, record_id, data.get("uid"), extras, place))

    def _stance_data(self, data: Any, place: Place, refs: Optional[dict] = None) -> None:
        """A stance record; `refs`: the uid of its claim or source it gives (claim_uid, source_uid)."""
        same_time = True
        given_by = True
        if isinstance(data, dict):
            quick = quick_stance(data, self.user, self._stance_values)  # most stances
            if quick is not None:
                self._stage(quick, place, refs)
                return
            if "logged_by" not in data:
                given_by = False
                data["logged_by"] = self.user  # who imported it, as 'stance add' records who logged it
            same_time = "logged_at" in data  # else it is logged now, and a re-import matches on content
        stance = self._checked("stance", data, place)
        if stance is not None:
            self.stance(stance, place, same_time, given_by, refs)
        elif isinstance(data, dict):  # its references may be wrong too: say so
            if isinstance(data.get("claim"), str) and data["claim"].strip():
                self._claim_key(data["claim"].strip(), place)
            if isinstance(data.get("source"), str) and data["source"].strip():
                self._source_id(data["source"].strip(), place)

    def _checked(self, kind: str, data: Any, place: Place, then: Optional[Callable] = None) -> Any:
        """The model of a record, checked in full (and handed to `then`), or None after saying what is wrong."""
        cls = RECORD_TYPES[kind]
        record, errors = structure_record(data, cls, place)
        if not errors:
            return then(record, place) if then is not None else record
        for text in errors:
            self.problems.add(self.record, text)
        if isinstance(data, dict):  # so that its stances add no second error
            if kind in ("claim", "source") and isinstance(data.get("uid"), str):
                self._broken_uids.add(data["uid"])
            if kind == "claim":
                key = data.get("key")
                if not isinstance(key, str) and isinstance(data.get("text"), str):
                    key = slugify(data["text"])
                if isinstance(key, str):
                    self._broken_claims.add(key)
            elif kind == "source" and isinstance(data.get("name"), str):
                self._broken_sources.add(fold(data["name"].strip()))
        return None

    def source(self, source: Source, place: Place, by_name: bool = False) -> Optional[int]:
        """Add a source, or reuse the one it is when the fields agree (or `by_name`): see `_same_source`."""
        pending = self._merged and source.uid is not None  # see `_same_source`
        known = self._same_source(source)
        if known is None:
            added = attrs.evolve(source, uid=source.uid or uids.of_source(source.name))
            source_id = self.load.add_source(added, merged=pending)
            self._remember_source(source, (source_id, added, _record_place(place)), pending)
            self.summary.sources += 1
            return source_id
        self._remember_source(source, known, pending)
        source_id, held, where = known
        incoming = attrs.evolve(source, name=held.name)
        if fold(source.affiliation or "") == fold(held.affiliation or ""):  # the same body, as names are matched
            incoming = attrs.evolve(incoming, affiliation=held.affiliation)
        if by_name or held == incoming:
            if where is None:
                self.summary.sources_present += 1
            return source_id
        there = f"the one at {where}" if where else "the one already in the database"
        self.error(f"source {source.name!r} differs from {there} "
                   f"({_differences(held, incoming, f'at {where}' if where else 'in the database')}); "
                   "make them agree or rename one", place, conflict=True)
        return None

    def _same_source(self, source: Source) -> Optional[tuple[int, Source, Optional[str]]]:
        """The source `source` is, as (id, the source, where in the file or None), or None: the one
        with its uid; else, unless its file says it was merged into another (its name may then be
        that one's), the one with its name or alias, and for a source without a uid the one with
        the uid its name gives."""
        if source.uid is not None:
            known = self._source_uids.get(source.uid)
            if known is not None:
                return known
            found = self.store.source_with_uid(source.uid)
            if found is not None:
                return found.id, found, None
            if self._merged:
                return None
        known = self._sources.get(fold(source.name))
        if known is not None:
            return known
        found = self.store.source_named(source.name)
        if found is not None and ("sources", found.id) in self.load.pending:
            found = None  # added by this import, merged into another: not a name's holder
        if found is None and source.uid is None:
            found = self.store.source_with_uid(uids.of_source(source.name))
        return None if found is None else (found.id, found, None)

    def _remember_source(self, source: Source, known: tuple[int, Source, Optional[str]], merged: bool) -> None:
        """What later records find `source` (as the file gives it) by: its uid, and its name (for
        stances exactly as spelt; as names are matched, unless `merged`: its file gives its uid
        and says it was merged into another)."""
        if source.uid is not None:
            self._source_uids.setdefault(source.uid, known)
        if not merged:
            self._sources.setdefault(fold(source.name), known)
        _remember(self._named, source.name, known[0], merged)

    def claim(self, claim: Claim, place: Place) -> Optional[int]:
        """Add a claim, or reuse the one with its key when the fields agree."""
        claim_id = self._claim_row(claim_row(claim), place, claim, claim.uid, claim.desk)
        if claim_id is not None and claim.question:
            self._questions.append((claim_id, claim.question, place))
        return claim_id

    def _claim_row(self, row: tuple, place: Place, claim: Optional[Claim] = None, uid: Optional[str] = None,
                   desk: Optional[str] = None) -> Optional[int]:
        """Add a claim given as `claim_row` gives it, or reuse the one it is when the fields agree:
        the one with its uid; else, unless its file says it was merged into another (its key may
        then be that one's), the one with its key, and for a claim without a uid the one with
        the uid its key gives."""
        pending = self._merged and uid is not None
        given = uid
        uid = uid or uids.of_claim(row[0])
        claim_id = self.load.add_claim(row, uid, desk, merged=pending,
                                       rekeyed_from=rekeyed_from(row[0], given) if given else None)
        if claim_id is not None:
            self._added_claim(claim_id, row, pending)
            return claim_id
        # its uid (or key) is taken: the same claim, or say how they differ
        existing = self.store.claim_with_uid(given) if given else None
        if existing is None:
            existing = self.store.claim_keyed(row[0])
            if existing is None or ("claims", existing.id) in self.load.pending:
                existing = self.store.claim_with_uid(uid)  # added by this import, merged: not the key's holder
        claim_id = self._same_claim(existing, claim or claim_of_values(row), place)
        if claim_id is not None:
            _remember(self._claim_ids, row[0], claim_id, pending)
            if given and existing.uid != given:
                self._claim_uids[given] = (claim_id, row[0])
        elif given:
            self._broken_uids.add(given)
        return claim_id

    def _added_claim(self, claim_id: int, row: tuple, pending: bool = False) -> None:
        """Count a claim just added; a ruling it came with, and no history of, is its first ruling."""
        self.summary.claims += 1
        _remember(self._claim_ids, row[0], claim_id, pending)
        if row[5] is not None and not self._with_history:
            self._first_rulings.append((claim_id, Ruling(ruling=row[5], explanation=row[6], ruled_at=row[7],
                                                         ruled_by=row[8])))

    def _same_claim(self, existing: Claim, claim: Claim, place: Place) -> Optional[int]:
        """The id of `existing`, if `claim` (with its key) is the same claim; else say how they differ."""
        earlier = existing.id > self.load.claims_before  # added by an earlier record of this import
        if existing == claim:
            self.summary.claims_present += not earlier
            return existing.id
        there = "the one earlier in this file" if earlier else "the one already in the database"
        self.error(f"claim {claim.key!r} differs from {there} "
                   f"({_differences(existing, claim, 'earlier' if earlier else 'in the database')}); "
                   "make them agree or give it another key", place, conflict=True)
        return None

    def claim_with_free_key(self, claim: Claim, place: Place) -> Optional[str]:
        """Add a claim whose key was made from its text: reuse an equal claim, else take the
        first free key of key, key-2, key-3, …; returns the key, or None after saying why not."""
        for n in range(1, 10_000):
            candidate = claim if n == 1 else attrs.evolve(claim, key=f"{claim.key}-{n}")
            row = claim_row(candidate)
            claim_id = self.load.add_claim(row, candidate.uid or uids.of_claim(candidate.key), candidate.desk)
            if claim_id is not None:
                self._added_claim(claim_id, row)
                return candidate.key
            existing = self.store.find_claim(candidate.key)
            if existing == candidate:
                if candidate.key not in self._reviewed:  # a review repeated in the file is there once
                    self._reviewed.add(candidate.key)
                    self.summary.claims_present += existing.id <= self.load.claims_before
                return candidate.key
        self.error(f"too many claims with keys like {claim.key!r}", place)  # pragma: no cover
        return None

    def stance(self, stance: Stance, place: Place, same_time: bool = True, given_by: bool = True,
               refs: Optional[dict] = None) -> None:
        """Log a stance, unless one just like it was logged before this import. `refs`: the uid of
        its claim or source, where its file gives it (claim_uid, source_uid)."""
        self._stage(staged(stance_values(stance), same_time, given_by), place, refs)

    def review(self, claim: Claim, authors: Iterable[tuple[Source, Stance, Place]], place: Place) -> None:
        """A reviewed claim (`claimreview.Reviews`): the claim, with the first free key made from
        its text, and each author a source matched by name alone, whose stance affirms it."""
        key = self.claim_with_free_key(claim, place)
        if key is None:
            return
        for source, stance, where in authors:
            if self.source(source, where, by_name=True) is not None:
                self.stance(attrs.evolve(stance, claim=key, logged_by=stance.logged_by or self.user), where,
                            same_time=False)

    def error(self, message: str, place: Any, conflict: bool = False) -> None:
        """A problem with the record at hand, at `place`."""
        self.problems.add(self.record, f"{message} @ {place}", conflict)

    # -- stances, staged and written in batches -------------------------------------

    def _stage(self, row: tuple, place: Place, refs: Optional[dict] = None) -> None:
        """Stage a stance given as `quick_stance` gives it, with the ids of its claim (one
        there before the stance was read) and its source: by their uids where `refs` gives them
        (`_referenced`), else by key and name. One whose uid another stance has (logged before,
        or earlier in the file) is compared with it as its batch is written."""
        claim: Optional[str] = row[1].strip()
        claim_id = None
        if refs and refs.get("claim_uid"):
            claim_id = self._referenced("claim", refs["claim_uid"], claim, place)
        else:
            if self.create_missing:  # the reference may make a claim (its source is looked at even if not)
                claim = self._claim_key(claim, place)
            claim_id = None if claim is None else self._claim_ids.get(claim)
            if claim_id is None and claim is not None:
                # a claim there before the import: by its key or an old one, as `stance add` finds it
                found = self.store.find_claim(claim)
                if found is None:
                    self._no_claim(claim, place, self.record, self.load.claim_limit)
                else:
                    claim_id = self._claim_ids[claim] = found.id
        if refs and refs.get("source_uid"):
            source_id = self._referenced("source", refs["source_uid"], row[2].strip(), place)
            if source_id is None:
                return
        else:
            source_id = self._source_ids.get(row[2])
            if source_id is None:
                source_id = self._source_id(row[2].strip(), place)
                if source_id is None:
                    return
                self._source_ids[row[2]] = source_id  # this spelling, as written, from now on
        if claim_id is None:
            return
        self._rows.append((row[0], claim_id, source_id, *row[3:]))
        self._places.append((self.record, place))
        if len(self._rows) >= BATCH:
            self._write()

    def _referenced(self, kind: str, uid: str, named: str, place: Place) -> Optional[int]:
        """The id of the claim (`kind` "claim") or source a stance gives the uid of, as well as its key
        or name (which another record of its file has too): the record of the file with that uid, or
        of the database. None after saying it is not there, or is another than the key or name says."""
        if uid in self._broken_uids:
            return None  # its own error is already said
        found = self._with_uid(kind, uid)
        agrees = found is not None and self._names_it(kind, found[1], named)
        field, by = place.field(f"{kind}_uid"), "key" if kind == "claim" else "name"
        if found is None:
            self.error(f"no {kind} with uid {uid} in this file (before this stance) or the database; give the "
                       f"uid of the {kind} {named!r}, or leave {kind}_uid out to find it by its {by}", field)
        elif not agrees:
            self.error(f"{kind}_uid {uid} is the {kind} {found[1]!r}, not {named!r} as its {kind} says; make them "
                       f"agree, or leave {kind}_uid out to find it by its {by}", field)
        else:
            return found[0]
        return None

    def _write(self) -> None:
        """Write the staged stances (unless the import has failed already: then it stops, but
        still says where a stance would edit one logged before, or repeats the uid of one that
        says otherwise)."""
        rows, places = self._rows, self._places
        if not rows:
            return
        self._rows, self._places = [], []
        if self.load.stances_before or self.problems.count:  # (failing, it writes nothing that would tell)
            rows = self._logged(rows, places)  # is any of these a stance logged already, or repeated here?
        if self.problems.count:
            return
        written = self.load.write_stances(rows)
        if written is None:  # into a table that was empty, a uid repeated in the file
            rows = self._logged(rows, places)
            if self.problems.count:
                return
            written = self.load.write_stances(rows, checked=True)
        self.summary.stances += written.inserted
        self.summary.stances_present += written.skipped

    def _logged(self, rows: list[tuple], places: list[tuple[int, Place]]) -> list[tuple]:
        """The stances of a batch to write (`BulkLoad.logged`), after saying where each is that
        the import cannot log."""
        logged = self.load.logged(rows)
        self.summary.stances_present += logged.present
        repeated = [edit for edit in logged.edited if not edit.before]
        found = self._first_places({edit.uid for edit in repeated if edit.earlier is None
                                    and self.problems.shown(places[edit.index][0])})
        for edit in logged.edited:
            record, place = places[edit.index]
            if edit.before:
                self._edited(edit, record, place)
            else:
                earlier = places[edit.earlier][1] if edit.earlier is not None else found.get(edit.uid)
                self._repeated(edit, record, place, earlier)
        return logged.rows

    def finish(self, name: str = "the file") -> ImportSummary:
        """Write what is staged, or raise every problem (the bulk load then rolls back)."""
        self._write()
        if not self.problems.count:
            self._apply_later()
        if self.problems.count:
            raise self.problems.failure(name)
        return self.summary

    def _first_places(self, wanted: set[str]) -> dict[str, Place]:
        """Where in the file the first stance is with each of these uids (as the file gives it or
        its content gives it), read again; none when it cannot be read again (standard input)."""
        found: dict[str, Place] = {}
        if not wanted or self.reread is None:
            return found
        prepare = preparer(self.user)
        records = self.reread()
        try:
            for record in records:
                kind, data, place = prepare(record)
                if kind == "stance-row":
                    uid = data[-2]
                elif kind == "stance" and isinstance(data, dict):
                    uid = data.get("uid")
                else:
                    continue
                if uid in wanted and uid not in found:
                    found[uid] = place
                    if len(found) == len(wanted):
                        break
        finally:
            close = getattr(records, "close", None)
            if close is not None:
                close()
        return found

    def _repeated(self, edit: Edited, record: int, place: Place, earlier: Optional[Place]) -> None:
        """Say that the stance at `place` has the uid its file gives the stance at `earlier` (None:
        not known), and says otherwise."""
        where = _record_place(earlier) if earlier is not None else None
        at, there = (f"at {where}", f"at {where}") if where else ("earlier", "earlier in this file")
        said = "; ".join(f"{field}: {_said(old)} {at}, {_said(new)} here" for field, old, new in edit.differences)
        text = (f"stance {edit.uid} differs from the stance {there} with the same uid ({said}); a uid names one "
                "stance: make them agree, or remove this one's uid and logged_at to log it as another stance")
        self.problems.add(record, f"{text} @ {_where(edit, place)}", conflict=True)

    def _edited(self, edit: Edited, record: int, place: Place) -> None:
        """Say that the stance at `place` would edit the one logged with its uid, and how to log it."""
        number = edit.stance_id
        fields = [field for field, _there, _here in edit.differences]
        if fields == ["retracted"]:
            text = (f"stance {edit.uid} is logged already (#{number}), not retracted, and is retracted here "
                    f"({_said(edit.differences[0][2])}); stances are never edited: retract it with 'verity stance retract "
                    f"{number} --reason ...', or take another desk's retractions with 'verity merge'")
        else:
            said = "; ".join(f"{field}: {_said(there)} in the database, {_said(here)} here"
                             for field, there, here in edit.differences)
            text = (f"stance {edit.uid} is logged already (#{number}) and says otherwise here ({said}); stances are "
                    f"never edited: to log this one as a new stance, logged now, remove its uid and logged_at; if "
                    f"it corrects #{number}, retract that one too ('verity stance retract {number} --reason ...')")
        self.problems.add(record, f"{text} @ {_where(edit, place)}", conflict=True)


def _remember(names: dict[str, int], name: str, record_id: int, merged: bool) -> None:
    """Note the source or claim that the file's stances mean by a name or key as they spell it
    (`names`), for a record of the file with it, added or reused alike: the one not merged into
    another. One its file says was merged into another (`merged`) may share the name with that
    one; stances mean it only while no other record of the file has the name."""
    if not merged or name not in names:
        names[name] = record_id


def _where(edit: Edited, place: Place) -> Place:
    """Where in a stance record is what makes it differ: the one field that differs, or the record."""
    fields = [field for field, _there, _here in edit.differences]
    if len(fields) > 1:
        return place
    if fields == ["retracted"]:
        return place.field("retracted").field("reason")  # what makes it retracted (a CSV row's column)
    return place.field(fields[0])


def _record_place(place: Any) -> str:
    """Where a record is, without the JSON path's root: 'line 3', '$.sources[2]'."""
    text = str(place)
    return text[:-3] if text.endswith(", $") else text


def _differences(existing: Any, incoming: Any, there: str) -> str:
    """"kind: 'official' in the database, 'analyst' here; ..." """
    parts = []
    for field in attrs.fields(type(existing)):
        if field.name == "id" or not field.eq:
            continue
        old, new = getattr(existing, field.name), getattr(incoming, field.name)
        key = field.eq_key or (lambda value: value)  # as the model compares it (a claim's tags: models.tag_key)
        if key(old) != key(new):
            parts.append(f"{field.name}: {_said(old)} {there}, {_said(new)} here")
    return "; ".join(parts)


def _said(value: Any) -> str:
    """A value in a difference, as a user writes it: text in single quotes (cut short, its control
    characters shown escaped), tags separated by commas, 'none' for none; a claim or source by its
    key or name (`Named`)."""
    if isinstance(value, Named):
        return _said(value.name) + (f" (uid {value.uid})" if value.uid else "")
    if isinstance(value, (tuple, list)):
        value = ", ".join(map(str, value)) or None
    if value is None:
        return "none"
    if not isinstance(value, str):
        return str(value)
    text = visible(value)
    return f"'{text}'" if len(text) <= 58 else f"'{text[:57]}…'"
