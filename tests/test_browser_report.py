"""The HTML report in a real headless Chromium: what a reader sees, and that nothing runs.

Needs Debian's Chromium at /usr/bin/chromium (`.ci/run` installs it). Without it
the tests skip on a workstation and fail in CI (CI=true), where a skipped
browser test would hide a broken report.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from verity.importer import import_records
from verity.models import Claim, Source, Stance
from verity.store import Store

pytestmark = pytest.mark.slow  # a real browser: left out of the quick run

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
AFFIRMS_RGB = "rgb(33, 102, 172)"  # --affirms in the report's style
DENIES_RGB = "rgb(178, 24, 43)"  # --denies


def _missing(why: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why}; CI must run the browser tests (.ci/run installs chromium)")
    pytest.skip(why)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        _missing(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_report(browser, path: Path):
    """A page showing the report, recording every request, console error and dialog."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen = {"requests": [], "errors": [], "dialogs": []}
    page.on("request", lambda request: seen["requests"].append(request.url))
    page.on("console", lambda message: message.type == "error" and seen["errors"].append(message.text))
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))

    def dismiss(dialog):
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.goto(path.as_uri())
    return page, seen


def write_html(cli, db: Path, target: Path) -> Path:
    result = cli("--db", db, "report", "--format", "html", "--output", target)
    assert result.exit_code == 0, result.stderr
    return target


def test_a_reader_sees_the_matrix_a_contested_claim_and_the_legend(cli, browser, balti_db, tmp_path):
    from playwright.sync_api import expect

    page, seen = open_report(browser, write_html(cli, balti_db, tmp_path / "balti.html"))
    try:
        expect(page).to_have_title("Contradiction report")
        expect(page.get_by_role("heading", name="Summary")).to_be_visible()

        matrix = page.get_by_role("table", name="Stance matrix")
        expect(matrix).to_be_visible()
        expect(matrix.locator("tbody tr")).to_have_count(17)
        row = matrix.locator("tbody tr", has=page.get_by_role("link", name="balti-was-killed", exact=True))
        official = row.locator('td[title="Pakistani senior security official: affirms"]')
        expect(official).to_have_text("✔")
        expect(official).to_have_css("background-color", AFFIRMS_RGB)
        expect(row.locator('td[title="Afghan government spokesperson Bilal Karimi: denies"]')).to_have_css(
            "background-color", DENIES_RGB)

        legend = page.get_by_role("list", name="Legend")
        expect(legend).to_be_visible()
        for text in ["✔ affirms", "◐ partially affirms", "○ neutral", "◑ partially denies", "✘ denies", "no stance"]:
            expect(legend).to_contain_text(text)

        # Following the matrix link brings the contested claim into view.
        row.get_by_role("link", name="balti-was-killed", exact=True).click()
        claim = page.locator("#claim-balti-was-killed")
        expect(claim).to_be_in_viewport()
        expect(claim.locator(".claim-head")).to_contain_text("contested")
        expect(claim).to_contain_text("Mufti Khalid Balti alias Mohammad Khurasani was killed in January 2022")
        expect(claim).to_contain_text("Affirming · 3 sources, 2 independent origins")
        expect(claim.locator(".timeline .pt")).to_have_count(4)

        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 50_000
        assert page.locator("script").count() == 0
        assert all(url.startswith("file://") for url in seen["requests"]), seen["requests"]
        assert seen["errors"] == [] and seen["dialogs"] == []
    finally:
        page.close()


def test_the_report_prints(cli, browser, balti_db, tmp_path):
    from playwright.sync_api import expect

    page, seen = open_report(browser, write_html(cli, balti_db, tmp_path / "balti.html"))
    try:
        page.emulate_media(media="print")
        expect(page.get_by_role("navigation", name="Contents")).to_be_hidden()
        matrix = page.get_by_role("table", name="Stance matrix")
        expect(matrix.locator("tbody tr").last).to_be_visible()
        pdf = page.pdf(path=str(tmp_path / "balti.pdf"), format="A4")
        assert pdf.startswith(b"%PDF") and len(pdf) > 50_000
        assert seen["errors"] == []
    finally:
        page.close()


def test_hostile_values_show_as_text_and_run_nothing(cli, browser, db_path, tmp_path):
    from playwright.sync_api import expect

    with Store.create(db_path) as store:
        import_records(
            store,
            sources=[Source(name="<script>alert(1)</script>"), Source(name="Wire service")],
            claims=[Claim(text="The <b>dam</b> broke", key="dam-broke")],
            stances=[
                Stance(claim="dam-broke", source="<script>alert(1)</script>", position="denies",
                       quote="<img src=x onerror=alert(1)>", url="javascript:alert(1)"),
                Stance(claim="dam-broke", source="Wire service", position="affirms",
                       quote='"><svg onload=alert(1)>'),
            ],
        )
    page, seen = open_report(browser, write_html(cli, db_path, tmp_path / "hostile.html"))
    try:
        claim = page.locator("#claim-dam-broke")
        expect(claim).to_contain_text("<script>alert(1)</script>")
        expect(claim).to_contain_text("<img src=x onerror=alert(1)>")
        expect(claim).to_contain_text('"><svg onload=alert(1)>')
        expect(claim.locator(".claim-text")).to_have_text("The <b>dam</b> broke")
        expect(claim).to_contain_text("javascript:alert(1)")
        assert page.locator("script, img, svg, b").count() == 0
        assert page.locator('a[href^="javascript"]').count() == 0
        # The load event comes after every image has loaded or failed, so any onerror or
        # onload handler would have fired by then: nothing is left to wait for.
        page.wait_for_load_state("load")
        assert seen["dialogs"] == []
        assert seen["errors"] == []
    finally:
        page.close()
