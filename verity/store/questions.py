"""Questions: groups of claims that answer one question, and rule 7 stored per question.

Rule 7 is `verity.reconcile.reconcile_question`, over the stored reconciliation of
each answer; `question_reconciliations` keeps what it decides (verdict, leading
answer, counts) for Datasette and listings, refreshed with the reconciliation of
any of the question's answers, in the same transaction as every write.
"""

from __future__ import annotations

import sqlite3
from typing import Iterable, Iterator, Optional, Sequence

import attrs

from .. import uids
from ..errors import Duplicate, NotFound, did_you_mean
from ..models import Question, utc_now
from ..names import as_id
from ..reconcile import QuestionReconciliation, reconcile_question
from .resolve import one_question
from .rows import RECONCILIATION_COLUMNS, reconciliation_from_row

_CHUNK = 500
_ANSWERS = ("SELECT c.question_id, c.id, " + RECONCILIATION_COLUMNS
            + " FROM claims c JOIN reconciliations r ON r.claim_id = c.id WHERE c.merged_into IS NULL")
_WRITE = ("INSERT INTO question_reconciliations (question_id, verdict, leading_id, answers, affirmed_answers, "
          "contradictions) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (question_id) DO UPDATE SET "
          "(verdict, leading_id, answers, affirmed_answers, contradictions) = (excluded.verdict, "
          "excluded.leading_id, excluded.answers, excluded.affirmed_answers, excluded.contradictions)")


@attrs.frozen
class ListedQuestion:
    """A question with what rule 7 stored of it."""

    id: int
    question: Question
    verdict: str
    leading: Optional[str]  # the leading answer's key
    answers: int
    affirmed_answers: int
    contradictions: int


class Questions:
    """The part of `Store` that keeps questions and their stored rule-7 verdicts."""

    conn: sqlite3.Connection

    def add_question(self, question: Question) -> int:
        """Add a question; returns its id. Duplicate when its key is taken."""
        with self.transaction():
            taken = self.conn.execute("SELECT text FROM questions WHERE key = ?", [question.key]).fetchone()
            if taken:
                raise Duplicate(f"question key {question.key!r} is already taken by {taken[0]!r}; "
                                "give this question another key, or add answers to that one")
            question_id = self.conn.execute(
                "INSERT INTO questions (uid, key, text, created_at, created_by, desk) VALUES (?, ?, ?, ?, ?, ?)",
                [question.uid or uids.new(), question.key, question.text, utc_now(), self.user,
                 question.desk or self.desk]).lastrowid
            self.refresh_questions([question_id])
        return question_id

    def get_question(self, ref: str | int) -> tuple[int, Question]:
        """A question (id, record) by key or id; NotFound names the closest keys."""
        text = str(ref).strip()
        row = self.conn.execute("SELECT id, key, text, uid, desk FROM questions WHERE key = ?", [text]).fetchone()
        if row is None and as_id(text) is not None:
            row = self.conn.execute("SELECT id, key, text, uid, desk FROM questions WHERE id = ?",
                                    [as_id(text)]).fetchone()
        if row is None:
            keys = [key for (key,) in self.conn.execute("SELECT key FROM questions")]
            hint = did_you_mean(text, keys)
            fix = ("see 'verity question list', or add it with 'verity question add KEY TEXT'" if keys
                   else "add it with 'verity question add KEY TEXT'")
            raise NotFound(f"no question {text!r}{hint}; {fix}")
        kept = self.same_question(row[0])
        if kept != row[0]:  # asked on two desks: the older question is the one
            row = self.conn.execute("SELECT id, key, text, uid, desk FROM questions WHERE id = ?", [kept]).fetchone()
        question_id, key, question_text, uid, desk = row
        return question_id, Question(key=key, text=question_text, uid=uid, desk=desk)

    def questions_one_with_older(self) -> dict[int, int]:
        """Each question that two desks asked apart, the younger, -> the older it is one with: the
        same key (as its desk gave it) and the same text (`resolve.one_question`). It has no answers
        and no stored verdict; its key finds the older (docs/desks.md)."""
        return one_question(self.conn.execute(
            "SELECT id, uid, key, text FROM questions WHERE text IN "
            "(SELECT text FROM questions GROUP BY text HAVING count(*) > 1)"))

    def same_question(self, question_id: int) -> int:
        """The question a question is: itself, or the older one it is one with."""
        return self.questions_one_with_older().get(question_id, question_id)

    def questions_listed(self) -> Iterator[ListedQuestion]:
        """Every question, by key, with what rule 7 stored of it."""
        for row in self.conn.execute(
                "SELECT q.id, q.key, q.text, q.uid, q.desk, qr.verdict, lead.key, qr.answers, qr.affirmed_answers, "
                "qr.contradictions FROM questions q JOIN question_reconciliations qr ON qr.question_id = q.id "
                "LEFT JOIN claims lead ON lead.id = qr.leading_id ORDER BY q.key"):
            question_id, key, text, uid, desk, *rest = row
            yield ListedQuestion(question_id, Question(key=key, text=text, uid=uid, desk=desk), *rest)

    def question_reconciliation(self, ref: str | int) -> QuestionReconciliation:
        """Rule 7 over the question's answers (claims not merged into another), now."""
        question_id, question = self.get_question(ref)
        answers = [reconciliation_from_row(row[2:]) for row in self.conn.execute(
            _ANSWERS + " AND c.question_id = ? ORDER BY c.key", [question_id])]
        return reconcile_question(question.key, question.text, answers)

    def question_ids_of(self, claim_ids: Sequence[int]) -> list[int]:
        """The questions these claims answer."""
        found: set[int] = set()
        for start in range(0, len(claim_ids), _CHUNK):
            chunk = list(claim_ids[start:start + _CHUNK])
            found.update(row[0] for row in self.conn.execute(
                f"SELECT DISTINCT question_id FROM claims WHERE id IN ({','.join('?' * len(chunk))}) "
                "AND question_id IS NOT NULL", chunk))
        return sorted(found)

    def refresh_questions(self, question_ids: Optional[Iterable[int]] = None) -> None:
        """Store rule 7 for these questions, or every one (inside the caller's transaction)."""
        if question_ids is None:
            questions = self.conn.execute("SELECT id, key, text FROM questions ORDER BY id").fetchall()
            answers = self.conn.execute(_ANSWERS + " AND c.question_id IS NOT NULL").fetchall()
        else:
            ids = sorted(set(question_ids))
            questions, answers = [], []
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start:start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                questions += self.conn.execute(f"SELECT id, key, text FROM questions WHERE id IN ({marks})",
                                               chunk).fetchall()
                answers += self.conn.execute(_ANSWERS + f" AND c.question_id IN ({marks})", chunk).fetchall()
        one = self.questions_one_with_older()
        questions = [row for row in questions if row[0] not in one]  # the older is the one listed
        by_question: dict[int, list] = {}
        for row in answers:
            by_question.setdefault(row[0], []).append(row)
        rows = []
        for question_id, key, text in questions:
            listed = by_question.get(question_id, [])
            ids = {row[2]: row[1] for row in listed}  # answer key -> claim id
            outcome = reconcile_question(key, text, (reconciliation_from_row(row[2:]) for row in listed))
            rows.append((question_id, outcome.verdict, ids.get(outcome.leading), len(outcome.answers),
                         len(outcome.affirmed), len(outcome.contradictions)))
        if rows:
            self.conn.executemany(_WRITE, rows)
