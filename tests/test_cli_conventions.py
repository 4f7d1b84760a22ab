"""What every command shares (docs/cli.md, "Conventions"), through the real CLI:
--version, shell completion, what adds print, --json on every write, colour on a
terminal only, and help that names arguments and options the same way everywhere."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from importlib.metadata import version

import pytest
import typer

from verity import migrations, uids
from verity.cli import app


@pytest.fixture
def desk(cli):
    assert cli("init").exit_code == 0
    return cli


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout == f"verity, version {version('verity')}\n"


def test_shell_completion_as_typer_documents_it(cli, tmp_path, monkeypatch):
    # As typer's own tests do: the shell is given, not guessed from the parent processes,
    # which a test run in the background (CI, nohup) may not show as bash.
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    shown = cli("--show-completion", "bash")
    assert shown.exit_code == 0
    assert "_VERITY_COMPLETE=complete_bash" in shown.stdout
    monkeypatch.setenv("HOME", str(tmp_path))
    installed = cli("--install-completion", "bash")
    assert installed.exit_code == 0, installed.output
    assert "bash completion installed in" in installed.stdout
    assert "_VERITY_COMPLETE" in (tmp_path / ".bash_completions" / "verity.sh").read_text()
    assert ".bash_completions/verity.sh" in (tmp_path / ".bashrc").read_text()


def test_completion_completes_commands(tmp_path):
    env = {**os.environ, "_VERITY_COMPLETE": "complete_bash", "COMP_WORDS": "verity sta", "COMP_CWORD": "1"}
    result = subprocess.run([sys.executable, "-m", "verity"], capture_output=True, text=True, env=env)
    assert result.stdout.split() == ["stance"]


def test_every_add_prints_its_key_or_id_alone_and_a_sentence_on_stderr(desk):
    source = desk("source", "add", "Dmitry Peskov", "--affiliation", "Kremlin")
    assert (source.exit_code, source.stdout, source.stderr) == (0, "1\n", "Added source 'Dmitry Peskov' (id 1).\n")
    claim = desk("claim", "add", "Russia will not escalate", "--key", "no-escalation")
    assert (claim.stdout, claim.stderr) == ("no-escalation\n", "Added claim 'no-escalation' (id 1).\n")
    stance = desk("stance", "add", "no-escalation", "1", "affirms")
    assert (stance.stdout, stance.stderr) == ("1\n", "Logged stance 1: Dmitry Peskov affirms no-escalation.\n")


def test_json_on_every_write_is_the_record_as_its_listing_or_show_gives_it(desk):
    source = desk("source", "add", "Dmitry Peskov", "--reliability", "d", "--json")
    assert source.stderr == ""
    listed = json.loads(desk("source", "list", "--json").stdout)[0]
    assert json.loads(source.stdout) == listed and uids.is_uid(listed.pop("uid"))
    assert listed == {
        "id": 1, "name": "Dmitry Peskov", "kind": None, "affiliation": None, "reliability": "D",
        "url": None, "note": None, "desk": None, "stances": 0, "track_record": {"right": 0, "wrong": 0}}

    claim = json.loads(desk("claim", "add", "Russia will not escalate", "--tag", "russia", "--json").stdout)
    assert claim == json.loads(desk("claim", "show", "1", "--json").stdout)
    assert claim["key"] == "russia-will-not-escalate" and claim["reconciliation"]["verdict"] == "unverified"

    stance = desk("stance", "add", "1", "Dmitry Peskov", "denies", "--note", "by phone", "--json")
    record = json.loads(stance.stdout)
    assert record == json.loads(desk("stance", "list", "--json").stdout)[0]
    assert record["logged_by"] == "tester" and record["note"] == "by phone" and record["status"] == "counted"

    ruled = json.loads(desk("claim", "rule", "1", "false", "--explanation", "it did", "--json").stdout)
    assert ruled == json.loads(desk("claim", "show", "1", "--json").stdout)
    assert (ruled["ruling"], ruled["ruling_explanation"]) == ("false", "it did")

    retracted = json.loads(desk("stance", "retract", "1", "--reason", "wrong call", "--json").stdout)
    assert retracted["status"] == "retracted" and retracted["retracted"]["reason"] == "wrong call"
    assert retracted == json.loads(desk("stance", "list", "--retracted", "--json").stdout)[0]


def test_init_json(cli, tmp_path):
    made = cli("--db", tmp_path / "new.db", "init", "--json")
    assert json.loads(made.stdout) == {"database": str(tmp_path / "new.db"), "schema_version": len(migrations.MIGRATIONS), "created": True}
    again = cli("--db", tmp_path / "new.db", "init", "--json")
    assert json.loads(again.stdout)["created"] is False


def command_paths(command, path=()):
    paths = [path]
    if hasattr(command, "list_commands"):
        ctx = typer.Context(command)
        for name in command.list_commands(ctx):
            paths += command_paths(command.get_command(ctx, name), path + (name,))
    return paths


ROOT_COMMAND = typer.main.get_command(app)
PATHS = command_paths(ROOT_COMMAND)
# The names the help gives the values options take, the same for the same thing everywhere.
METAVARS = {"CLAIM", "SOURCE", "POSITION", "RULING", "VERDICT", "FILE", "PATH", "DATE", "N", "TEXT", "URL",
            "KEY", "TAG", "SUBJECT", "KIND", "BODY", "A-F", "OUTLET", "USER", "FORMAT", "NAME", "TEMPLATE",
            "ADDRESS", "QUESTION", "ALIAS", "DUPLICATE"}


def resolve(path):
    command, ctx = ROOT_COMMAND, typer.Context(ROOT_COMMAND)
    for name in path:
        command = command.get_command(ctx, name)
        ctx = typer.Context(command, parent=ctx)
    return command


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) or "verity" for p in PATHS])
def test_help_names_every_value_the_same_way(cli, path):
    result = cli(*path, "--help")
    assert result.exit_code == 0
    assert not re.search(r"<\w+>|\{[A-Z_]+\}", result.stdout), result.stdout  # no <str>, <path>, {CLAIM}
    if "Commands:" in result.stdout:  # each command's description whole, never cut short
        listed = result.stdout.split("Commands:")[1]
        assert "…" not in listed and "..." not in listed
    for param in resolve(path).params:
        if param.param_type_name == "option" and not param.is_flag and param.name not in (
                "install_completion", "show_completion"):
            assert param.metavar in METAVARS, (path, param.name, param.metavar)
        if param.param_type_name == "argument":
            assert param.metavar and param.metavar.isupper(), (path, param.name)


def run_on_a_terminal(args, env=None) -> str:
    """Run verity with its stdout on a pseudo-terminal, as a person at a terminal would."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.run([sys.executable, "-m", "verity", *args], stdout=follower,
                                 stderr=subprocess.PIPE, env={**os.environ, **(env or {})}, timeout=60)
        os.close(follower)
        follower = None
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal is closed once everything is read
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.returncode == 0, process.stderr
        return b"".join(chunks).decode()
    finally:
        if follower is not None:
            os.close(follower)
        os.close(leader)


def test_colour_on_a_terminal_only(balti_db, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("COLORTERM", raising=False)
    on_terminal = run_on_a_terminal(["--db", str(balti_db), "claim", "list", "--verdict", "contested"],
                                    env={"TERM": "xterm-256color"})
    # contested as Datasette's label shows it: amber (#fde7b0) behind brown (#7a4a00) text
    assert "\033[48;5;223m\033[38;5;94mcontested\033[0m" in on_terminal
    truecolour = run_on_a_terminal(["--db", str(balti_db), "claim", "show", "balti-was-killed"],
                                   env={"TERM": "xterm-256color", "COLORTERM": "truecolor"})
    assert "\033[48;2;253;231;176m\033[38;2;122;74;0mcontested\033[0m" in truecolour
    assert "\033[48;2;249;208;204m\033[38;2;127;16;16mdenies\033[0m" in truecolour
    plain = run_on_a_terminal(["--db", str(balti_db), "claim", "list"], env={"TERM": "xterm", "NO_COLOR": "1"})
    assert "\033[" not in plain and "contested" in plain
    piped = subprocess.run([sys.executable, "-m", "verity", "--db", str(balti_db), "claim", "list"],
                           capture_output=True, text=True, env={**os.environ, "TERM": "xterm"})
    assert "\033[" not in piped.stdout and "contested" in piped.stdout


def test_coloured_tables_stay_aligned(balti_db, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    coloured = run_on_a_terminal(["--db", str(balti_db), "reconcile"], env={"TERM": "xterm", "COLUMNS": "200"})
    plain = run_on_a_terminal(["--db", str(balti_db), "reconcile"], env={"NO_COLOR": "1", "COLUMNS": "200"})
    assert re.sub(r"\033\[[0-9;]*m", "", coloured) == plain


def test_a_quick_command_imports_nothing_it_does_not_need(balti_db):
    """What keeps `verity stance add` starting as fast as its peer (docs/performance.md): no
    Datasette, Jinja, rich or pydantic (which typer 0.29 would import to convert values)."""
    code = ("import sys\n"
            f"sys.argv = ['verity', '--db', {str(balti_db)!r}, 'stance', 'add', 'balti-was-killed', '1', 'neutral', "
            "'--said-on', '2022-01-20']\n"
            "from verity.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(' '.join(sorted(sys.modules)))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stderr.startswith("Logged stance 34"), result.stderr
    loaded = {name.split(".")[0] for name in result.stdout.split()[1:]}
    assert not loaded & {"pydantic", "rich", "datasette", "jinja2", "sqlite_utils"}


def test_every_command_a_module_defines_is_reachable():
    """A top-level command is found through verity.cli.COMMANDS: one a module adds is listed there."""
    import importlib

    from verity.cli import COMMANDS, GROUPS

    for module_name in set(COMMANDS.values()) - GROUPS:
        module = importlib.import_module(f"verity.cli.{module_name}")
        defined = {info.name for info in module.app.registered_commands}
        assert defined <= {name for name, where in COMMANDS.items() if where == module_name}, module_name
