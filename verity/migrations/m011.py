"""m011: the answers of a question say when their saved estimates are out of date."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .runner import migration
from .views import create_trust_views

if TYPE_CHECKING:
    import sqlite_utils


@migration
def m011_question_answers_stale(db: sqlite_utils.Database) -> None:
    """question_answers showed each answer's saved estimate without saying, as claim_estimates
    does, that a later write had made it stale."""
    create_trust_views(db)
