"""Importing records: each checked with the models' own rules and handed to the store's bulk load."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Optional

import attrs

from .. import uids
from ..errors import InvalidValue, did_you_mean
from ..formats import (
    RECORD_EXTRAS,
    RECORD_TYPES,
    Place,
    claim_row_maker,
    stance_row_maker,
    structure_record,
    structure_record_list,
)
from ..models import Change, Claim, Question, Ruling, Source, Stance, is_key, slugify
from ..names import fold
from ..store import BulkLoad, Store, claim_of_values, claim_row, claim_row_of, current_user, stance_values
from ..store.bulk import GAVE_LOGGED_AT, GAVE_LOGGED_BY, GAVE_UID, Edited, Named
from ..store.merge import rekeyed_from
from .summary import ImportSummary, Problems

BATCH = 5_000  # stances staged before they are written
SUGGEST_LIMIT = 20_000  # above this many names, 'did you mean' would cost more than it helps

Record = tuple[str, Any, Place]  # (type, data, place): see Importer.add
_CLAIM_LATER = frozenset(RECORD_EXTRAS["claim"])  # a claim record with any of these goes the full way

def prepared(records: Iterable[Record], user: str) -> Iterator[Record]:
    """The records, with each plain stance (nearly all of them) made into the row it will
    stage, ("stance-row", (given, *values), place) (see `quick_stance`), and each plain
    claim into its row, ("claim-row", (row, uid, desk), place). What is read, checked and
    derived here needs nothing from the database, so `ahead` may do it in another process;
    `Importer.add` takes the records either way."""
    make_stance, make_claim = stance_row_maker(), claim_row_maker()
    for kind, data, place in records:
        if kind == "stance" and data.__class__ is dict:
            quick = quick_stance(data, user, make_stance)
            if quick is not None:
                yield "stance-row", quick, place
                continue
        elif kind == "claim" and data.__class__ is dict and not data.keys() & _CLAIM_LATER:
            quick = quick_claim(data, make_claim)
            if quick is not None:
                yield "claim-row", quick, place
                continue
        yield kind, data, place


def quick_claim(data: dict, make: Callable[[dict], Optional[tuple]]) -> Optional[tuple]:
    """A claim record that gives its key and no question, made the quick way into its row
    (`store.claim_row`), its uid (None when the file gives none) and desk; None when it needs
    the full check."""
    values = make(data) if not data.get("question") else None
    if values is None:
        return None
    *fields, uid, desk = values
    return claim_row_of(tuple(fields)), uid, desk


def quick_stance(data: dict, user: str, make: Callable[[dict], Optional[tuple]]) -> Optional[tuple]:
    """A stance record made into the row it will stage, the quick way (`formats.stance_row_maker`'s
    `make`): as `staged` gives it, its values as `store.stance_values` gives them but without a
    retraction (the quick way takes none). None, with `data` as it was, when the record needs
    the full check."""
    given_by = "logged_by" in data
    if not given_by:
        data["logged_by"] = user  # who imported it, as 'stance add' records who logged it
    values = make(data)
    if values is None:
        if not given_by:
            del data["logged_by"]
        return None
    same_time = "logged_at" in data  # else it is logged now, and a re-import matches on content
    return staged(values, same_time, given_by)  # never retracted: bulk.STAGED_UNRETRACTED


def staged(values: tuple, same_time: bool, given_by: bool) -> tuple:
    """A stance's values (those of STANCE_FIELDS first, its uid and desk last) as the row it is
    staged as (bulk.STAGED_COLUMNS): first what its file gave of it, then the values, with the
    uid its content gives when it has none (`with_uid`). `same_time`: the file gave its
    logged_at; `given_by`: its logged_by."""
    given = (GAVE_LOGGED_AT if same_time else 0) | (GAVE_LOGGED_BY if given_by else 0) \
        | (GAVE_UID if values[-2] is not None else 0)
    return (given, *with_uid(values, same_time, given_by))


def with_uid(values: tuple, same_time: bool, given_by: bool) -> tuple:
    """A stance's values (those of STANCE_FIELDS first, its uid and desk last), with the uid its
    content gives when it has none: what the file says, not what this import adds (its time
    unless the file gave it, its logger unless the file named one), so one file imported on two
    desks gives the same uids."""
    if values[-2] is not None:
        return values
    claim_key, source_name, position, quote, url, said_on, via, _note, logged_at, logged_by = values[:10]
    uid = uids.of_stance(claim_key.strip(), source_name.strip(), position, quote, url, said_on, via,
                         logged_at if same_time else None, logged_by if given_by else None)
    return (*values[:-2], uid, values[-1])


class Importer:
    """One import into a bulk load (`Store.bulk_load`): `add` each record, then `finish`."""

    def __init__(self, load: BulkLoad, *, create_missing: bool = False, user: Optional[str] = None,
                 missing_hint: str = ""):
        self.load = load
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
        self._reviewed: set[str] = set()  # keys of claims found equal to a reviewed claim (ClaimReview)
        self._rows: list[tuple] = []  # staged stances: bulk.STAGED_COLUMNS, or STAGED_UNRETRACTED
        self._batch_uids: set[str] = set()  # their uids
        # (record number, place) of each, to say where one is that would edit a stance logged before
        # the import; none into a database with no stances, where no stance can be edited
        self._places: Optional[list[tuple[int, Place]]] = [] if load.stances_before else None
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
            self._stance_data(data, place)
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

    def _extras(self, kind: str, data: Any, place: Place) -> dict:
        """Take out of a record what a version-2 document adds beyond its model's fields
        (aliases, ruling history, what it was merged into), checked; they are applied once
        every record is in (`_apply_later`)."""
        names = RECORD_EXTRAS.get(kind)
        if not names or not isinstance(data, dict):
            return {}
        extras = {name: data.pop(name) for name in names if name in data}
        aliases = extras.get("aliases")
        if aliases is not None and not (isinstance(aliases, list) and all(isinstance(a, str) for a in aliases)):
            self.error("expected a list of names", place.field("aliases"))
        merged = extras.get("merged_into")
        if merged is not None and not isinstance(merged, str):
            self.error("expected the name (or key) of the record it was merged into, or null",
                       place.field("merged_into"))
        if "rulings" in extras:
            rulings, errors = structure_record_list(extras["rulings"], Ruling, place.field("rulings"))
            for text in errors:
                self.problems.add(self.record, text)
            extras["rulings"] = rulings
        return {name: value for name, value in extras.items() if value}

    def question(self, question: Question, place: Place) -> None:
        """Add a question (a group of claims that answer it), or reuse the one with its key."""
        self.load.add_question(question)

    def _apply_later(self) -> None:
        """What refers to records that may come later in the file: aliases, merges, ruling
        histories, questions of claims, and changes (by the uid of their record)."""
        merges: dict[str, list[tuple[str, str, str]]] = {}  # a record's uid -> (at, uid, into) of its merge changes
        for item in self._later:
            if isinstance(item, Change) and item.action == "merge" and item.record_uid and item.new:
                merges.setdefault(item.record_uid, []).append((item.at, item.uid or "", item.new))
        for item in self._later:
            if isinstance(item, Change):
                record_id = self.load.record_id(item.record_type, item.record_uid) if item.record_uid else None
                if record_id is None:
                    self.problems.add(self.record, f"change {item.uid or ''} is of a {item.record_type} that is "
                                      "not in the file or the database; check its record_uid")
                    continue
                self.load.add_change(item, record_id)
                continue
            kind, record_id, uid, extras, place = item
            table = "sources" if kind == "source" else "claims"
            if "aliases" in extras:
                self.load.add_aliases(table, record_id, extras["aliases"])
            if "rulings" in extras:
                self.load.add_rulings(record_id, extras["rulings"])
            if "merged_into" in extras:
                self._merge(table, record_id, extras["merged_into"], sorted(merges.get(uid, ())),
                            place.field("merged_into"))
        for claim_id, ruling in self._first_rulings:
            self.load.add_rulings(claim_id, [ruling])
        for claim_id, key, place in self._questions:
            question_id = self.load.question_id(key)
            if question_id is None:
                self.error(f"no question {key!r}; add it to the document's questions, or first with "
                           "'verity question add'", place.field("question"))
            else:
                self.load.link_question(claim_id, question_id)

    def _merge(self, table: str, record_id: int, name: str, changes: list[tuple[str, str, str]],
               place: Place) -> None:
        """Point a record at the one its file says it was merged into, by that one's name or key.
        Two records may share it (one merged into the other, or a desk merge's re-keyed claim
        given its key back), so it is found as the pointer came to be (verity.store.resolve):
        the one a merge change of the record (the latest) merged it into; else the oldest one
        with it by name; else the record that holds the name (not merged into another), else
        one merged that has it, else the one with it as an alias. One that names itself so is
        merged into nothing: a record is never merged into itself (an earlier verity could
        write such a file)."""
        into = None
        for _at, _uid, target in reversed(changes):
            found = self.store.source_with_uid(target) if table == "sources" else self.store.claim_with_uid(target)
            if found is not None and (fold(found.name) == fold(name) if table == "sources" else found.key == name):
                into = found.id
                break
        if into is None:
            into = self.load.oldest_alike(table, record_id, name)
        if into is None:
            found = self.store.source_named(name) if table == "sources" else self.store.claim_keyed(name)
            into = None if found is None else found.id
        if into is None:
            self.error(f"it was merged into {name!r}, which is not in the file or the database", place)
        elif not self.load.merge(table, record_id, None if into == record_id else into):
            self.error(f"it was merged into {name!r}, which was merged into it (directly or through others); "
                       "leave out one of the two merged_into", place)

    def _stance_data(self, data: Any, place: Place) -> None:
        same_time = True
        given_by = True
        if isinstance(data, dict):
            quick = quick_stance(data, self.user, self._stance_values)  # most stances
            if quick is not None:
                self._stage(quick, place)
                return
            if "logged_by" not in data:
                given_by = False
                data["logged_by"] = self.user  # who imported it, as 'stance add' records who logged it
            same_time = "logged_at" in data  # else it is logged now, and a re-import matches on content
        stance = self._checked("stance", data, place)
        if stance is not None:
            self.stance(stance, place, same_time, given_by)
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

    def stance(self, stance: Stance, place: Place, same_time: bool = True, given_by: bool = True) -> None:
        """Log a stance, unless one just like it was logged before this import."""
        self._stage(staged(stance_values(stance), same_time, given_by), place)

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

    def _stage(self, row: tuple, place: Place) -> None:
        """Stage a stance given as `quick_stance` gives it, with the ids of its claim (one
        there before the stance was read) and its source."""
        if row[-2] in self._batch_uids:
            self.summary.stances_present += 1  # the same stance twice in the file: logged once
            return
        claim: Optional[str] = row[1].strip()
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
        source_id = self._source_ids.get(row[2])
        if source_id is None:
            source_id = self._source_id(row[2].strip(), place)
            if source_id is None:
                return
            self._source_ids[row[2]] = source_id  # this spelling, as written, from now on
        if claim_id is None:
            return
        self._rows.append((row[0], claim_id, source_id, *row[3:]))
        self._batch_uids.add(row[-2])
        if self._places is not None:
            self._places.append((self.record, place))
        if len(self._rows) >= BATCH:
            self._write()

    def _write(self) -> None:
        """Write the staged stances (unless the import has failed already: then it stops, but
        still says where a stance would edit one logged before)."""
        rows, places = self._rows, self._places
        if not rows:
            return
        self._rows = []
        self._batch_uids = set()
        if places is not None:  # stances were logged before the import: is any of these one of them?
            self._places = []
            logged = self.load.logged(rows)
            for edit in logged.edited:
                self._edited(edit, *places[edit.index])
            rows = logged.rows
            self.summary.stances_present += logged.present
        if self.problems.count:
            return
        written = self.load.write_stances(rows)
        self.summary.stances += written.inserted
        self.summary.stances_present += written.skipped

    def finish(self, name: str = "the file") -> ImportSummary:
        """Write what is staged, or raise every problem (the bulk load then rolls back)."""
        self._write()
        if not self.problems.count:
            self._apply_later()
        if self.problems.count:
            raise self.problems.failure(name)
        return self.summary

    def _edited(self, edit: Edited, record: int, place: Place) -> None:
        """Say that the stance at `place` would edit the one logged with its uid, and how to log it."""
        number = edit.stance_id
        fields = [field for field, _there, _here in edit.differences]
        if fields == ["retracted"]:
            text = (f"stance {edit.uid} is logged already (#{number}), not retracted, and is retracted here "
                    f"({_short(edit.differences[0][2])}); stances are never edited: retract it with 'verity stance retract "
                    f"{number} --reason ...', or take another desk's retractions with 'verity merge'")
        else:
            said = "; ".join(f"{field}: {_short(there)} in the database, {_short(here)} here"
                             for field, there, here in edit.differences)
            text = (f"stance {edit.uid} is logged already (#{number}) and says otherwise here ({said}); stances are "
                    f"never edited: to log this one as a new stance, logged now, remove its uid and logged_at; if "
                    f"it corrects #{number}, retract that one too ('verity stance retract {number} --reason ...')")
        if len(fields) > 1:
            where = place
        elif fields == ["retracted"]:
            where = place.field("retracted").field("reason")  # what makes it retracted (a CSV row's column)
        else:
            where = place.field(fields[0])
        self.problems.add(record, f"{text} @ {where}", conflict=True)

    # -- references ------------------------------------------------------------------

    def _claim_key(self, ref: str, place: Place) -> Optional[str]:
        """The key of the claim a stance names as it is read (--create-missing may make it); None
        after saying it is missing."""
        known = self._claim_keys.get(ref)
        if known is not None:
            return known
        if self.store.find_claim(ref) is not None:
            if self.create_missing:  # every row is looked up as it is read: remember what was found
                self._claim_keys[ref] = ref
            return ref
        if ref in self._broken_claims:
            return None  # its own error is already said
        if self.create_missing:
            return self._create_claim(ref, place)
        self._no_claim(ref, place, self.record, self.load.claim_limit)
        return None

    def _create_claim(self, ref: str, place: Place) -> Optional[str]:
        """--create-missing: a claim whose text is the reference (its key, if it is one)."""
        try:
            claim = Claim(text=ref, key=ref) if is_key(ref) else Claim(text=ref)
        except InvalidValue as exc:
            self.error(f"cannot create claim {ref!r}: {exc}", place.field("claim"))
            self._broken_claims.add(ref)
            return None
        existing = self.store.find_claim(claim.key)
        if existing is not None:  # the text makes the key of a claim already there
            if existing.text.casefold() == ref.casefold():
                self._claim_keys[ref] = existing.key
                return existing.key
            self.error(f"no claim {ref!r}, and the key it would get, {claim.key!r}, is taken by "
                       f"{existing.text!r}; use that key if it is the same claim", place.field("claim"))
            self._broken_claims.add(ref)
            return None
        self.claim(claim, place)
        self.summary.claims_created += 1
        self._claim_keys[ref] = claim.key
        return claim.key

    def _known_source(self, name: str) -> Optional[int]:
        """The id of the source of this name, from this import (spelt as a record of the file
        spells it, else as names are matched) or the database; else None."""
        named = self._named.get(name)
        if named is not None:
            return named
        folded = fold(name)
        known = self._sources.get(folded)
        if known is not None:
            return known[0]
        existing = self.store.find_source(name)
        if existing is None:
            return None
        self._sources[folded] = (existing.id, existing, None)
        return existing.id

    def _source_id(self, name: str, place: Place) -> Optional[int]:
        """The id of the source a stance names as it is read (--create-missing may make it); None
        after saying it is missing."""
        known = self._known_source(name)
        if known is not None:
            return known
        folded = fold(name)
        if folded in self._broken_sources:
            return None
        if self.create_missing:
            try:
                source = Source(name=name)
            except InvalidValue as exc:
                self.error(f"cannot create source {name!r}: {exc}", place.field("source"))
                self._broken_sources.add(folded)
                return None
            self.summary.sources_created += 1
            return self.source(source, place)
        self._no_source(name, place)
        return None

    def _no_claim(self, key: str, place: Place, record: int, upto: int) -> None:
        if key in self._broken_claims:
            return  # once is enough
        self._broken_claims.add(key)
        suggestion = self._suggest(key, "claims", upto) if self.problems.shown(record) else ""
        self.problems.add(record, f"no claim {key!r}{suggestion}; {self._hint('claim')} @ {place.field('claim')}")

    def _no_source(self, name: str, place: Place) -> None:
        self._broken_sources.add(fold(name))  # once is enough
        suggestion = self._suggest(name, "sources") if self.problems.shown(self.record) else ""
        self.error(f"no source {name!r}{suggestion}; {self._hint('source')}", place.field("source"))

    def _hint(self, kind: str) -> str:
        hint = self.missing_hint or "add the {kind} before its stances, or first with '{command}'"
        return hint.format(kind=kind, command=f"verity {kind} add")

    def _suggest(self, word: str, table: str, upto: Optional[int] = None) -> str:
        """' (did you mean …?)' from the names in the database (read before the record: ids up to `upto`)."""
        return did_you_mean(word, self.load.names(table, SUGGEST_LIMIT, upto))


def _remember(names: dict[str, int], name: str, record_id: int, merged: bool) -> None:
    """Note the source or claim that the file's stances mean by a name or key as they spell it
    (`names`), for a record of the file with it, added or reused alike: the one not merged into
    another. One its file says was merged into another (`merged`) may share the name with that
    one; stances mean it only while no other record of the file has the name."""
    if not merged or name not in names:
        names[name] = record_id


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
        if old != new:
            parts.append(f"{field.name}: {_short(old)} {there}, {_short(new)} here")
    return "; ".join(parts)


def _short(value: Any) -> str:
    if isinstance(value, Named):
        return _short(value.name) + (f" (uid {value.uid})" if value.uid else "")
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…'"
