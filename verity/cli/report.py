"""verity report: the contradiction report, as markdown, HTML, JSON or CSV."""

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from ..names import counted
from .common import command, commands, db_path, open_store, say
from .progress import progress_bar

# Below this many claim reads a report is quick and a progress bar only flickers.
PROGRESS_FROM = 2000

app = commands()


@command(app, "report")
def report(
    ctx: typer.Context,
    format_: Annotated[
        Optional[str],
        typer.Option("--format", "-f", metavar="FORMAT", show_default=False,
                     help="markdown, html, json or csv (default: from the --output extension, else markdown)."),
    ] = None,
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", metavar="FILE", help="Write to this file instead of stdout (replaced only when complete)."),
    ] = None,
    verdict: Annotated[
        Optional[List[str]],
        typer.Option("--verdict", metavar="VERDICT",
                     help="Only claims with this verdict (contested, single-source, corroborated, denied, unverified); "
                          "repeat for any of several."),
    ] = None,
) -> None:
    """Write the contradiction report: a summary, then every claim, contested ones first.

    Each claim shows its verdict and ruling, each side's sources grouped by
    independent origin, the contradictions and the history (reversals and
    retractions). HTML adds a stance matrix and timelines in one offline file.

    Example: verity report --verdict contested --output contested.html
    """
    import sys

    from ..reports import Report, check_verdicts, format_for
    from .output import check_writable, on_screen, write_atomically, write_stream

    fmt = format_for(format_, output)
    verdicts = check_verdicts(verdict)
    if output is not None:
        check_writable(output, protect=[db_path(ctx)])
    store = open_store(ctx)
    progress = progress_bar("Writing report", PROGRESS_FROM, to_terminal=output is None and sys.stdout.isatty())
    with progress as tick:
        document = Report(store, verdicts, on_claim=tick)
        chunks = document.render(fmt)
        tick.start(document.steps(fmt))
        if output is None:  # (`verity report | head`: a reader gone is the command line's to handle)
            write_stream(on_screen(sys.stdout), chunks)  # CSV and JSON too
        else:
            size = write_atomically(output, chunks, protect=[db_path(ctx)])
            say(f"Wrote {output} ({fmt}, {counted(document.count(), 'claim')}, {counted(size, 'byte')}).")
