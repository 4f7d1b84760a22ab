"""A progress bar on stderr for a long step (a long report, reading many claims' meaning),
drawn only when stderr is a terminal, and only once the step turns out to be long."""

from __future__ import annotations

import sys


class Quiet:
    """No progress bar: for pipes, short steps, and stdout on the same terminal."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __call__(self, done: int = 1) -> None:
        pass

    def start(self, total: int) -> None:
        pass


class Bar(Quiet):
    """A rich progress bar on stderr, shown from `start` when the total is at least `shown_from`."""

    def __init__(self, label: str, shown_from: int):
        self.label = label
        self.shown_from = shown_from
        self.progress = None
        self.task = None

    def start(self, total: int) -> None:
        if total < self.shown_from:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn(self.label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            console=Console(stderr=True), transient=True,
        )
        self.task = self.progress.add_task(self.label, total=total)
        self.progress.start()

    def __call__(self, done: int = 1) -> None:
        if self.progress is not None:
            self.progress.advance(self.task, done)

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.stop()
        return False


def progress_bar(label: str, shown_from: int, to_terminal: bool = False) -> Quiet:
    """A bar on stderr, labelled `label` (verity's own words: rich reads markup in it), only when
    stderr is a terminal that the step's own output (`to_terminal`) is not being written to;
    otherwise nothing."""
    if to_terminal or not sys.stderr.isatty():
        return Quiet()
    return Bar(label, shown_from)
