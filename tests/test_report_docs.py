"""docs/ shows the real Balti report: the markdown and the screenshot's HTML match a fresh run."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys

from support import ROOT


def test_report_docs_are_current():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "report_docs.py"), "--check"],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_the_balti_markdown_in_docs_is_what_verity_report_prints(cli, balti_db):
    result = cli("--db", balti_db, "report")
    assert result.exit_code == 0
    assert result.stdout == (ROOT / "docs" / "balti-report.md").read_text(encoding="utf-8")


def test_the_screenshot_was_taken_of_the_current_html_report(cli, balti_db):
    result = cli("--db", balti_db, "report", "--format", "html")
    recorded = (ROOT / "docs" / "report.png.sha256").read_text().split()[0]
    assert hashlib.sha256(result.stdout.encode("utf-8")).hexdigest() == recorded
    assert (ROOT / "docs" / "report.png").read_bytes().startswith(b"\x89PNG")


def test_report_doc_links_the_balti_report_and_screenshot_and_the_command():
    text = (ROOT / "docs" / "report.md").read_text(encoding="utf-8")
    assert "(balti-report.md)" in text and "(report.png)" in text
    assert re.search(r"```sh\npython scripts/report_docs.py\n```", text)
