"""m004: rule 1 stored by the reconciler, and the views the named queries read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..reconcile import (
    STATUSES,
)
from .runner import migration
from .views import create_views, in_list

if TYPE_CHECKING:
    import sqlite_utils


@migration
def m004_stance_statuses_and_views(db: sqlite_utils.Database) -> None:
    """Each stance's status under rule 1, as the reconciler decides it, and views for
    the questions fact-checkers ask, built on it.

    The store writes stance_statuses whenever it refreshes a claim's reconciliation
    (and for every claim after an upgrade), with a row only for the stances that are
    not plain (verity.reconcile.plain_status), which are few: most sources state one
    position on a claim. A primary key and nothing more: every view reaches it from
    a stance, or reads it whole.
    """
    db.execute(
        f"""
        CREATE TABLE stance_statuses (
            stance_id INTEGER PRIMARY KEY REFERENCES stances(id),
            status TEXT NOT NULL CHECK ({in_list('status', STATUSES)}),
            previous_id INTEGER REFERENCES stances(id)
        )"""
    )
    create_views(db)
