"""The docs tell the truth: the CLI reference and every example's output match the code."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from support import ROOT


def run_script(name, *args):
    return subprocess.run([sys.executable, str(ROOT / "scripts" / name), *args],
                          capture_output=True, text=True, cwd=ROOT)


def test_cli_reference_is_current():
    result = run_script("cli_reference.py", "--check")
    assert result.returncode == 0, result.stderr


def test_every_command_is_in_the_reference():
    reference = (ROOT / "docs" / "cli.md").read_text()
    for command in ["init", "source add", "source list", "claim add", "claim list", "claim show",
                    "claim rule", "stance add", "stance list", "stance retract", "reconcile", "report",
                    "browse", "import", "export"]:
        assert f"## verity {command}\n" in reference


@pytest.mark.parametrize("command", [[], ["stance", "add"]])
def test_the_reference_is_what_verity_help_prints_in_a_terminal(command):
    """The reference is the real --help of the installed command, as a wide terminal shows it."""
    reference = (ROOT / "docs" / "cli.md").read_text()
    title = " ".join(["verity", *command])
    shown = reference.split(f"## {title}\n\n```\n", 1)[1].split("\n```\n", 1)[0]
    env = {**os.environ, "COLUMNS": "100"}
    real = subprocess.run([sys.executable, "-m", "verity", *command, "--help"], capture_output=True, text=True,
                          env=env)
    assert real.returncode == 0
    assert real.stdout.rstrip() == shown


def test_doc_examples_show_real_output():
    result = run_script("doc_examples.py", "--check")
    assert result.returncode == 0, result.stderr


def test_readme_quick_start_has_the_two_commands_ci_runs():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.+?)\n```", quick_start)
    assert len(commands) == 2
    assert "verity" in commands[0] and "claims.db" in commands[0]
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1] in ci
