"""verity question ...: questions whose answers are claims that exclude each other (rule 7)."""

from typing import Annotated

import typer

from ..names import quoted
from .common import JsonFlag, JsonRecordFlag, command, group, open_store, print_created, print_json, print_table, say

app = group("Add, list and show questions: claims that are competing answers to one question.")

QuestionArgument = Annotated[str, typer.Argument(metavar="QUESTION", help="The question's key or id.")]


@command(app, "add")
def add(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="KEY", help="A slug naming the question, e.g. balti-killed-where.")],
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The question.")],
    json_: JsonRecordFlag = False,
) -> None:
    """Add a question; prints its key. Its answers are claims that exclude each other.

    Give it answers with 'claim add ... --question KEY' or 'claim edit CLAIM --question KEY'.

    Example: verity question add balti-killed-where "Where was Mufti Khalid Balti killed?"
    """
    from ..models import Question
    from .records import question_json

    question = Question(key=key, text=text)  # checked before the database is opened
    store = open_store(ctx)
    store.add_question(question)
    record = question_json(store.question_reconciliation(question.key)) if json_ else None
    print_created(question.key, f"Added question {quoted(question.key)}.", record, json_)


@command(app, "list")
def list_questions(ctx: typer.Context, json_: JsonFlag = False) -> None:
    """List questions, by key, with their verdict (rule 7) and leading answer.

    Example: verity question list --json
    """
    store = open_store(ctx)
    rows = list(store.questions_listed())
    if json_:
        print_json([{"id": q.id, "question": q.question.key, "text": q.question.text, "verdict": q.verdict,
                     "leading": q.leading, "answers": q.answers, "affirmed_answers": q.affirmed_answers,
                     "contradictions": q.contradictions} for q in rows])
        return
    if not rows:
        say("No questions yet: add one with 'verity question add KEY TEXT'.")
        return
    print_table(["id", "question", "verdict", "answers", "leading", "text"],
                [[q.id, q.question.key, q.verdict, q.answers, q.leading or "", q.question.text] for q in rows],
                wide="text")


@command(app, "show")
def show(ctx: typer.Context, question: QuestionArgument, json_: JsonFlag = False) -> None:
    """Show a question: its answers side by side, the leading one, its verdict, and every
    contradiction across its answers (rule 7).

    The verdict is open (no answer affirmed), settled (one answer affirmed by two or more
    independent origins and denied by none), single-source (one answer, one origin, denied
    by none) or disputed (anything else). The leading answer has the most independent
    affirming origins (none on a tie).

    Example: verity question show balti-killed-where
    """
    from .records import question_json
    from .show import print_question

    store = open_store(ctx)
    reconciled = store.question_reconciliation(question)
    if json_:
        print_json(question_json(reconciled))
        return
    print_question(reconciled)
