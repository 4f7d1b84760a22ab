"""m011: the views of a question's answers: their saved estimates say when they are out of date,
and two of them are never "claims logged twice"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .runner import migration
from .views import create_trust_views, create_views

if TYPE_CHECKING:
    import sqlite_utils


@migration
def m011_question_answers(db: sqlite_utils.Database) -> None:
    """question_answers showed each answer's saved estimate without saying, as claim_estimates
    does, that a later write had made it stale; claims_logged_twice paired two answers of one
    question ("killed 471", "killed 100"), which read alike by design and exclude each other."""
    create_views(db)
    # Made again after those, as m006 and m009 made them: Datasette's index lists the first few
    # views in the order they were made, and claim_verdicts is the one a desk opens first.
    create_trust_views(db)
