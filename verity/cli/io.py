"""verity import / export: moving records between verity and files."""

import contextlib
import sys
import time
from pathlib import Path
from typing import Annotated, Callable, Iterator, Optional, TextIO

import typer

from ..errors import InvalidValue, check_readable
from ..names import counted, visible
from .common import JsonRecordFlag, command, commands, db_path, open_store, print_changed, say

PROGRESS_MIN_BYTES = 1 << 20  # smaller files are done before a bar would be worth drawing
REDRAW_SECONDS = 0.1  # how often the bar is drawn again

app = commands()

# Formats are plain text checked by the core, so a wrong one gets verity's one-line
# error with a close match rather than click's boxed usage message.
EXPORT_FORMATS = ("json", "jsonl", "csv", "claimreview")
_EXTENSION = {"json": ".json", "jsonl": ".jsonl", "csv": ".csv", "claimreview": ".jsonld"}


@command(app, "import")
def import_file(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(
        metavar="FILE", help="The file to import; - reads standard input (give --format).",
        show_default=False, readable=False)],  # an unreadable file gets verity's one line (importer)
    format: Annotated[Optional[str], typer.Option(
        "--format", "-f", metavar="FORMAT",
        help="Read FILE as json, jsonl, csv or claimreview instead of going by its extension.",
        show_default=False)] = None,
    create_missing: Annotated[bool, typer.Option(
        "--create-missing", help="CSV: create a source or claim a row names that does not exist yet.")] = False,
    json_: JsonRecordFlag = False,
) -> None:
    """Import a file: all of it, or nothing.

    The format comes from the extension: .json (a verity document, or schema.org
    ClaimReview), .jsonl (one record per line), .csv (one stance per row), .jsonld
    (ClaimReview); content that is plainly another format is refused with the format
    it looks like. Records already in the database are reused when they agree and
    stop the import when they differ; every problem is listed with its place. With
    --json, prints how many records of each kind were added, and found already there.

    Example: verity import examples/balti.json
    """
    from ..importer import format_of
    from ..importer import import_file as run

    stdin = str(file) == "-"
    if stdin and format is None:
        raise InvalidValue("cannot tell the format of standard input; give --format json|jsonl|csv|claimreview")
    fmt = format.strip().lower() if format else None
    format_of(file, fmt)  # an unknown extension is an error before any database is made
    if not stdin:
        check_readable(file, "a file to import")
    path = Path(db_path(ctx))
    created = not path.exists()
    # Like 'sqlite-utils insert', importing into a path where nothing is yet makes the database;
    # an existing file, even an empty one, is made a database only by 'verity init'.
    store = open_store(ctx, create=created)
    with _progress(file, stdin) as progress:
        # new_file: a failed import leaves no empty database behind
        summary = run(store, file, fmt, create_missing=create_missing, progress=progress,
                      stream=sys.stdin.buffer if stdin else None, new_file=created)
    if created:
        say(f"Created {path}.")
    for note in summary.notes:
        say(f"Note: {note}")
    import attrs

    # added (sources, claims, stances), already there (*_present), made by --create-missing (*_created)
    print_changed(summary.line("standard input" if stdin else str(file)), attrs.asdict(summary), json_)


@command(app, "export")
def export(
    ctx: typer.Context,
    format: Annotated[Optional[str], typer.Option(
        "--format", "-f", metavar="FORMAT",
        help="json: the whole database as one document; jsonl: one record per line; csv: every stance, "
        "as the CSV import reads it; claimreview: schema.org ClaimReview of every ruled claim "
        "(default: from the --output extension, else json).", show_default=False)] = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", metavar="FILE", help="Write to this file instead of stdout.", show_default=False)] = None,
    publisher: Annotated[Optional[str], typer.Option(
        "--publisher", metavar="NAME", envvar="VERITY_PUBLISHER", show_envvar=False,
        help="ClaimReview: the organisation publishing the reviews (or $VERITY_PUBLISHER; default: the desk, "
        "$VERITY_DESK, else verity).",
        show_default=False)] = None,
    url: Annotated[Optional[str], typer.Option(
        "--url", metavar="TEMPLATE", help="ClaimReview: each review's page, {key} standing for the claim key.",
        show_default=False)] = None,
) -> None:
    """Export the database: everything as JSON or JSONL, the stances as CSV, or rulings as ClaimReview.

    The format comes from --output's extension (.json, .jsonl, .csv, .jsonld) when
    --format does not name it. A JSON or JSONL export imported into an empty database
    gives the same export back; a CSV export, imported into a database with the same
    sources and claims, the same stances. ClaimReview publishes one review per claim
    with a ruling.

    Example: verity export --output case.jsonl
    """
    from ..importer import EXTENSIONS, readable_as
    from ..models import check_choice
    from .common import warn

    named = EXTENSIONS.get(output.suffix.lower()) if output is not None else None
    if format is not None:
        format = format.strip().lower()
        check_choice("export format", EXPORT_FORMATS, format, "format")
        if named is not None and not readable_as(named, format):
            warn(f"writing {format} to {output}, whose extension says {named}; "
                 f"import it with --format {format}, or name it {_EXTENSION[format]}")
    elif output is not None and named is None:
        raise InvalidValue(f"cannot tell the export format from {output}'s extension; name it .json, .jsonl, "
                           f".csv or .jsonld, or give --format {'|'.join(EXPORT_FORMATS)}")
    else:
        format = named or "json"
    if output is not None:
        from .output import check_writable

        check_writable(output, protect=[db_path(ctx)], what="export", example="export.json")
    store = open_store(ctx)
    if format == "claimreview":
        import json

        from ..claimreview import export_reviews

        reviews, notes = export_reviews(store, publisher, url)
        # ClaimReview is published inside a page's <script type="application/ld+json">: a claim
        # text holding "</script>" would end that element there. Escaped, the JSON is the same.
        text = json.dumps(reviews, indent=2, ensure_ascii=False)
        text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
        with _output(output, db_path(ctx)) as out:
            out.write(text + "\n")
        for note in notes:
            say(f"Note: {note}")
        if output is not None:
            say(f"Wrote {counted(len(reviews), 'ClaimReview')} to {output}.")
        return
    if format == "csv":
        from ..csvio import write_csv

        with _output(output, db_path(ctx)) as out:
            counts = write_csv(store, out)
        if output is not None:
            say(f"Wrote {counted(counts['stances'], 'stance')} to {output}.")
        return
    from ..formats import write_document, write_jsonl

    writer = write_document if format == "json" else write_jsonl
    with _output(output, db_path(ctx)) as out:
        counts = writer(store, out)
    if output is not None:
        say(f"Wrote {counted(counts['sources'], 'source')}, {counted(counts['claims'], 'claim')}, "
            f"{counted(counts['stances'], 'stance')} to {output}.")


@command(app, "merge")
def merge(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(
        metavar="FILE", help="Another desk's verity database, or its export (.json or .jsonl, version 2).",
        show_default=False)],
    json_: JsonRecordFlag = False,
) -> None:
    """Merge another desk's database or export into this one: every record it lacks, in one transaction.

    Records are matched by uid (records without one by source name or alias and claim
    key). Nothing is deleted and no stance is edited. What the merge had to resolve —
    a field edited on both desks, one name given to two sources created apart, one key
    given to two different claims, merges that cross — is listed after the line of what
    was added, each with the command that would resolve it otherwise. Merging a file
    twice, or into itself, adds nothing. With --json, prints what was added and the
    resolutions.

    Example: verity --db desk-a.db merge desk-b.db
    """
    from ..importer.desks import merge_file

    path = Path(db_path(ctx))
    created = not path.exists()
    store = open_store(ctx, create=True)
    outcome = merge_file(store, file, new_file=created)
    if created:
        say(f"Created {path}.")
    import attrs

    record = attrs.asdict(outcome)
    record["added"] = outcome.added
    if json_:
        print_changed("", record, True)
        return
    say(outcome.line(str(file)))
    for resolution in outcome.resolutions:  # each one line, whatever a desk's file put in it
        say(f"Resolved: {visible(resolution.text)}")
        if resolution.command:
            say(f"  to change it: {visible(resolution.command)}")


@contextlib.contextmanager
def _output(path: Optional[Path], database: str) -> Iterator[TextIO]:
    """stdout, or a file that appears whole or not at all (written aside, then renamed),
    never the open `database` nor the files SQLite keeps beside it."""
    if path is None:
        from .output import on_screen

        yield on_screen(sys.stdout)
        return
    from .output import written_atomically

    with written_atomically(path, protect=[database], what="export", example="export.json") as out:
        yield out


@contextlib.contextmanager
def _progress(file: Path, stdin: bool) -> Iterator[Optional[Callable[[int], None]]]:
    """A progress bar on stderr for a long import, when stderr is a terminal."""
    size = 0
    if not stdin:
        with contextlib.suppress(OSError):
            size = file.stat().st_size
    if size < PROGRESS_MIN_BYTES or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from ..names import visible

    columns = (TextColumn("Importing {task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    # Drawn as the import tells it, not by a thread of rich's own: a process running no other
    # thread may read a large file ahead in a second process (verity.importer.ahead).
    with Progress(*columns, console=Console(stderr=True), transient=True, auto_refresh=False) as bar:
        task = bar.add_task(escape(visible(file.name)), total=size)  # shown as written, never as markup
        drawn = time.monotonic()

        def told(done: int) -> None:
            nonlocal drawn
            bar.update(task, completed=done)
            if time.monotonic() - drawn >= REDRAW_SECONDS or done >= size:
                bar.refresh()
                drawn = time.monotonic()

        yield told
