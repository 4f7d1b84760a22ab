"""Whole-database commands: init, reconcile."""

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from .common import (
    JsonFlag,
    JsonRecordFlag,
    command,
    commands,
    db_path,
    open_store,
    print_changed,
    print_json_stream,
    print_table,
    say,
)

app = commands()


@command(app, "init")
def init(ctx: typer.Context, json_: JsonRecordFlag = False) -> None:
    """Create a verity database (or upgrade an existing one).

    With --json, prints the database's path, its schema version and whether it
    was created.

    Example: verity --db balti.db init
    """
    from ..store import Store

    path = db_path(ctx)
    existed = Path(path).exists()
    with Store.create(path) as store:
        store.check_writable()  # not "a verity database (schema version N)": init could not upgrade it
        version = store.schema_version()
    message = (f"{path} is a verity database (schema version {version})." if existed
               else f"Created {path} (schema version {version}).")
    print_changed(message, {"database": path, "schema_version": version, "created": not existed}, json_)


@command(app, "reconcile")
def reconcile(
    ctx: typer.Context,
    claims: Annotated[Optional[List[str]], typer.Argument(
        metavar="CLAIM", help="Claim keys or ids; all claims when none.", show_default=False)] = None,
    json_: JsonFlag = False,
) -> None:
    """Show, per claim, where the sources agree and where they contradict each other.

    Example: verity reconcile balti-was-killed --json
    """
    from ..formats import reconciliation_json
    from ..reconcile import figure

    store = open_store(ctx)
    if json_:
        print_json_stream(reconciliation_json(r) for r in store.reconciliations(claims))
        return
    rows = list(store.reconciliations(claims))
    if not rows:
        say("No claims yet: add one with 'verity claim add TEXT'.")
        return
    print_table(
        ["claim", "verdict", "score", "agree", "affirming", "denying", "neutral", "ruling"],
        [
            [r.claim, r.verdict, figure(r.score), figure(r.agreement),
             _side(r.affirming, r.affirming_origins), _side(r.denying, r.denying_origins),
             len(r.neutral), r.ruling or ""]
            for r in rows
        ],
    )


def _side(names, origins) -> str:
    if not names:
        return "—"
    return f"{len(names)} ({origins} indep.)"
