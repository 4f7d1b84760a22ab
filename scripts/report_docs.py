"""Write the Balti report shown in docs/ from claims.db, or check that it is current.

    python scripts/report_docs.py          # rewrite docs/balti-report.md, docs/report.png (+ .sha256)
    python scripts/report_docs.py --check  # exit 1 if either is stale (no browser needed)

The markdown is `verity report` of claims.db. The screenshot is of
`verity report --format html` in headless Chromium (/usr/bin/chromium, as in the
browser tests); PNG bytes differ between machines, so the check compares the
SHA-256 of the HTML the screenshot was made from, recorded in docs/report.png.sha256.
Both run on a temporary copy of claims.db, so the committed file is never touched.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE = ROOT / "claims.db"
MARKDOWN = ROOT / "docs" / "balti-report.md"
SCREENSHOT = ROOT / "docs" / "report.png"
SCREENSHOT_HASH = ROOT / "docs" / "report.png.sha256"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def render(fmt: str) -> str:
    """The report of (a copy of) claims.db, exactly as `verity report --format FMT` writes it."""
    from verity.reports import Report
    from verity.store import Store

    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "claims.db"
        shutil.copy(DATABASE, copy)
        with Store.open(copy) as store:
            return "".join(Report(store).render(fmt))


def html_hash(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def hash_line(html: str) -> str:
    return f"{html_hash(html)}  HTML report of claims.db shown in report.png\n"


def screenshot(html: str, target: Path) -> None:
    """The report's header, summary and stance matrix, as a reader first sees them."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        page_file = Path(folder) / "report.html"
        page_file.write_text(html, encoding="utf-8")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1200, "height": 900})
                page.goto(page_file.as_uri())
                matrix = page.locator("#matrix").bounding_box()
                page.screenshot(path=str(target), full_page=True,
                                clip={"x": 0, "y": 0, "width": 1200, "height": matrix["y"] + matrix["height"] + 24})
            finally:
                browser.close()


def main() -> int:
    markdown, html = render("markdown"), render("html")
    stale = []
    if not MARKDOWN.exists() or MARKDOWN.read_text(encoding="utf-8") != markdown:
        stale.append(MARKDOWN)
    if not SCREENSHOT.exists() or not SCREENSHOT_HASH.exists() or SCREENSHOT_HASH.read_text() != hash_line(html):
        stale.append(SCREENSHOT)
    if "--check" in sys.argv:
        if stale:
            names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
            print(f"{names} out of date with claims.db and the report code; run: python scripts/report_docs.py",
                  file=sys.stderr)
            return 1
        return 0
    MARKDOWN.write_text(markdown, encoding="utf-8")
    screenshot(html, SCREENSHOT)
    SCREENSHOT_HASH.write_text(hash_line(html), encoding="utf-8")
    for path in (MARKDOWN, SCREENSHOT, SCREENSHOT_HASH):
        print(f"wrote {path.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
