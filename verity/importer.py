"""Importing records into the store: all of them in one transaction, or none.

An `Importer` takes records one at a time — from a JSON document, a JSONL or CSV
stream, or ClaimReview — checks each with the attrs models through the one
cattrs converter, writes it, and collects every problem with its place. At the
end, any problem raises (so the transaction rolls back and the database is
unchanged); otherwise the reconciliation of every claim touched is refreshed
once, in the same transaction.

Memory stays flat however long the input: stances go to the database in
batches, and what is remembered is bounded by the number of sources (their
ids), and of claims (their keys' ids) only for a file read here; never by the
number of stances. A large JSONL file imported into a database with no stances
(verity.readahead) keeps no map of claim keys at all: the writer finds each
stance's claim in SQLite, by key, in the statement that inserts it.
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterable, Iterator, Optional

import attrs

from .errors import Conflict, InvalidValue, did_you_mean
from .formats import MAX_ERRORS, RECORD_TYPES, Place, document_records, line_place, stance_row_maker, structure_record
from .models import Claim, Source, Stance, slugify

if TYPE_CHECKING:
    from .bulk import BackgroundWriter
    from .store import Store, Upkeep

BATCH = 5_000  # stances per executemany
CLAIM_BATCH = 2_000  # claims held back at most, when records are checked in another process
FULL_REFRESH = 1_000  # into a database with no stances, past this many claims refresh them all in one pass
SUGGEST_LIMIT = 20_000  # above this many names, 'did you mean' would cost more than it helps
FORMATS = ("json", "jsonl", "csv", "claimreview")
EXTENSIONS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".jsonld": "claimreview"}
_NOT_RETRACTED = (None, None, None)  # retracted_at, retraction_reason, retracted_by
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

Progress = Callable[[int], None]  # told how many bytes of the input have been read


def fold(name: str) -> str:
    """A source name as the database compares it (COLLATE NOCASE folds ASCII letters only)."""
    return name.translate(_ASCII_LOWER)


@attrs.define
class ImportSummary:
    """What an import did: records added, records that were already there, what it made up."""

    sources: int = 0
    claims: int = 0
    stances: int = 0
    sources_present: int = 0  # records that matched one already in the database
    claims_present: int = 0
    stances_present: int = 0  # stances identical to one logged before: skipped
    sources_created: int = 0  # made by --create-missing, counted in `sources` too
    claims_created: int = 0
    notes: list[str] = attrs.field(factory=list)  # what could not be carried over, for the user

    def as_dict(self) -> dict[str, int]:
        return {"sources": self.sources, "claims": self.claims, "stances": self.stances}

    def line(self, name: str) -> str:
        """The one-line summary: 'Imported 3 sources, 2 claims, 10 stances from x.csv.'"""
        text = (f"Imported {_count(self.sources, 'source')}, {_count(self.claims, 'claim')}, "
                f"{_count(self.stances, 'stance')} from {name}")
        extra = []
        created = [_count(n, what) for n, what in ((self.sources_created, "missing source"),
                                                    (self.claims_created, "missing claim")) if n]
        if created:
            extra.append(f"created {' and '.join(created)}")
        present = []
        if self.sources_present:
            present.append(_count(self.sources_present, "source"))
        if self.claims_present:
            present.append(_count(self.claims_present, "claim"))
        if present:
            extra.append(f"{' and '.join(present)} already there")
        if self.stances_present:
            extra.append(f"{_count(self.stances_present, 'stance')} already logged, skipped")
        return text + (f" ({'; '.join(extra)})" if extra else "") + "."


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


class Importer:
    """One import. Call `begin()` inside a transaction, `add` each record, then `finish()`."""

    def __init__(self, store: "Store", *, create_missing: bool = False, user: Optional[str] = None,
                 missing_hint: str = "", background: bool = False, bound: bool = False):
        from .store import current_user

        self._store = store
        self._background = background  # write stances from a second thread (verity.bulk)
        self._writer: Optional["BackgroundWriter"] = None
        self._bound = bound  # the writer binds values: records are checked in another process
        self.create_missing = create_missing
        self.user = user or current_user()
        self.missing_hint = missing_hint  # how to fix an unknown claim or source in this format
        self.summary = ImportSummary()
        self.errors: list[str] = []
        self.error_count = 0
        self.conflict_count = 0
        # What is remembered is bounded by the number of sources and claims, not stances:
        self._sources: dict[str, tuple[int, Source, Optional[str]]] = {}  # folded name -> (id, source, where)
        self._claims: dict[str, int] = {}  # key (or --create-missing text) -> id
        self._claims_before = 0  # ids above this were added by this import
        self._dedupe: set[int] = set()  # claims that had stances before: a stance may repeat one
        self._broken_claims: set[str] = set()  # keys of claims that failed: their stances say nothing new
        self._broken_sources: set[str] = set()
        self._source_ids: dict[str, int] = {}  # a source name as stances spell it -> id (no folding)
        self._batch: list[tuple] = []  # (id, claim_id, source_id, ...): store.STANCE_COLUMNS with the id first
        self._retracted: list[tuple] = []  # the same, for stances logged already retracted (rare)
        self._next_id = 1  # the id the next stance written gets (ids are given in logging order)
        self._next_claim_id = 1  # and the next claim (one more than the highest, as SQLite would give)
        self._claim_rows: list[tuple] = []  # (id, *claim_row) held back for the background writer
        # Into a database with no stances, from a file read in another process, the writer
        # finds each stance's claim by its key (bulk.BackgroundWriter.write_keyed), so that
        # no map of keys is kept here: memory stays flat however many claims. Until the
        # first problem: then everything is settled, and looked up here, in the database.
        self._keyed = True  # claims are remembered in self._claims
        self._resolving = False  # the writer finds claims: stances go to self._rows
        self._rows: list[tuple] = []  # stances for write_keyed
        self._lines: list[int] = []  # the line of each of self._rows
        self._claim_lines: list[int] = []  # ... and of each of self._claim_rows, while resolving
        self._line = 0  # the line of the record being added (verity.readahead)
        # Claims whose reconciliation to refresh at the end; None once it is to be all of
        # them (into a database with no stances, past FULL_REFRESH: then nothing is kept).
        self._touched: Optional[set[int]] = set()
        self._before = 0
        self._upkeep: Optional["Upkeep"] = None
        self._names: dict[str, list[str]] = {}
        self._stance_values = stance_row_maker()

    # -- the frame ---------------------------------------------------------------

    @property
    def store(self) -> "Store":
        """The store, once the background writer (if any) has written what it was given
        (claims held back to be written in a batch too)."""
        if self._claim_rows:
            self._flush_claims()
        if self._writer is not None:
            self._writer.wait()
        return self._store

    def begin(self) -> None:
        """Note the database as it is (call inside the transaction)."""
        self._before = self.store._bulk_start()
        self._next_id = self._before + 1
        self._claims_before = self.store._bulk_highest_claim()
        self._next_claim_id = self._claims_before + 1
        if self._before == 0:  # nothing to keep sorted: build the stance indexes once, at the end
            self._upkeep = self.store._bulk_suspend_upkeep()
        if self._background:
            from .bulk import BackgroundWriter, available

            if available(self._store.conn):
                feeds = self._upkeep.feeds("stances") if self._upkeep else []
                self._writer = BackgroundWriter(self._store, self._before, feeds, bound=self._bound,
                                                claims_before=self._claims_before)
                if self._bound and self._before == 0:
                    self._keyed, self._resolving = False, True
                    self._touched = None  # every stance is new: refresh them all, in one pass

    def close(self, raising: bool = True) -> None:
        """Stop the background writer, after writing what it holds (call before the
        transaction ends, however it ends)."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close(raising)

    def finish(self, name: str = "the file") -> ImportSummary:
        """Write what is pending, or raise every problem (the caller's transaction rolls back)."""
        if self._resolving:
            self._settle()
        if self._claim_rows:
            self._flush_claims()
        self._flush()
        self.close()
        if self.error_count:
            raise self.failure(name)
        if self._upkeep is not None:
            self.store._bulk_resume_upkeep(self._upkeep)
            self._upkeep = None
        if self._touched is None:
            self.store.refresh_reconciliations()  # every stance is new: one sorted pass over them all
        else:
            self.store.refresh_reconciliations(self._touched)
        return self.summary

    def failure(self, name: str) -> Exception:
        count = self.error_count
        cls = Conflict if self.conflict_count == count else InvalidValue
        if count == 1:
            return cls(f"{self.errors[0]}; nothing was imported")
        lines = [f"{count:,} problems in {name}; nothing was imported:"]
        lines += [f"  {error}" for error in self.errors]
        if count > len(self.errors):
            lines.append(f"  (and {count - len(self.errors):,} more)")
        return cls("\n".join(lines))

    def error(self, message: str, place: Any, conflict: bool = False) -> None:
        if self._resolving:
            self._settle()  # what the writer found is on earlier lines: said first
        self.error_count += 1
        self.conflict_count += conflict
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(f"{message} @ {place}")

    # -- records -----------------------------------------------------------------

    def add(self, kind: str, data: Any, place: Place) -> None:
        """One record from a file: ("source" | "claim" | "stance", its JSON data, where it is).

        ("error", message, place) records a problem the reader found.
        """
        if kind == "error":
            self.error(data, place)
            return
        same_time = True
        if kind == "stance" and isinstance(data, dict):
            if "logged_by" not in data:
                data["logged_by"] = self.user  # who imported it, as 'stance add' records who logged it
            same_time = "logged_at" in data  # else it is logged now, and a re-import matches on content
            values = self._stance_values(data)  # the quick way, for a plain stance (most of them)
            if values is not None:
                self._log(values[0], values[1], values[2:] + _NOT_RETRACTED, place, same_time)
                return
        record, errors = structure_record(data, RECORD_TYPES[kind], place)
        if errors:
            if self._resolving:
                self._settle()
            for error in errors:
                self.error_count += 1
                if len(self.errors) < MAX_ERRORS:
                    self.errors.append(error)
            self._note_broken(kind, data)
            if kind == "stance" and isinstance(data, dict):  # its references may be wrong too: say so now
                if isinstance(data.get("claim"), str) and data["claim"]:
                    self._claim_id(data["claim"], place)
                if isinstance(data.get("source"), str) and data["source"].strip():
                    self._source_id(data["source"].strip(), place)
            return
        if kind == "stance":
            self.stance(record, place, same_time)
        else:
            getattr(self, kind)(record, place)

    def source(self, source: Source, place: Any, by_name: bool = False) -> Optional[int]:
        """Add a source, or reuse the one with its name when the fields agree (or `by_name`)."""
        folded = fold(source.name)
        known = self._sources.get(folded)
        if known is None:
            existing = self.store.find_source(source.name)
            if existing is None:
                source_id = self.store._write_source(source)
                self._sources[folded] = (source_id, source, _record_place(place))
                self.summary.sources += 1
                return source_id
            known = self._sources[folded] = (existing.id, existing, None)
        source_id, held, where = known
        if by_name or held == attrs.evolve(source, name=held.name):
            if where is None:
                self.summary.sources_present += 1
            return source_id
        there = f"the one at {where}" if where else "the one already in the database"
        self.error(
            f"source {source.name!r} differs from {there} "
            f"({_differences(held, attrs.evolve(source, name=held.name), f'at {where}' if where else 'in the database')}); "
            "make them agree or rename one",
            place, conflict=True,
        )
        return None

    def claim(self, claim: Claim, place: Any) -> Optional[int]:
        """Add a claim, or reuse the one with its key when the fields agree."""
        known = self._claims.get(claim.key)
        if known is None:
            # With no claims before the import, every claim there is one this import made and
            # remembers (unless it keeps no map of them).
            existing = self.store.find_claim(claim.key) if self._claims_before or not self._keyed else None
            if existing is None:
                return self._insert_claim(claim)
            self._remember(existing)
        else:
            existing = self.store.find_claim(claim.key)  # repeated keys are rare: compare in full
        return self._same_claim(existing, claim, place)

    def _same_claim(self, existing: Claim, claim: Claim, place: Any) -> Optional[int]:
        """The id of `existing`, if `claim` (with its key) is the same claim; else say how they differ."""
        known = existing.id
        earlier = known > self._claims_before  # added by an earlier record of this import
        if existing == claim:
            self.summary.claims_present += not earlier
            return known
        there = "the one earlier in this file" if earlier else "the one already in the database"
        self.error(
            f"claim {claim.key!r} differs from {there} "
            f"({_differences(existing, claim, 'earlier' if earlier else 'in the database')}); "
            "make them agree or give it another key",
            place, conflict=True,
        )
        return None

    def claim_with_free_key(self, claim: Claim, place: Any) -> tuple[Optional[int], str]:
        """Add a claim whose key was derived from its text: reuse an equal claim, else take
        the first free key of key, key-2, key-3, ... Returns (id, key)."""
        base = claim.key
        for n in range(1, 10_000):
            key = base if n == 1 else f"{base}-{n}"
            candidate = attrs.evolve(claim, key=key)
            known = self._claims.get(key)
            existing = self.store.find_claim(key)
            if existing is None:
                return self._insert_claim(candidate), key
            if existing == candidate:
                if known is None:
                    self._remember(existing)
                    self.summary.claims_present += existing.id <= self._claims_before
                return existing.id, key
        self.error(f"too many claims with keys like {base!r}", place)  # pragma: no cover
        return None, base

    def stance(self, stance: Stance, place: Any, same_time: bool = True) -> None:
        """Log a stance, unless one just like it was logged before this import."""
        row = self._store._stance_row(stance, 0, 0)
        self._log(stance.claim, stance.source, row[2:], place, same_time)

    def _log(self, claim: str, source: str, rest: tuple, place: Any, same_time: bool) -> None:
        """Log the stance of `source` on `claim` whose other columns are `rest`."""
        if self._resolving:  # the writer finds the claim
            source_id = self._source_ids.get(source)
            if source_id is None:
                source_id = self._known_source(source)
                if source_id is None:  # a problem: settle, then say it (and any with its claim) in order
                    self._settle()
                    self._log(claim, source, rest, place, same_time)
                    return
                self._source_ids[source] = source_id
            self._rows.append((self._next_id, claim.strip(), self._next_claim_id - 1, source_id, *rest))
            self._lines.append(place if type(place) is int else self._line)
            self._next_id += 1
            self.summary.stances += 1
            if len(self._rows) >= BATCH:
                self._flush()
            return
        # The common case first: both already known (a dict look-up each, no query).
        claim_id = self._claims.get(claim) or self._claim_id(claim, place)
        source_id = self._source_ids.get(source)
        if source_id is None:
            source_id = self._source_id(source, place)
            if source_id is not None:
                self._source_ids[source] = source_id  # this spelling, as written, from now on
        if claim_id is None or source_id is None or self.error_count:
            return  # nothing will be written now; keep checking the rest
        if claim_id in self._dedupe and self.store._bulk_stance_exists(
                (claim_id, source_id, *rest), self._before, same_time):
            self.summary.stances_present += 1
            return
        row = (self._next_id, claim_id, source_id, *rest)
        self._next_id += 1
        if rest[-3] is None:  # retracted_at
            self._batch.append(row)
        else:
            self._retracted.append(row)
        if self._touched is not None:
            self._touch(claim_id)
        self.summary.stances += 1
        if len(self._batch) >= BATCH:
            self._flush()

    # -- inside --------------------------------------------------------------------

    def checked_claim(self, row: tuple, line: int) -> Optional[int]:
        """A claim already checked (verity.readahead), as store.claim_row gives it."""
        key = row[0]
        if self._resolving:  # the writer finds out whether the key is taken
            return self._insert_claim_row(key, row, line)
        if self._claims_before or key in self._claims or not self._keyed:  # it may meet another: compare in full
            from .store import claim_of_values

            return self.claim(claim_of_values(row), line_place(line))
        return self._insert_claim_row(key, row)

    def _insert_claim(self, claim: Claim) -> int:
        from .store import claim_row

        return self._insert_claim_row(claim.key, claim_row(claim))

    def _insert_claim_row(self, key: str, row: tuple, line: Optional[int] = None) -> int:
        claim_id = self._next_claim_id
        self._next_claim_id += 1
        if self._keyed:
            self._claims[key] = claim_id
        if self._bound and self._writer is not None:  # in batches, from the writer's thread
            self._claim_rows.append((claim_id, *row))
            if self._resolving:
                self._claim_lines.append(self._line if line is None else line)
            if len(self._claim_rows) >= CLAIM_BATCH:
                self._flush_claims()
        else:
            self.store._write_claim_rows([(claim_id, *row)])
        if self._touched is not None:
            self._touch(claim_id)
        self.summary.claims += 1
        return claim_id

    def _touch(self, claim_id: int) -> None:
        self._touched.add(claim_id)
        if self._before == 0 and len(self._touched) > FULL_REFRESH:
            self._touched = None  # memory stays flat however many claims

    def _remember(self, existing: Claim) -> int:
        if self._keyed:
            self._claims[existing.key] = existing.id
        if existing.id <= self._claims_before and self._before and self.store._bulk_claim_has_stances(existing.id):
            self._dedupe.add(existing.id)
        return existing.id

    def _flush_claims(self) -> None:
        rows, self._claim_rows = self._claim_rows, []
        lines, self._claim_lines = self._claim_lines, []
        if self._writer is not None:
            self._writer.write_claims(rows, lines or None)
        else:
            self._store._write_claim_rows(rows)

    def _flush(self) -> None:
        if self._rows:
            self._send_rows()
            if self._writer.findings:  # a problem on an earlier line
                self._settle()
        if self._batch or self._retracted:
            if not self.error_count:
                if self._writer is not None:
                    self._writer.write(self._batch, self._retracted, self._next_id - 1)
                else:
                    self._store._write_stances(self._batch + self._retracted)
            self._batch, self._retracted = [], []

    def _send_rows(self) -> None:
        if self._claim_rows:  # the claims read before these stances go in first
            self._flush_claims()
        self._writer.write_keyed(self._rows, self._lines, self._next_id - 1)
        self._rows, self._lines = [], []

    def _settle(self) -> None:
        """Stop having the writer find claims: write what is held, wait for it, and deal
        with what it found, in the order of the file (all of it before the record at hand).
        From here on, claims are looked up in the database (the import will mostly fail)."""
        if self._rows:
            self._send_rows()
        elif self._claim_rows:
            self._flush_claims()
        self._resolving = False
        writer = self._writer
        found = writer.take_findings()
        # The claims not inserted, their keys being taken, gave their ids to the ones after.
        self.summary.claims -= len(writer.skipped)
        self.summary.claims_present += writer.claims_present
        self._next_claim_id -= len(writer.skipped)
        for line, kind, *data in sorted(found, key=lambda finding: finding[0]):
            place = line_place(line)
            if kind == "stance":
                key, upto = data
                if key not in self._broken_claims:
                    self.error(f"no claim {key!r}{self._suggest(key, 'claims', upto)}; {self._hint('claim')}",
                               place.field("claim"))
                    self._broken_claims.add(key)  # once is enough
            else:  # a claim whose key was taken: the same claim, or say how they differ
                from .store import claim_of_values

                row = data[0]
                existing = self.store.find_claim(row[1])
                if existing is None:  # left out for another reason than its key (not seen happen)
                    self.error(f"claim {row[1]!r} could not be stored; check its fields", place)
                    continue
                self._same_claim(existing, claim_of_values(row[1:]), place)

    def _claim_id(self, ref: str, place: Any) -> Optional[int]:
        ref = ref.strip()
        if isinstance(place, int):  # a line number (verity.readahead)
            place = line_place(place)
        known = self._claims.get(ref)
        if known is not None:
            return known
        if not self._keyed:
            known = self.store._bulk_claim_id(ref)
            if known is not None:
                return known
        existing = self.store.find_claim(ref) if self._claims_before and self._keyed else None
        if existing is not None:
            return self._remember(existing)
        if ref in self._broken_claims:
            return None  # its own error is already reported
        if self.create_missing:
            return self._create_claim(ref, place)
        self.error(f"no claim {ref!r}{self._suggest(ref, 'claims')}; {self._hint('claim')}", place.field("claim"))
        self._broken_claims.add(ref)  # once is enough
        return None

    def _create_claim(self, ref: str, place: Any) -> Optional[int]:
        """--create-missing: a claim whose text is the reference (its key, if it is one)."""
        try:
            claim = Claim(text=ref, key=ref) if _is_key(ref) else Claim(text=ref)
        except InvalidValue as exc:
            self.error(f"cannot create claim {ref!r}: {exc}", place.field("claim"))
            self._broken_claims.add(ref)
            return None
        existing = self.store.find_claim(claim.key)
        if existing is not None:  # the text makes the key of a claim already there
            if existing.text.casefold() == ref.casefold():
                self._claims[ref] = self._remember(existing)
                return existing.id
            self.error(
                f"no claim {ref!r}, and the key it would get, {claim.key!r}, is taken by "
                f"{existing.text!r}; use that key if it is the same claim",
                place.field("claim"),
            )
            self._broken_claims.add(ref)
            return None
        claim_id = self._claims[ref] = self._insert_claim(claim)
        self.summary.claims_created += 1
        return claim_id

    def _known_source(self, name: str) -> Optional[int]:
        """The id of the source of this name, from this import or the database; else None."""
        folded = fold(name.strip())
        known = self._sources.get(folded)
        if known is not None:
            return known[0]
        existing = self.store.find_source(name.strip())
        if existing is not None:
            self._sources[folded] = (existing.id, existing, None)
            return existing.id
        return None

    def _source_id(self, name: str, place: Any) -> Optional[int]:
        name = name.strip()
        if isinstance(place, int):  # a line number (verity.readahead)
            place = line_place(place)
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
        self.error(f"no source {name!r}{self._suggest(name, 'sources')}; {self._hint('source')}", place.field("source"))
        self._broken_sources.add(folded)
        return None

    def _hint(self, kind: str) -> str:
        hint = self.missing_hint or "add the {kind} before its stances, or first with '{command}'"
        return hint.format(kind=kind, command=f"verity {kind} add")

    def _suggest(self, word: str, table: str, upto: Optional[int] = None) -> str:
        """' (did you mean …?)' from the names in the database (with an id up to `upto`:
        those on lines before, as when they are looked up as the file is read)."""
        if len(self.errors) >= MAX_ERRORS:
            return ""  # not shown anyway
        if table not in self._names:
            self._names[table] = self.store._bulk_names(table, SUGGEST_LIMIT, upto)
        return did_you_mean(word, self._names[table])

    def _note_broken(self, kind: str, data: Any) -> None:
        """Remember the name of a record that failed, so its stances add no second error."""
        if not isinstance(data, dict):
            return
        if kind == "claim":
            key = data.get("key")
            if not isinstance(key, str) and isinstance(data.get("text"), str):
                key = slugify(data["text"])
            if isinstance(key, str):
                self._broken_claims.add(key)
        elif kind == "source" and isinstance(data.get("name"), str):
            self._broken_sources.add(fold(data["name"].strip()))


def _record_place(place: Any) -> str:
    """Where a record is, without the JSON path's root: 'line 3', '$.sources[2]'."""
    text = str(place)
    return text[:-3] if text.endswith(", $") else text


_KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _is_key(text: str) -> bool:
    return bool(_KEY.match(text)) and not text.isdigit()


def _differences(existing, incoming, there: str) -> str:
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
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…'"


# -- running an import -----------------------------------------------------------------


@contextlib.contextmanager
def _importing(importer: Importer) -> Iterator[Importer]:
    """The frame of a bulk import: one transaction, begun and ended around the records."""
    store = importer._store
    with store._bulk_session(), store.transaction():
        try:
            importer.begin()
            yield importer
        finally:
            importer.close(raising=False)  # stopped before the transaction ends, however it ends


def run_import(store: "Store", records: Iterable[tuple[str, Any, Place]], name: str = "the file",
               **options) -> ImportSummary:
    """Import (type, data, place) records in one transaction: all of them, or none."""
    with _importing(Importer(store, background=True, **options)) as importer:
        add = importer.add
        for kind, data, place in records:
            add(kind, data, place)
        importer.finish(name)
    return importer.summary


def run_import_ahead(store: "Store", path: Path, name: str, progress: Optional[Progress] = None,
                     **options) -> ImportSummary:
    """run_import of a JSONL file read and checked in a second process (verity.readahead)."""
    from .readahead import Child
    from .store import current_user

    user = options.pop("user", None) or current_user()
    child = Child(path, user)
    try:
        with _importing(Importer(store, background=True, bound=True, user=user, **options)) as importer:
            add, log, checked_claim = importer.add, importer._log, importer.checked_claim
            for done, items in child.chunks():
                for item in items:
                    flag = item[1]
                    if flag is True or flag is False:  # a stance that passed the quick check
                        log(item[2], item[3], item[4:], item[0], flag)
                    elif flag is None:  # a claim that passed its check
                        checked_claim(item[2], item[0])
                    else:
                        place = line_place(item[0])
                        importer._line = item[0]
                        add(flag, item[2], place if item[3] is None else place.field(item[3]))
                if progress is not None:
                    progress(done)
            importer.finish(name)
    finally:
        child.close()
    return importer.summary


def import_records(store: "Store", sources: Iterable[Source] = (), claims: Iterable[Claim] = (),
                   stances: Iterable[Stance] = (), where: str = "$") -> dict[str, int]:
    """Add sources, claims and stances in one transaction: all of them, or none.

    A source or claim already present is reused when its fields agree and is
    an error when they differ; a stance identical to one already logged is
    skipped, so importing the same records twice adds nothing.
    """
    base = Place(where)
    importer = Importer(store)
    with store.transaction():
        importer.begin()
        for i, source in enumerate(sources):
            importer.source(source, base.field("sources").item(i))
        for i, claim in enumerate(claims):
            importer.claim(claim, base.field("claims").item(i))
        for i, stance in enumerate(stances):
            importer.stance(stance, base.field("stances").item(i))
        importer.finish("the records")
    return importer.summary.as_dict()


def format_of(path: Path, given: Optional[str] = None) -> str:
    """The format named by --format, else by the file's extension."""
    if given:
        if given not in FORMATS:
            raise InvalidValue(
                f"{given!r} is not an import format{did_you_mean(given, FORMATS)}; use one of: {', '.join(FORMATS)}"
            )
        return given
    fmt = EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise InvalidValue(
            f"cannot tell the format of {path} from its extension; "
            f"name it .json, .jsonl, .csv or .jsonld, or give --format {'|'.join(FORMATS)}"
        )
    return fmt


def import_file(store: "Store", path: Path, fmt: Optional[str] = None, *, create_missing: bool = False,
                progress: Optional[Progress] = None, stream: Optional[BinaryIO] = None) -> ImportSummary:
    """Import a file (or `stream`, e.g. stdin) in the given or implied format: all of it, or nothing.

    A .json file is read as ClaimReview when it holds JSON-LD, unless `fmt` says json.
    """
    sniff = fmt is None
    fmt = format_of(path, fmt)
    if create_missing and fmt != "csv":
        raise InvalidValue("--create-missing is for CSV files, whose rows name claims and sources by key and name")
    with _open(path, stream) as handle:
        if fmt == "jsonl":
            from .jsonl import read_jsonl
            from .readahead import wanted

            if stream is None and wanted(path):
                return run_import_ahead(store, path, str(path), progress,
                                        missing_hint="add the {kind} on an earlier line, or first with '{command}'")

            return run_import(store, read_jsonl(handle, progress), str(path),
                              missing_hint="add the {kind} on an earlier line, or first with '{command}'")
        if fmt == "csv":
            from .csvio import read_csv

            return run_import(store, read_csv(handle, progress), str(path), create_missing=create_missing,
                              missing_hint="add it first with '{command}', or import with --create-missing")
        data = _load_json(path, handle)
    from . import claimreview

    if fmt == "claimreview" or (sniff and fmt == "json" and claimreview.looks_like_claimreview(data)):
        return claimreview.import_claimreview(store, data, str(path))
    return run_import(store, document_records(data), str(path),
                      missing_hint="add the {kind} to the document's {kind}s, or first with '{command}'")


class _open:
    """The file as bytes, with a plain error when it cannot be read."""

    def __init__(self, path: Path, stream: Optional[BinaryIO]):
        self.path, self.stream, self.handle = path, stream, None

    def __enter__(self) -> BinaryIO:
        if self.stream is not None:
            return self.stream
        try:
            self.handle = open(self.path, "rb")
        except FileNotFoundError:
            raise InvalidValue(f"cannot read {self.path}: no such file; check the path") from None
        except IsADirectoryError:
            raise InvalidValue(f"cannot read {self.path}: it is a folder; give the path of a file") from None
        except OSError as exc:
            raise InvalidValue(f"cannot read {self.path}: {exc.strerror}; check the path and its permissions") from None
        return self.handle

    def __exit__(self, *exc) -> None:
        if self.handle is not None:
            self.handle.close()


def _load_json(path: Path, handle: BinaryIO) -> Any:
    raw = handle.read()
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InvalidValue(f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise InvalidValue(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); fix the file"
        ) from None

