"""Has it been checked before? How likely a logged claim makes the same checkable
statement as a new text (docs/similar.md has the method, its figures and the thresholds).

Two stages. The store (verity.store.similar) fetches candidates: the text's content
words (`query_terms`, the too common left out: `worth_matching`) OR-ed into a full-text MATCH over the claims' text, subject
and note, the best `CANDIDATES` by bm25. This module re-ranks them (`rank`): a logistic
score over four features (`features`) whose weights were fitted on real fact-checking
data (CLEF-2020 CheckThat! Task 2: tweets against Snopes fact-checks), so that a top
match's score reads as the chance it is the same claim. Nothing here reads the database.

The same score serves a new text (a tweet, a quote, a draft claim) and a logged claim's
look-alikes: for the latter, the query is the claim's text, subject and note
(`claim_query`), and the claim itself is left out of the candidates.
"""

from __future__ import annotations

import html
import json
import math
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator, Optional, Protocol, Sequence

import attrs

from .errors import InvalidValue, check_readable, unreadable
from .names import text_problem

__all__ = ["CANDIDATES", "DEFAULT_LIMIT", "LIKELY_SAME", "MAX_LINE", "MEANING_CANDIDATES", "MEANING_WITHIN", "RELATED", "Candidate", "Closeness",
           "Match", "Query", "by_words", "to_read", "claim_meaning", "query_meaning", "claim_query", "clean_text", "meaning_text", "sigmoid",
           "common_limit", "features", "likely_same_claims", "match_expression", "query_terms", "rank", "read_queries",
           "shared_words", "worth_matching"]

#: How many bm25 candidates are re-ranked: the right claim is among the first 50 for
#: 96% of the benchmark's tweets, and re-ranking 100 gave the same ranking quality.
CANDIDATES = 50

#: A word held by more than this share of the claims (a tenth) is left out of the MATCH when the
#: query has rarer words: its bm25 weight is small, and reading every claim that holds
#: it is what a look-up costs most on a large database.
COMMON = 0.1
#: ... but a word held by fewer claims than this is always matched: reading that many is
#: cheap on any database, and on a small one a tenth of the claims is a handful.
ALWAYS_MATCHED = 1000

#: How many matches `claim similar` shows unless told otherwise, and `claim add` warns of at most.
DEFAULT_LIMIT = 5

#: A line of a `claim similar --input` file longer than this is refused rather than read on:
#: a query is a tweet, a quote or a claim, and a file that is one endless line (a pipe from
#: /dev/zero) would otherwise be read until memory runs out.
MAX_LINE = 1 << 20

#: At most this many distinct content words of a query go into the MATCH: a long
#: note would otherwise match most of the database for little gain.
MAX_TERMS = 64

#: Weights of `features` (bm25 relative to the best candidate, character-trigram cosine,
#: the tweet's year named, other years named) and the intercept: a conditional-logit
#: ranking fitted on the benchmark's train and dev tweets, times the calibration that
#: makes a top match's score its chance of being the same claim (docs/similar.md).
WEIGHTS = (7.617, 19.682, 1.485, -0.336)
INTERCEPT = -10.175

#: With the model of meaning (`verity.meaning`, `claim similar` unless --words-only), of the
#: best this many candidates by the four features, those `to_read` are ranked again with a
#: fifth: how close the query and the claim (its text, subject and note) are in meaning.
#: Held out, reading each of the best 10 loses 0.020 MAP@5 on dev against each of the best 20,
#: and each of the best 50 gains 0.005, within the noise of 197 tweets (docs/similar.md).
MEANING_CANDIDATES = 20
#: Besides the best DEFAULT_LIMIT, the model reads those with a logit by words within this of
#: the best one's (the best's odds by words at most about 400 times their own). Reading a
#: claim is what a look-up pays most for, and the rest keep their score by words: held out,
#: this ranks within that noise of reading each of the best 20 (docs/similar.md).
MEANING_WITHIN = 6.0
#: The four features' weights and the meaning's, and the intercept, fitted and calibrated
#: as WEIGHTS were (`python -m benchmarks.similar_fit` prints both sets).
MEANING_WEIGHTS = (3.97, 11.48, 0.973, -0.1, 53.078)
MEANING_INTERCEPT = -50.859

#: "Likely the same": `claim add` warns, and Datasette lists the pair as a claim logged
#: twice. On the benchmark, the top match is right for 96.2% (by words) to 97.6% (with the model
#: of meaning) of the queries scoring this, held out (docs/similar.md).
LIKELY_SAME = 0.85
#: Between two logged claims (`claim add`'s warning, Datasette's claims logged twice), "likely
#: the same" also asks that their texts share at least this part of their words: the score is
#: calibrated for a query that has a match, and a claim's closest neighbour among claims on
#: one subject scores high without being the same claim (docs/similar.md has the figures).
SHARED_WORDS = 0.5
#: "Related": worth a look. The top match is right for 84.7% to 88.6% of queries scoring this.
RELATED = 0.3

# Common English words, written as `words` splits them ("don't" is "don" and "t").
STOPWORDS = frozenset("""
a about above after again against all am an and any are aren as at be because
been before being below between both but by can cannot could couldn d did didn
do does doesn doing don down during each few for from further had hadn has
hasn have haven having he her here hers herself him himself his how i if in
into is isn it its itself just let ll m me more most mustn my myself no nor
not of off on once only or other ought our ours ourselves out over own re s
same shan she should shouldn so some such t than that the their theirs them
themselves then there these they this those through to too under until up ve
very was wasn we were weren what when where which while who whom why will with
would wouldn you your yours yourself yourselves
""".split())

_URL = re.compile(r"(?:https?://|www\.)\S+|pic\.twitter\.com/\S*|\b(?:t\.co|bit\.ly|youtu\.be)/\S*", re.I)
# The "— Name (@handle) Month D, YYYY" line that ends an embedded tweet.
_SIGNATURE = re.compile(
    r"\s[—–-]+\s*([^—–\n]{0,80}?)\s*\(@\w+\)\s*(?:[A-Z][a-z]+\.? \d{1,2}, (\d{2}|\d{4}))?\s*$")
_HANDLE = re.compile(r"@(\w+)")
_HASHTAG = re.compile(r"#(\w+)")
# The pieces of a CamelCase hashtag or handle: "SenJohnMcCain" is "Sen John McCain",
# "AMCTheatres" is "AMC Theatres".
_CAMEL = re.compile(r"Ma?c[A-Z][a-z]+|[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
# A word as the full-text index's unicode61 tokenizer sees one: letters and digits.
_WORD = re.compile(r"[^\W_]+")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


@attrs.frozen
class Candidate:
    """A logged claim the full-text index found for a query; `bm25` is FTS5's (lower is better)."""

    id: int
    key: str
    text: str
    subject: Optional[str]
    note: Optional[str]
    bm25: float

    @property
    def words(self) -> str:
        return " ".join(part for part in (self.text, self.subject, self.note) if part)


@attrs.frozen
class Match:
    """A logged claim ranked against a query; `score` in [0, 1]."""

    id: int
    key: str
    text: str
    score: float


def _split_camel(name: str) -> str:
    return " ".join(_CAMEL.findall(name)) or name


def _parse(text: str) -> tuple[str, Optional[int]]:
    """The cleaned text, and the year a tweet's signature dates it to (if it has one)."""
    text = unicodedata.normalize("NFKC", html.unescape(text or ""))
    year = None
    signature = _SIGNATURE.search(text)
    if signature:
        # The author's name stays: who said it is often part of the claim.
        text = text[: signature.start()] + " " + signature.group(1)
        if signature.group(2):
            year = int(signature.group(2))
            year = year if year > 99 else 2000 + year
    text = _URL.sub(" ", text)
    text = _HANDLE.sub(lambda m: " " + _split_camel(m.group(1)) + " ", text)
    text = _HASHTAG.sub(lambda m: " " + _split_camel(m.group(1)) + " ", text)
    return " ".join(text.split()), year


def clean_text(text: str) -> str:
    """Text without social-media noise: HTML entities unescaped, links and a trailing tweet
    signature dropped (its author's name kept), @handles and #HashTags made words."""
    return _parse(text)[0]


def words(text: str) -> list[str]:
    """Lower-case words, split as the full-text index splits them."""
    return _WORD.findall(text.lower())


def query_terms(text: str) -> list[str]:
    """The distinct content words of a text once cleaned, in order: what the MATCH looks for."""
    seen = dict.fromkeys(w for w in words(clean_text(text)) if w not in STOPWORDS and len(w) < 64)
    return list(seen)[:MAX_TERMS]


def match_expression(terms: Sequence[str]) -> str:
    """A full-text MATCH expression OR-ing `terms` (from `query_terms`), or "" when there are none.

    Whatever the text held, nothing in it is full-text syntax: every term is a run of
    letters and digits, and double-quoted (quotes, AND/OR/NOT/NEAR, `*`, `:`, `^`,
    parentheses and column filters in the text are only words or nothing).
    """
    return " OR ".join(f'"{term}"' for term in terms)


def worth_matching(counted: Sequence[tuple[str, int]], claims: int) -> list[str]:
    """The terms worth a MATCH, from (term, how many claims hold it, counted up to
    `common_limit(claims)`): not those held by more than COMMON of the claims, which
    weigh little in bm25 and cost the most to read; the rarest one if all are that common."""
    limit = common_limit(claims)
    kept = [term for term, count in counted if count < limit]
    return kept or [min(counted, key=lambda item: item[1])[0]] if counted else []


def common_limit(claims: int) -> int:
    """How many claims make a term too common to match on (see COMMON)."""
    return max(int(claims * COMMON), ALWAYS_MATCHED) + 1


def shared_words(text: str, other: str) -> float:
    """The part of their content words two texts share (Jaccard: in both over in either)."""
    mine, theirs = set(query_terms(text)), set(query_terms(other))
    return len(mine & theirs) / len(mine | theirs) if mine | theirs else 0.0


def likely_same_claims(text: str, match: Match) -> bool:
    """Whether a claim with this text and a logged claim it matched are likely one claim."""
    return match.score >= LIKELY_SAME and shared_words(text, match.text) >= SHARED_WORDS


def claim_query(text: str, subject: Optional[str] = None, note: Optional[str] = None) -> str:
    """The query that finds a logged claim's look-alikes: its text, subject and note."""
    return "\n".join(part for part in (text, subject, note) if part)


def _trigrams(text: str) -> Counter:
    padded = " " + " ".join(words(text)) + " "
    return Counter(padded[i:i + 3] for i in range(len(padded) - 2))


def features(query: str, candidates: Sequence[Candidate]) -> list[tuple[float, float, float, float]]:
    """Each candidate's features, in the order of WEIGHTS:

    1. its bm25 relative to the best candidate's (1.0 for the best);
    2. the cosine of character-trigram vectors (1 + log tf, times an idf taken over the
       candidates themselves, so no statistics of the whole database are needed) of the
       cleaned query and the claim's text, subject and note;
    3. 1.0 when the query is a dated tweet and the claim names that year or the one before;
    4. 1.0 when the query is a dated tweet and the claim names other years only.
    """
    if not candidates:
        return []
    cleaned, year = _parse(query)
    documents = [_trigrams(candidate.words) for candidate in candidates]
    frequency: Counter = Counter()
    for grams in documents:
        frequency.update(grams.keys())
    n = len(documents) + 1

    def unit(grams: Counter) -> dict[str, float]:
        vector = {g: (1.0 + math.log(tf)) * math.log((n + 1) / (frequency.get(g, 0) + 1)) for g, tf in grams.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return {g: v / norm for g, v in vector.items()}

    query_vector = unit(_trigrams(cleaned))
    best = max(-candidate.bm25 for candidate in candidates) or 1.0
    rows = []
    for candidate, grams in zip(candidates, documents):
        vector = unit(grams)
        cosine = sum(v * vector.get(g, 0.0) for g, v in query_vector.items())
        agree = conflict = 0.0
        if year is not None:
            named = {int(y) for y in _YEAR.findall(candidate.words)}
            if named:
                agree = float(any(year - 1 <= y <= year for y in named))
                conflict = 1.0 - agree
        rows.append((-candidate.bm25 / best, cosine, agree, conflict))
    return rows


class Closeness(Protocol):
    """A model of meaning, as `rank` uses one (`verity.meaning.Meaning`)."""

    def reads(self, text: str) -> bool:
        """Whether there is anything in `text` for the model to read."""

    def cosines(self, text: str, others: Sequence[str]) -> list[float]:
        """How close in meaning each of `others` is to `text`, from -1 to 1."""


def meaning_text(text: str) -> str:
    """A text as the model of meaning reads it: its words, lower-case, as the full-text
    index splits them, so that two claims that differ only in punctuation or quote marks
    (the benchmark's collection has 180 such pairs) are as close as they read."""
    return " ".join(words(text))


def query_meaning(query: str) -> str:
    """What the model of meaning reads of a query: the text cleaned (`clean_text`), its case
    and punctuation kept — they read better than its words alone (docs/similar.md)."""
    return clean_text(query)


def claim_meaning(text: str, subject: Optional[str] = None, note: Optional[str] = None) -> str:
    """What the model of meaning reads of a logged claim: its text, subject and note, as the
    full-text look-up reads them (a fact-check's title in the note says the claim again in
    other words), as `meaning_text` gives them."""
    return meaning_text(claim_query(text, subject, note))


def _logit(weights: Sequence[float], intercept: float, x: Sequence[float]) -> float:
    # Rounded so that identical claims tie exactly, whatever the float noise.
    return round(intercept + sum(w * v for w, v in zip(weights, x)), 9)


def sigmoid(x: float) -> float:
    """The logistic function: a logit as a score from 0 to 1."""
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def by_words(query: str, candidates: Iterable[Candidate]) -> list[tuple[float, tuple, Candidate]]:
    """The candidates with their logit by words and their features, best first (the earlier
    logged first on a tie): the ranking `--words-only` shows, and the one the model of meaning
    re-ranks those `to_read` of."""
    candidates = list(candidates)
    scored = ((_logit(WEIGHTS, INTERCEPT, x), x, c) for x, c in zip(features(query, candidates), candidates))
    return sorted(scored, key=lambda item: (-item[0], item[2].id))


def to_read(scored: Sequence[tuple[float, tuple, Candidate]], most: Optional[int] = None,
            within: Optional[float] = None) -> tuple[list, list]:
    """The candidates `by_words` ranked (`scored`) in two: those the model of meaning reads, and
    the rest, which keep their score by words. It reads, of the best `most` (MEANING_CANDIDATES),
    the best DEFAULT_LIMIT (what a look-up shows unless told otherwise) and any others with a
    logit within `within` (MEANING_WITHIN) of the best one's; a claim that ties with one of
    those is read too, so that claims that read the same score the same. `--limit` changes
    none of this: a longer list goes on where a shorter one stops."""
    best = scored[:MEANING_CANDIDATES if most is None else most]
    if not best:
        return [], list(scored)
    shown = best[min(DEFAULT_LIMIT, len(best)) - 1][0]
    floor = min(best[0][0] - (MEANING_WITHIN if within is None else within), shown)
    reading = sum(1 for z, _x, _c in best if z >= floor)
    return list(scored[:reading]), list(scored[reading:])


def rank(query: str, candidates: Iterable[Candidate], limit: int, meaning: Optional[Closeness] = None) -> list[Match]:
    """The candidates re-ranked, best first, at most `limit`. Claims that read the same
    score the same, and the earlier logged (lower id) comes first.

    With `meaning`, the candidates `to_read` are scored again with their closeness in meaning
    to the query, and the rest keep their score by words; all rank in one list by score (a
    claim the model found far in meaning may fall below one it did not read)."""
    scored = by_words(query, candidates)
    read = query_meaning(query) if meaning is not None and scored else ""
    if read and meaning.reads(read):
        kept, rest = to_read(scored)
        closeness = meaning.cosines(read, [claim_meaning(c.text, c.subject, c.note) for _z, _x, c in kept])
        rescored = [(_logit(MEANING_WEIGHTS, MEANING_INTERCEPT, (*x, cosine)), x, c)
                    for (_z, x, c), cosine in zip(kept, closeness)]
        scored = sorted(rescored + rest, key=lambda item: (-item[0], item[2].id))
    return [Match(id=c.id, key=c.key, text=c.text, score=round(sigmoid(z), 3)) for z, _x, c in scored[:limit]]


@attrs.frozen
class Query:
    """One query of a `claim similar --input` file: its id (given, or its line number) and text."""

    id: Any
    text: str


def read_queries(path: Path) -> list[Query]:
    """The queries of a file: one per line of plain text, or JSON lines with "text" and an
    optional "id" (a file whose first non-blank line starts with "{"); blank lines skipped.
    The whole file is read and checked first, so a bad line stops it before anything is printed.
    It is read line by line, each line at most MAX_LINE bytes; a device is refused."""
    check_readable(path, "a file of queries")
    try:
        with open(path, "rb") as handle:
            return _queries(path, handle)
    except OSError as exc:
        raise unreadable(path, exc) from None


def _lines(handle: BinaryIO) -> Iterator[bytes]:
    """The file's lines without their ends (a line break, a carriage return and line break, or a
    carriage return alone, as `bytes.splitlines` reads them), read a piece at a time; of a line
    longer than MAX_LINE, its first MAX_LINE + 1 bytes or more, and no more lines."""
    pending = b""
    for piece in iter(lambda: handle.read(1 << 16), b""):
        lines = (pending + piece).splitlines(keepends=True)
        # The last may go on in the next piece (a carriage return, too: a line break may follow it).
        pending = lines.pop() if not lines[-1].endswith(b"\n") else b""
        for line in lines:
            yield line.rstrip(b"\r\n")
        if len(pending) > MAX_LINE:
            yield pending
            return
    if pending:
        yield pending.rstrip(b"\r")


def _queries(path: Path, handle: BinaryIO) -> list[Query]:
    fix = "give a UTF-8 text file, one query per line, or JSON lines with \"text\""
    queries: list[Query] = []
    json_lines = None
    for number, raw in enumerate(_lines(handle), 1):
        if len(raw) > MAX_LINE:
            raise InvalidValue(f"line {number} of {path} is longer than {MAX_LINE:,} bytes, too long for a query; "
                               f"{fix}")
        try:
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidValue(f"{path} is not text (line {number}, byte {exc.start + 1} of it, is not UTF-8); "
                               f"{fix}") from None
        if "\x00" in line:
            raise InvalidValue(f"{path} is not text (line {number} holds NUL bytes); {fix}")
        if not line.strip():
            continue
        if json_lines is None:
            json_lines = line.strip().startswith("{")
        if not json_lines:
            queries.append(Query(number, line.strip()))
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise InvalidValue(f"line {number} of {path} is not JSON ({exc}); give one JSON object per line, "
                               "such as {\"id\": 1, \"text\": \"...\"}") from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str) or not record["text"].strip():
            raise InvalidValue(f"line {number} of {path} has no \"text\"; give each line a non-empty \"text\", "
                               "such as {\"id\": 1, \"text\": \"...\"}")
        given = record.get("id", number)
        if given is None:
            given = number
        if isinstance(given, bool) or not isinstance(given, (str, int)):
            raise InvalidValue(f"line {number} of {path} has an \"id\" that is neither text nor a whole number "
                               f"({json.dumps(given)}); give each line's \"id\" as a string or an integer, or none")
        for value in (record["text"], given):
            problem = isinstance(value, str) and text_problem(value)
            if problem:  # found now, not when the query's answer is being printed
                raise InvalidValue(f"line {number} of {path} {problem}")
        queries.append(Query(given, record["text"].strip()))
    if not queries:
        raise InvalidValue(f"{path} holds no query; give one query per line, or JSON lines with \"text\"")
    return queries
