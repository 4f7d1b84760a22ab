"""verity's command line: a thin typer skin over the core library.

Commands open the store, make one call, and print. Errors a user can cause are
`VerityError`s: one line on stderr and exit 1 (a traceback with VERITY_DEBUG=1).
"""

import errno
import importlib
import os
import signal
import sqlite3
import sys
from typing import Annotated, Optional

import typer

from ..errors import VerityError
from ..names import visible_lines
from .commands import VerityGroup

# Each command, and the module it is in. A module is imported, and typer builds its
# commands, only when one of them is run or listed (as click's documentation shows for
# large command lines): `verity stance add` builds the stance commands and no others.
COMMANDS = {
    "init": "database", "reconcile": "database", "assess": "assess", "import": "io", "export": "io",
    "merge": "io", "report": "report", "browse": "browse", "datasette-metadata": "browse", "source": "source",
    "claim": "claim", "question": "question", "stance": "stance", "log": "history",
}
GROUPS = frozenset({"source", "claim", "stance", "question"})  # a module that is a command group of that name
# What writing to stdout (every other file is --output's, and says its own errors) fails with.
_OUTPUT_FAILED = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EPIPE})


class VerityApp(VerityGroup):
    """verity itself: finds each command when it is asked for, and turns the errors a
    user can cause into one line on stderr."""

    def list_commands(self, ctx) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx, name: str):
        if name not in COMMANDS:
            return None
        if name not in self.commands:
            module = importlib.import_module(f"{__name__}.{COMMANDS[name]}")
            built = typer.main.get_command(module.app)
            if name not in GROUPS and isinstance(built, VerityGroup):  # a module of several commands
                built = built.commands[name]
            built.name = name
            self.commands[name] = built
        return self.commands[name]

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except VerityError as exc:
            if os.environ.get("VERITY_DEBUG"):
                raise
            typer.echo(f"Error: {visible_lines(str(exc))}", err=True)  # no control character of the input
            raise typer.Exit(exc.exit_code) from None
        except UnicodeEncodeError as exc:  # half a character (a lone surrogate) met SQLite or a file
            if os.environ.get("VERITY_DEBUG"):
                raise
            bad = exc.object[exc.start:exc.end] if isinstance(exc.object, str) else ""
            typer.echo(f"Error: {bad!r} is half of a character, not text (from an argument or file that is not "
                       "UTF-8); fix its encoding", err=True)
            raise typer.Exit(1) from None
        except OSError as exc:  # stdout could not take the output: a full disk, or its reader gone
            if exc.errno not in _OUTPUT_FAILED or os.environ.get("VERITY_DEBUG"):
                raise
            from .output import silence_stdout

            silence_stdout()
            if exc.errno == errno.EPIPE:  # `verity stance list | head`: the reader has what it wanted
                return None
            # A write before it stands (a stance logged is logged): only what it printed is lost.
            typer.echo(f"Error: cannot write the output: {exc.strerror} (any change the command made to the "
                       "database stands); make room, or send the output elsewhere", err=True)
            raise typer.Exit(1) from None
        except sqlite3.DatabaseError as exc:  # a read that met a damaged or locked file
            from ..store import database_problem
            from .common import db_path

            problem = database_problem(db_path(ctx), exc)
            if problem is None or os.environ.get("VERITY_DEBUG"):
                raise
            typer.echo(f"Error: {visible_lines(str(problem))}", err=True)
            raise typer.Exit(problem.exit_code) from None
        except Exception as exc:  # noqa: BLE001 (re-raised unless a usage error)
            # click's usage errors (an unknown option, a missing argument, a number that is not
            # one) are bad input like any other: one line, with where to find the usage.
            if not _usage_error(exc) or os.environ.get("VERITY_DEBUG"):
                raise
            where = exc.ctx.command_path if getattr(exc, "ctx", None) is not None else "verity"
            typer.echo(f"Error: {visible_lines(exc.format_message()).rstrip('.')}; see '{where} -h'", err=True)
            raise typer.Exit(exc.exit_code) from None


def _usage_error(exc: BaseException) -> bool:
    """Whether `exc` is click's UsageError (whichever click typer carries)."""
    return any(cls.__name__ == "UsageError" for cls in type(exc).__mro__) and hasattr(exc, "format_message")


app = typer.Typer(
    cls=VerityApp,
    name="verity",
    help="Track claims, the sources that speak to them, and where those sources contradict each other.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help, as sqlite-utils, llm, gh and git print it (commands.py)
    context_settings={"help_option_names": ["-h", "--help"]},
)


def show_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"verity, version {version('verity')}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[
        Optional[str],
        typer.Option(
            "--db",
            envvar="VERITY_DB",
            metavar="PATH",
            help="The database file (default ./claims.db, or $VERITY_DB).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=show_version, is_eager=True, help="Show verity's version and exit."),
    ] = False,
) -> None:
    """Track claims, the sources that speak to them, and where those sources contradict each other.

    Example: verity --db balti.db reconcile --json
    """
    source = ctx.get_parameter_source("db")
    ctx.obj = {"db": db, "db_given": "--db" if source is not None and source.name == "COMMANDLINE" else "VERITY_DB"}




def main() -> None:
    _stop_cleanly_on(signal.SIGTERM, getattr(signal, "SIGHUP", None))
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupted)
    app(prog_name="verity")


def quiet_while_stopping() -> None:
    """Stopping midway leaves generators over the database to be finalised after it is closed:
    each would print 'Exception ignored in ...' with a traceback, about nothing the user did."""
    sys.unraisablehook = lambda _unraisable: None


def _interrupted(_signum, _frame):
    quiet_while_stopping()
    raise KeyboardInterrupt


def _stop_cleanly_on(*signals) -> None:
    """A `kill`, a `timeout` or a closed terminal stops verity as Ctrl-C does: by an exception,
    so that what it was writing is rolled back or removed (an --output's partial file, a new
    file's import) instead of left behind. A signal the caller chose to ignore (nohup) stays
    ignored."""
    def stop(signum, _frame):
        quiet_while_stopping()
        raise SystemExit(128 + signum)

    for sig in signals:
        if sig is not None and signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, stop)
