"""Write docs/cli.md from verity's own --help, or check that it is current.

    python scripts/cli_reference.py          # rewrite docs/cli.md
    python scripts/cli_reference.py --check  # exit 1 if docs/cli.md has drifted
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Plain (not boxed) help text of a fixed width, so the reference is stable.
os.environ["TYPER_USE_RICH"] = "0"
os.environ["COLUMNS"] = "100"

import typer  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from verity.cli import app  # noqa: E402

TARGET = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def command_paths(command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group, depth first, in the order --help lists them."""
    paths = [path]
    if hasattr(command, "list_commands"):  # a group (typer bundles its own click)
        ctx = typer.Context(command)
        for name in command.list_commands(ctx):
            paths += command_paths(command.get_command(ctx, name), path + (name,))
    return paths


def render() -> str:
    runner = CliRunner()
    root = typer.main.get_command(app)
    parts = [
        "# Command-line reference",
        "",
        "Generated from `verity --help` by `python scripts/cli_reference.py`;",
        "`tests/test_docs.py` fails when this file drifts from the code.",
        "",
    ]
    for path in command_paths(root):
        result = runner.invoke(app, [*path, "--help"], prog_name="verity", terminal_width=100)
        if result.exit_code != 0:
            raise SystemExit(f"verity {' '.join(path)} --help failed: {result.output}")
        title = " ".join(("verity",) + path)
        parts += [f"## {title}", "", "```", result.output.rstrip(), "```", ""]
    return "\n".join(parts)


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET} is out of date; run: python scripts/cli_reference.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
