"""verity report: the contradiction report, as markdown, HTML, JSON or CSV."""

from pathlib import Path
from typing import Annotated, List, Optional

import typer

from .common import command, commands, db_path, open_store, say

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
    from .output import check_writable, write_atomically, write_stream

    fmt = format_for(format_, output)
    verdicts = check_verdicts(verdict)
    if output is not None:
        check_writable(output, protect=[db_path(ctx)])
    store = open_store(ctx)
    progress = _progress_bar(to_terminal=output is None and sys.stdout.isatty())
    with progress as tick:
        document = Report(store, verdicts, on_claim=tick)
        chunks = document.render(fmt)
        tick.start(document.steps(fmt))
        if output is None:
            if sys.stdout.isatty():  # CSV and JSON too: a terminal obeys what a file only holds
                from ..names import visible_lines

                chunks = map(visible_lines, chunks)
            try:
                write_stream(sys.stdout, chunks)
            except BrokenPipeError:  # `verity report | head`: the reader has what it wanted
                _silence_stdout()
                return
        else:
            size = write_atomically(output, chunks, protect=[db_path(ctx)])
            say(f"Wrote {output} ({fmt}, {document.count()} claims, {size:,} bytes).")


class _Quiet:
    """No progress bar: for pipes, small reports, and stdout on the same terminal."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self):
        pass

    def start(self, total: int) -> None:
        pass


class _Bar(_Quiet):
    """A rich progress bar on stderr, shown once the report turns out to be long."""

    def __init__(self):
        self.progress = None
        self.task = None

    def start(self, total: int) -> None:
        if total < PROGRESS_FROM:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn("Writing report"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            console=Console(stderr=True), transient=True,
        )
        self.task = self.progress.add_task("report", total=total)
        self.progress.start()

    def __call__(self):
        if self.progress is not None:
            self.progress.advance(self.task)

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.stop()
        return False


def _progress_bar(to_terminal: bool):
    """A bar on stderr only when stderr is a terminal the report itself is not being written to."""
    import sys

    if to_terminal or not sys.stderr.isatty():
        return _Quiet()
    return _Bar()


def _silence_stdout() -> None:
    import os
    import sys

    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)
