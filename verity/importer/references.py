"""Finding the claim and the source a stance names, by key and by name: from this import
or the database, made with --create-missing, or said to be missing once, with 'did you
mean' and how to add it. Part of `records.Importer`.
"""

from __future__ import annotations

from typing import Optional

from ..errors import InvalidValue, did_you_mean
from ..formats import Place
from ..models import Claim, Source, is_key
from ..names import fold
from ..store import BulkLoad, Store
from .summary import ImportSummary, Problems

SUGGEST_LIMIT = 20_000  # above this many names, 'did you mean' would cost more than it helps


class References:
    """`records.Importer`'s finding of what stances name. The importer sets what it uses
    (below) and gives `error`, `claim` and `source`."""

    store: Store
    load: BulkLoad
    create_missing: bool
    missing_hint: str
    summary: ImportSummary
    problems: Problems
    record: int
    _sources: dict[str, tuple[int, Source, Optional[str]]]
    _named: dict[str, int]
    _broken_claims: set[str]
    _broken_sources: set[str]
    _claim_keys: dict[str, str]
    _claim_uids: dict[str, tuple[int, str]]
    _source_uids: dict[str, tuple[int, Source, Optional[str]]]

    def _with_uid(self, kind: str, uid: str) -> Optional[tuple[int, str]]:
        """The claim (`kind` "claim") or source with this uid, as (its id, its key or name): the
        record of this import its file gives the uid (which may be the database's record of its
        key or name, with another uid), else the database's; else None."""
        if kind == "claim":
            found = self._claim_uids.get(uid)
            if found is None:
                claim = self.store.claim_with_uid(uid)
                found = None if claim is None else (claim.id, claim.key)
            return found
        known = self._source_uids.get(uid)
        if known is not None:
            return known[0], known[1].name
        source = self.store.source_with_uid(uid)
        return None if source is None else (source.id, source.name)

    @staticmethod
    def _names_it(kind: str, name: str, named: str) -> bool:
        """Whether `named`, a key or name a record of the file gives, names the claim or source of
        key or name `name`: the same key, or the same name as names are matched."""
        return name == named if kind == "claim" else fold(name) == fold(named)

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
