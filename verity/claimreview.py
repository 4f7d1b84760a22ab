"""schema.org ClaimReview: publishing verity's rulings, and reading other desks' fact-checks.

Export: one ClaimReview (JSON-LD) per claim with a ruling. The ruling becomes the
`reviewRating` (false=1 … true=5, `unproven` has only its words: see
docs/import-export.md), the claim's affirming sources the `itemReviewed` Claim's
authors, and their stances' links its `appearance`.

Import: a ClaimReview, a list of them or a DataFeed of them become claims with
rulings, the reviewed claim's authors sources that affirm it: `Reviews` reads them
as records for the importer. Ratings are mapped by their words first, then by
their number; what cannot be mapped is said, and the claim comes in without a
ruling. JSON-LD is open-ended, so properties verity has no use for are ignored
rather than refused.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any, Iterator, Optional

from .errors import InvalidValue
from .formats import Place, structure_record
from .models import AFFIRMING, Claim, Source, Stance, check_date, is_web_address

if TYPE_CHECKING:
    from .store import ClaimRecord, Store

CONTEXT = "https://schema.org"
RATING_VALUES = {"false": 1, "mostly-false": 2, "mixture": 3, "mostly-true": 4, "true": 5}
RULING_WORDS = {
    "true": "True", "mostly-true": "Mostly true", "mixture": "Mixture",
    "mostly-false": "Mostly false", "false": "False", "unproven": "Unproven",
}
# Who a review names as its publisher when neither --publisher nor a desk does.
DEFAULT_PUBLISHER = "verity"
BY_NUMBER = ("false", "mostly-false", "mixture", "mostly-true", "true")

# Rating words fact-checkers publish, folded (lower case, words split on space,
# hyphen and underscore, trailing punctuation dropped), and the ruling each means.
# Words that say a claim mixes true and false (half true, misleading, missing
# context) are `mixture`: verity's ruling for "significant elements of both".
RATING_WORDS = {
    "true": "true", "correct": "true", "accurate": "true", "verified": "true", "correct attribution": "true",
    "mostly true": "mostly-true", "mostly correct": "mostly-true", "largely true": "mostly-true",
    "largely accurate": "mostly-true", "mostly accurate": "mostly-true",
    "mixture": "mixture", "mixed": "mixture", "half true": "mixture", "half truth": "mixture",
    "partly true": "mixture", "partially true": "mixture", "partly false": "mixture",
    "partially false": "mixture", "half false": "mixture", "misleading": "mixture",
    "missing context": "mixture", "out of context": "mixture", "needs context": "mixture",
    "mostly false": "mostly-false", "largely false": "mostly-false", "mostly inaccurate": "mostly-false",
    "largely inaccurate": "mostly-false",
    "false": "false", "incorrect": "false", "inaccurate": "false", "wrong": "false", "fake": "false",
    "fabricated": "false", "pants on fire": "false", "four pinocchios": "false", "hoax": "false",
    "unproven": "unproven", "unverified": "unproven", "unsubstantiated": "unproven",
    "unsupported": "unproven", "no evidence": "unproven", "not proven": "unproven",
    "unverifiable": "unproven", "cannot be verified": "unproven", "undetermined": "unproven",
    "unclear": "unproven", "insufficient evidence": "unproven",
}
# Kinds of source that are one person, so that a Claim's author is a Person, not an Organization.
_PERSON_KINDS = re.compile(r"\b(person|spokes(man|woman|person)|official|analyst|journalist|reporter|"
                           r"witness|expert|politician|minister|commander|leader|resident)\b", re.I)


# -- export ---------------------------------------------------------------------------


def export_reviews(store: "Store", publisher: Optional[str] = None, url_template: Optional[str] = None
                   ) -> tuple[list[dict], list[str]]:
    """(one ClaimReview per claim with a ruling, notes on what they lack). A ClaimReview names
    its publisher: `publisher`, else the desk ($VERITY_DESK), else DEFAULT_PUBLISHER."""
    notes = []
    if publisher is None:
        publisher = store.desk or DEFAULT_PUBLISHER
        if publisher == DEFAULT_PUBLISHER:
            notes.append(f"the reviews name {DEFAULT_PUBLISHER!r} as their publisher; name yours with --publisher "
                         "\"Your desk\" (or VERITY_PUBLISHER, or VERITY_DESK)")
    if not publisher.strip():
        raise InvalidValue(
            "the publisher is empty; a ClaimReview names its publisher: give --publisher \"Your desk\", "
            f"or leave it out for the desk ($VERITY_DESK), else {DEFAULT_PUBLISHER!r}"
        )
    if url_template is not None and "{key}" not in url_template:
        raise InvalidValue(
            f"--url {url_template!r} has no {{key}}; every review needs its own page, "
            "e.g. --url 'https://example.org/checks/{key}'"
        )
    if url_template is not None and not is_web_address(url_template.replace("{key}", "key")):
        raise InvalidValue(
            f"--url {url_template!r} is not an http or https address; a published review links only to "
            "web pages, e.g. --url 'https://example.org/checks/{key}'"
        )
    reviews, undated, unsafe = [], 0, 0
    for claim, _reconciliation in store.claims():
        if claim.ruling is None:
            continue
        record = store.claim_record(claim.key)
        unsafe += len({s.url for s in record.stances if s.url and not is_web_address(s.url)})
        review = review_of(record, publisher.strip(), url_template)
        undated += "datePublished" not in review
        reviews.append(review)
    if unsafe:
        notes.append(f"{unsafe} stance links that are not http or https addresses were left out of the reviews "
                     "(only web pages are published); 'verity stance list --json' shows them")
    if undated:
        notes.append(
            f"{undated} of {len(reviews)} reviews have no datePublished: their rulings carry no date "
            "(a ruling made with 'verity claim rule' is dated)"
        )
    return reviews, notes


def review_of(record: "ClaimRecord", publisher: str, url_template: Optional[str] = None) -> dict:
    """The ClaimReview of one ruled claim."""
    claim = record.claim
    affirming = record.reconciliation.affirming
    stances = [s for s in record.stances
               if s.source in affirming and s.position in AFFIRMING and s.retracted is None]
    claim_item: dict[str, Any] = {"@type": "Claim"}
    authors = [_agent(record.sources[name]) for name in affirming]
    if authors:
        claim_item["author"] = authors if len(authors) > 1 else authors[0]
    dates = sorted(s.said_on[:10] for s in stances if s.said_on)
    if dates:
        claim_item["datePublished"] = dates[0]
    appearances, seen = [], set()
    for stance in stances:  # oldest first
        if is_web_address(stance.url) and stance.url not in seen:
            seen.add(stance.url)
            work = {"@type": "CreativeWork", "url": stance.url,
                    "author": {"@type": _agent(record.sources[stance.source])["@type"], "name": stance.source}}
            if stance.said_on:
                work["datePublished"] = stance.said_on[:10]
            appearances.append(work)
    if appearances:
        claim_item["appearance"] = appearances
    rating: dict[str, Any] = {"@type": "Rating"}
    if claim.ruling in RATING_VALUES:
        rating.update(ratingValue=RATING_VALUES[claim.ruling], bestRating=5, worstRating=1)
    rating["alternateName"] = RULING_WORDS[claim.ruling]
    if claim.ruling_explanation:
        rating["ratingExplanation"] = claim.ruling_explanation
    review: dict[str, Any] = {"@context": CONTEXT, "@type": "ClaimReview"}
    if url_template:
        review["url"] = url_template.replace("{key}", claim.key)
    if claim.ruled_at:
        review["datePublished"] = claim.ruled_at[:10]
    review["author"] = {"@type": "Organization", "name": publisher}
    review["claimReviewed"] = claim.text
    review["itemReviewed"] = claim_item
    review["reviewRating"] = rating
    return review


def _agent(source: Source) -> dict:
    kind = "Person" if source.kind and _PERSON_KINDS.search(source.kind) else "Organization"
    agent = {"@type": kind, "name": source.name}
    if is_web_address(source.url):
        agent["url"] = source.url
    return agent


# -- import -----------------------------------------------------------------------------


def looks_like_claimreview(data: Any) -> bool:
    """Whether JSON data is schema.org (JSON-LD) rather than a verity document."""
    if isinstance(data, list):
        return bool(data) and looks_like_claimreview(data[0])
    return isinstance(data, dict) and ("@type" in data or "@context" in data or "@graph" in data)


def map_rating(rating: Any) -> tuple[Optional[str], str, str]:
    """(ruling or None, the rating as published, how it was mapped: 'words' | 'number' | '')."""
    if not isinstance(rating, dict):
        return None, "no reviewRating", ""
    words = rating.get("alternateName")
    value = _number(rating.get("ratingValue"))
    shown = words if isinstance(words, str) and words.strip() else (
        f"{rating.get('ratingValue')}" if value is not None else "no rating")
    if isinstance(words, str):
        folded = " ".join(re.sub(r"[-_]", " ", words.lower()).split()).strip(" !.?")
        if folded in RATING_WORDS:
            return RATING_WORDS[folded], shown, "words"
    if value is not None:
        best = _number(rating.get("bestRating"))
        worst = _number(rating.get("worstRating"))
        best = 5.0 if best is None else best
        worst = 1.0 if worst is None else worst
        if best != worst:
            share = (value - worst) / (best - worst)
            if 0 <= share <= 1:
                number = f"{_plain(value)} of {_plain(worst)}–{_plain(best)}"
                shown = f"{words} ({number})" if isinstance(words, str) and words.strip() else number
                return BY_NUMBER[int(share * 4 + 0.5)], shown, "number"
    return None, shown, ""


def _number(value: Any) -> Optional[float]:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _plain(number: float) -> str:
    return str(int(number)) if number == int(number) else str(number)


def _types(node: dict) -> set[str]:
    kinds = node.get("@type", ())
    kinds = [kinds] if isinstance(kinds, str) else kinds if isinstance(kinds, list) else []
    return {k.rsplit("/", 1)[-1].rsplit(":", 1)[-1] for k in kinds if isinstance(k, str)}


def _reviews(node: Any, place: Place) -> Iterator[tuple[Optional[dict], Any]]:
    """(review, place) for every ClaimReview; (None, (message, place)) for what is not one."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _reviews(item, place.item(index))
        return
    if not isinstance(node, dict):
        yield None, ("expected a ClaimReview object, a list of them or a DataFeed", place)
        return
    kinds = _types(node)
    if "ClaimReview" in kinds:
        yield node, place
    elif "DataFeed" in kinds or "dataFeedElement" in node:
        elements = node.get("dataFeedElement", [])
        yield from _reviews(elements if isinstance(elements, list) else [elements], place.field("dataFeedElement"))
    elif "DataFeedItem" in kinds or ("item" in node and not kinds):
        yield from _reviews(node.get("item"), place.field("item"))
    elif "@graph" in node:
        yield from _reviews(node["@graph"], place.field("@graph"))
    else:
        got = ", ".join(sorted(kinds)) or "no @type"
        yield None, (f"expected a ClaimReview, a list of them or a DataFeed, got {got}", place.field("@type"))


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _name(agent: Any) -> Optional[str]:
    if isinstance(agent, str):
        return agent.strip() or None
    if isinstance(agent, dict) and isinstance(agent.get("name"), str):
        return agent["name"].strip() or None
    return None


def _url(work: Any) -> Optional[str]:
    if isinstance(work, str):
        return work.strip() or None
    if isinstance(work, dict) and isinstance(work.get("url"), str):
        return work["url"].strip() or None
    return None


def _date(value: Any) -> Optional[str]:
    """An ISO date or date-time as verity keeps it; a longer stamp falls back to its day."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    for candidate in (value, value[:10]):
        try:
            return check_date(candidate)
        except InvalidValue:
            continue
    raise InvalidValue(f"{value!r} is not an ISO date; expected YYYY-MM-DD, e.g. 2022-01-10")


class Reviews:
    """The records of ClaimReview JSON-LD, for the importer (`verity.importer.run_import`),
    and once they are read, notes on what could not be carried over.

    Each review is one ("review", (claim, authors), place) record: the reviewed claim,
    its key made from its text (the importer gives it the first free one of key,
    key-2, key-3, …, or reuses an equal claim), and for each of its authors (source,
    stance, place): a source matched by name alone, and its stance affirming the
    claim. What cannot be read is an ("error", message, place) record.
    """

    def __init__(self, data: Any):
        self.data = data
        self.unmapped: Counter[str] = Counter()  # ratings mapped neither by words nor by number
        self.by_number: Counter[str] = Counter()
        self.authorless = 0

    def __iter__(self) -> Iterator[tuple[str, Any, Place]]:
        reviews = problems = 0
        for review, place in _reviews(self.data, Place()):
            if review is None:
                problems += 1
                message, where = place
                yield "error", message, where
                continue
            reviews += 1
            yield from self._records(review, place)
        if reviews == 0 and not problems:
            yield "error", "no ClaimReview found; expected a ClaimReview object, a list of them or a DataFeed", Place()

    def notes(self) -> list[str]:
        """What the import could not carry over as it was published, for the user."""
        notes = []
        if self.unmapped:
            listed = ", ".join(f"{words!r}" + (f" ({n})" if n > 1 else "") for words, n in self.unmapped.most_common())
            notes.append(f"could not map {sum(self.unmapped.values())} rating(s) onto verity's rulings: {listed}; "
                         "those claims came in without a ruling, the rating kept in their note")
        if self.by_number:
            listed = ", ".join(f"{words!r}" + (f" ({n})" if n > 1 else "") for words, n in self.by_number.most_common())
            notes.append(f"mapped {sum(self.by_number.values())} rating(s) by number, not words: {listed}")
        if self.authorless:
            notes.append(f"{self.authorless} review(s) name no author of the claim, so no source affirms it")
        return notes

    def _records(self, review: dict, place: Place) -> Iterator[tuple[str, Any, Place]]:
        text = review.get("claimReviewed")
        if not isinstance(text, str) or not text.strip():
            yield "error", "a ClaimReview needs claimReviewed, the text of the claim it checks", place.field("claimReviewed")
            return
        rating = _first(review.get("reviewRating"))
        ruling, shown, how = map_rating(rating)
        publisher = _name(_first(review.get("author")))
        try:
            ruled_at = _date(review.get("datePublished"))
        except InvalidValue as exc:
            yield "error", str(exc), place.field("datePublished")
            return
        explanation = rating.get("ratingExplanation") if isinstance(rating, dict) else None
        if not isinstance(explanation, str) or not explanation.strip():
            body = review.get("reviewBody")
            explanation = body if isinstance(body, str) else None
        where = f" ({review['url']})" if isinstance(review.get("url"), str) else ""
        note = f"From a ClaimReview by {publisher or 'an unnamed publisher'}{where}, rated {shown!r}."
        fields = {"text": text, "ruling": ruling, "ruling_explanation": explanation if ruling else None,
                  "ruled_at": ruled_at if ruling else None, "ruled_by": publisher if ruling else None,
                  "note": note}
        claim, errors = structure_record(fields, Claim, place)
        if errors:
            for error in errors:
                yield "error", error.rsplit(" @ ", 1)[0], place.field("claimReviewed")
            return
        item = _first(review.get("itemReviewed"))
        item = item if isinstance(item, dict) else {}
        authors = item.get("author", [])
        authors = authors if isinstance(authors, list) else [authors]
        appearances = item.get("appearance", [])
        appearances = appearances if isinstance(appearances, list) else [appearances]
        first_url = _url(item.get("firstAppearance")) or next(filter(None, map(_url, appearances)), None)
        try:
            claim_date = _date(item.get("datePublished"))
        except InvalidValue as exc:
            yield "error", str(exc), place.field("itemReviewed").field("datePublished")
            return
        affirming = []
        for index, agent in enumerate(authors):
            author_place = place.field("itemReviewed").field("author").item(index)
            source_name = _name(agent)
            if source_name is None:
                continue
            kind = {"Person": "person", "Organization": "organization"}.get(
                next(iter(_types(agent)), "") if isinstance(agent, dict) else "")
            source_fields = {"name": source_name, "kind": kind, "url": _url(agent) if isinstance(agent, dict) else None}
            source, errors = structure_record(source_fields, Source, author_place)
            if errors:
                for error in errors:
                    yield "error", error.rsplit(" @ ", 1)[0], author_place
                continue
            own = [work for work in appearances
                   if isinstance(work, dict) and _name(_first(work.get("author"))) == source_name]
            url = _url(own[0]) if own else first_url
            said_on = claim_date
            if own:
                try:
                    said_on = _date(own[0].get("datePublished")) or claim_date
                except InvalidValue:
                    said_on = claim_date
            stance = Stance(claim=claim.key, source=source.name, position="affirms", url=url, said_on=said_on,
                            note=f"The author of the claim, per a ClaimReview by "
                                 f"{publisher or 'an unnamed publisher'}{where}.")
            affirming.append((source, stance, author_place))
        if how == "":
            self.unmapped[shown] += 1
        elif how == "number":
            self.by_number[shown] += 1
        self.authorless += not affirming
        yield "review", (claim, affirming), place
