"""Has it been checked before? The SQL of similarity: candidate claims, look-alike pairs, near names.

The score itself is verity.similar's; here the full-text indexes of migration m007
give it candidates, so that neither a claim's look-alikes nor a source name's near
spellings are sought by reading every claim or source (docs/similar.md).
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Iterator, Optional

from .. import similar
from ..errors import edit_distance, typo_limit
from ..models import Claim, is_key, utc_now
from ..names import as_id, fold, shell_word

if TYPE_CHECKING:
    from ..models import Source

# bm25 ordered and limited inside the full-text query, then joined: joining first would
# fetch a claims row for every claim that shares a word with the query.
# Merged claims are left out before the best are taken, not after: else claims merged into one
# (which share its words) could fill every place. Their ids are listed once a look-up, from
# claims_merged_into's index, rather than looked up for every match (a common word matches
# thousands of claims; a desk merges few).
_CANDIDATES = (
    "SELECT c.id, c.key, c.text, c.subject, c.note, f.bm25 FROM ("
    " SELECT rowid, bm25(claims_similar_fts) AS bm25 FROM claims_similar_fts"
    " WHERE claims_similar_fts MATCH :match AND rowid != :exclude AND rowid < :below"
    " AND rowid NOT IN (SELECT id FROM claims WHERE merged_into IS NOT NULL) ORDER BY bm25 LIMIT :limit) AS f"
    " JOIN claims AS c ON c.id = f.rowid ORDER BY f.bm25, c.id"
)

# Above every id: `below` when all claims take part.
_NO_ID = 2 ** 63 - 1

# How many claims hold a term, counted no further than a limit: cheap however common it is.
_HOLDING = "SELECT count(*) FROM (SELECT 1 FROM claims_similar_fts WHERE claims_similar_fts MATCH ? LIMIT ?)"

# How many near spellings the trigram indexes hand over for the edit distance to judge.
_NAME_CANDIDATES = 30

# A merged source's name is one of the kept source's names (rule 1): found too, and said as its.
_NEAR_NAMES = (
    "SELECT s.id, s.name, s.folded FROM (SELECT rowid FROM source_names_fts"
    " WHERE source_names_fts MATCH '{folded} : (' || :match || ')' ORDER BY bm25(source_names_fts) LIMIT :limit) AS f"
    " JOIN sources AS s ON s.id = f.rowid"
)
_NEAR_ALIASES = (
    "SELECT a.source_id, a.alias, a.folded FROM (SELECT rowid FROM alias_names_fts"
    " WHERE alias_names_fts MATCH :match ORDER BY bm25(alias_names_fts) LIMIT :limit) AS f"
    " JOIN aliases AS a ON a.id = f.rowid WHERE a.source_id IS NOT NULL"
)
_NEAR_AFFILIATIONS = (
    "SELECT DISTINCT s.affiliation FROM (SELECT rowid FROM source_names_fts"
    " WHERE source_names_fts MATCH '{affiliation} : (' || :match || ')' ORDER BY bm25(source_names_fts)"
    " LIMIT :limit) AS f JOIN sources AS s ON s.id = f.rowid WHERE s.merged_into IS NULL"
)


def _shortened(text: str, width: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _trigrams(folded: str) -> list[str]:
    """Every three-character piece of a folded name, each quoted (so nothing in a name is
    full-text syntax); none for a name shorter than three."""
    pieces = dict.fromkeys(folded[i:i + 3] for i in range(len(folded) - 2))
    return ['"' + piece.replace('"', '""') + '"' for piece in pieces]


# At most this many near spellings are named, the closest first (as "did you mean" names).
_WARNED = 3

# Each trigram index: its table, the column searched (None: its only one) and the table it indexes.
_NAME_INDEXES = {
    _NEAR_NAMES: ("source_names_fts", "folded", "sources"),
    _NEAR_ALIASES: ("alias_names_fts", None, "aliases"),
    _NEAR_AFFILIATIONS: ("source_names_fts", "affiliation", "sources"),
}


class Similarity:
    """Claims that make the same statement, and source names a few letters apart."""

    conn: sqlite3.Connection

    def claim_referred_to(self, ref: str) -> Optional[Claim]:
        """The claim `ref` names by key, old key or id (a merged one as the claim it was merged
        into), or None: then `ref` is a text to compare, not a claim."""
        claim = self.find_claim(ref)
        claim_id = as_id(ref)
        if claim is None and claim_id is not None:
            found = self._claim_by_id(claim_id)
            claim = None if found is None else self._claim_by_id(self.root_id("claims", found.id))
        return claim

    def not_a_claim(self, ref: str) -> Optional[str]:
        """What to say of a `claim similar` argument that names no claim (`claim_referred_to`)
        yet is shaped like a reference: an id, or a key of two words or more ('balti-was-kiled').
        It is searched as text all the same; None for anything else. One lower-case word
        ('killed') is a key's shape too, but far more often a search."""
        ref = ref.strip()
        if as_id(ref) is not None:
            return f"no claim has the id {ref}; searched it as text"
        if not (is_key(ref) and "-" in ref):
            return None
        return f"no claim has the key {ref!r}{self._suggest_claim(ref)}; searched it as text"

    def similar_claims(self, text: str, limit: int, exclude_id: Optional[int] = None,
                       meaning: Optional[similar.Closeness] = None) -> list[similar.Match]:
        """The logged claims (not merged) most likely to make the same statement as `text`, best first
        (by words alone, or with a model of meaning: `similar.rank`)."""
        return similar.rank(text, self.similar_candidates(text, exclude_id), limit, meaning)

    def similar_candidates(self, text: str, exclude_id: Optional[int] = None,
                           below_id: Optional[int] = None) -> list[similar.Candidate]:
        """The claims (not merged) `similar.rank` chooses from: the best by bm25 of those sharing a word with
        `text`, `exclude_id` left out, and only those logged before `below_id` if given."""
        match = self._claims_match(text)
        if not match:
            return []
        rows = self.conn.execute(_CANDIDATES, {"match": match, "limit": similar.CANDIDATES,
                                               "exclude": -1 if exclude_id is None else exclude_id,
                                               "below": _NO_ID if below_id is None else below_id})
        return [similar.Candidate(*row) for row in rows]

    def _claims_match(self, text: str) -> str:
        """The full-text MATCH that finds the claims sharing a word with `text` (its words worth
        matching: `similar.worth_matching`), or "" when it has none."""
        terms = similar.query_terms(text)
        if not terms:
            return ""
        claims = self.conn.execute("SELECT max(id) FROM claims").fetchone()[0] or 0
        common = similar.common_limit(claims)
        counted = [(term, self.conn.execute(_HOLDING, [f'"{term}"', common]).fetchone()[0]) for term in terms]
        return similar.match_expression(similar.worth_matching(counted, claims))

    def lookalikes(self, claim: Claim, limit: int, meaning: Optional[similar.Closeness] = None) -> list[similar.Match]:
        """The other claims most likely to make the same statement as `claim`, best first."""
        return self.similar_claims(similar.claim_query(claim.text, claim.subject, claim.note), limit, claim.id, meaning)

    def likely_same(self, claim: Claim) -> list[similar.Match]:
        """The claims (not merged) logged before `claim` that are likely the same as it
        (`similar.likely_same_claims`), best first: what `claim add` warns of.

        Only the earlier claims take part, so that a pair, and its score, is what `claim add`
        said (or would have said) of the later claim, whatever was logged after it and
        whenever it was compared: ranked among all claims, the closest later claim would
        change the score of every earlier one (docs/similar.md)."""
        query = similar.claim_query(claim.text, claim.subject, claim.note)
        matches = similar.rank(query, self.similar_candidates(query, below_id=claim.id),
                               similar.DEFAULT_LIMIT)
        return [m for m in matches if similar.likely_same_claims(claim.text, m)]

    def logged_twice(self, claim_id: int, matches: list[similar.Match]) -> list[similar.Match]:
        """Of a claim's kept pairs (`record_lookalikes`), those the view claims_logged_twice shows:
        two answers of one question are never one claim logged twice (rule 7), whenever either
        was put in the question, so the view, read as the pairs are, says it."""
        shown = {row[0] for row in self.conn.execute(
            "SELECT same_as_id FROM claims_logged_twice WHERE claim_id = ?", [claim_id])}
        return [m for m in matches if m.id in shown]

    @staticmethod
    def likely_same_warning(claim: Claim, match: similar.Match) -> str:
        """What `claim add` says of a claim already logged that is likely the same."""
        return (f"claim {claim.key!r} is likely the same as {match.key!r} (score {match.score:.2f}): "
                f"{_shortened(match.text)!r}; if it is, log the stances on {match.key!r} and merge this one into it: "
                f"verity claim merge {shell_word(claim.key)} --into {shell_word(match.key)} --reason \"the same claim\"")

    def record_lookalikes(self, claim_id: int, matches: list[similar.Match]) -> None:
        """Keep the earlier claims likely the same as a claim (`likely_same`), replacing what was
        kept for it, and mark it compared. Call in a transaction.

        Each pair is the later claim's to keep: the earlier claim's comparison neither adds nor
        removes it, so the pairs kept do not depend on which of the two was compared last."""
        self.conn.execute("DELETE FROM claim_lookalikes WHERE claim_id = ?", [claim_id])
        self.conn.executemany("INSERT INTO claim_lookalikes (claim_id, same_as_id, score) VALUES (?, ?, ?)",
                              [(claim_id, m.id, m.score) for m in matches])
        self.conn.execute("INSERT OR REPLACE INTO similarity_checks (claim_id, checked_at) VALUES (?, ?)",
                          [claim_id, utc_now()])

    def compare_again(self, was: Claim, now: Optional[Claim] = None) -> None:
        """After a claim's text, subject or note changed (`now`: the claim as it is) or it was
        merged (`now` None), keep the pairs a function of the claims as they are. Call in a
        transaction.

        The claim is compared again, and so are the claims logged after it that kept a pair
        with it. Any other later claim sharing a word with it, as it was or is, may have
        counted it among its candidates: those are marked not compared, for `claim similar
        --all`, rather than compared here, as they can be many."""
        if now is not None:
            self.record_lookalikes(now.id, self.likely_same(now))
        for claim in (was, now):
            match = self._claims_match(similar.claim_query(claim.text, claim.subject, claim.note)) if claim else ""
            if match:
                self.conn.execute(
                    "DELETE FROM similarity_checks WHERE claim_id IN (SELECT rowid FROM claims_similar_fts "
                    "WHERE claims_similar_fts MATCH ? AND rowid > ?)", [match, was.id])
        paired = [row[0] for row in self.conn.execute(
            "SELECT l.claim_id FROM claim_lookalikes l JOIN claims c ON c.id = l.claim_id "
            "WHERE l.same_as_id = ? AND c.merged_into IS NULL ORDER BY l.claim_id", [was.id])]
        for claim_id in paired:
            self.record_lookalikes(claim_id, self.likely_same(self._claim_by_id(claim_id)))

    def unchecked_claims(self) -> int:
        """How many claims (not merged) are not compared with the claims before them: an import's, and
        those `compare_again` left to `claim similar --all`."""
        return self.conn.execute(
            "SELECT count(*) FROM claims c WHERE c.merged_into IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM similarity_checks k WHERE k.claim_id = c.id)").fetchone()[0]

    def check_unchecked_claims(self, batch: int = 500) -> Iterator[int]:
        """Compare every claim not compared (`unchecked_claims`) and keep its pairs;
        yields how many are done after each batch (each batch one transaction)."""
        done = 0
        while True:
            ids = [row[0] for row in self.conn.execute(
                "SELECT c.id FROM claims c WHERE c.merged_into IS NULL AND NOT EXISTS "
                "(SELECT 1 FROM similarity_checks k WHERE k.claim_id = c.id) ORDER BY c.id LIMIT ?", [batch])]
            if not ids:
                return
            with self.transaction():
                for claim_id in ids:
                    claim = self._claim_by_id(claim_id)
                    self.record_lookalikes(claim_id, self.likely_same(claim))
            done += len(ids)
            yield done

    def lookalike_pairs(self) -> list[tuple[Claim, Claim, float]]:
        """Every kept pair of claims (neither merged) at or above "likely the same": (later, earlier, score)."""
        rows = self.conn.execute(
            "SELECT claim_id, same_as_id, score FROM claims_logged_twice ORDER BY score DESC, claim_id, same_as_id"
        ).fetchall()
        return [(self._claim_by_id(a), self._claim_by_id(b), score) for a, b, score in rows]

    def near_source_names(self, source: Source) -> list[str]:
        """Warnings for a new source whose name is a few letters from an existing name or
        alias, or whose affiliation is a few letters from an existing affiliation
        (compared as names are: docs/rules.md, "Names")."""
        warnings = []
        given = fold(source.name)
        near = self._near(given, _NEAR_NAMES, lambda row: (row[2], row[1], row[0]))
        near += self._near(given, _NEAR_ALIASES, lambda row: (row[2], row[1], row[0]))
        seen = set()
        for distance, folded, spelling, source_id in sorted(near):
            if folded in seen or distance == 0 or len(seen) == _WARNED:
                continue
            seen.add(folded)
            owner = self._source_by_id(self.root_id("sources", source_id))  # the source it names now
            stances = self.stance_count(owner.id)
            whose = "a source" if fold(owner.name) == folded else f"an alias of {owner.name!r}"
            warnings.append(f"{source.name!r} is a new source; did you mean {spelling!r} ({whose}, "
                            f"{stances} stance{'' if stances == 1 else 's'})? If so, log the stances on it "
                            f"and merge this one into it with 'verity source merge'")
        if source.affiliation:
            given = fold(source.affiliation)
            near = self._near(given, _NEAR_AFFILIATIONS, lambda row: (fold(row[0]), row[0], None))
            if any(distance == 0 for distance, *_rest in near):  # the affiliation is not new
                near = []
            spellings: dict[str, list[str]] = {}
            for _distance, folded, spelling, _none in sorted(near, key=lambda n: n[:3]):
                spellings.setdefault(folded, []).append(spelling)
            for shown in list(spellings.values())[:_WARNED]:
                count = self.conn.execute(
                    f"SELECT count(*) FROM sources WHERE merged_into IS NULL AND affiliation IN "
                    f"({', '.join('?' * len(shown))})", shown).fetchone()[0]
                warnings.append(f"{source.affiliation!r} is a new affiliation; did you mean {shown[0]!r} "
                                f"({count} source{'' if count == 1 else 's'})? Sources with one affiliation "
                                "are one origin, so a spelling of its own counts as another")
        return warnings

    def _near(self, given: str, sql: str, fields) -> list[tuple]:
        """(distance, folded, spelling, source id) of each candidate within a typo of `given` (0: `given` itself)."""
        pieces, limit = _trigrams(given), typo_limit(given)
        if not pieces or not limit:
            return []
        # Pieces most names hold ("ent", "of ") are left out, as common words are for claims:
        # they find nearly every name and cost the most to rank.
        fts, column, table = _NAME_INDEXES[sql]
        rows = self.conn.execute(f"SELECT max(id) FROM {table}").fetchone()[0] or 0
        common = similar.common_limit(rows)
        holding = f"SELECT count(*) FROM (SELECT 1 FROM {fts} WHERE {fts} MATCH ? LIMIT ?)"
        counted = [(piece, self.conn.execute(holding, [f"{{{column}}} : {piece}" if column else piece, common])
                    .fetchone()[0]) for piece in pieces]
        match = " OR ".join(similar.worth_matching(counted, rows))
        near = []
        for row in self.conn.execute(sql, {"match": match, "limit": _NAME_CANDIDATES}):
            folded, spelling, source_id = fields(row)
            distance = edit_distance(given, folded, limit)
            if distance <= limit:
                near.append((distance, folded, spelling, source_id))
        return near
