"""`verity browse` as a fact-checker uses it: a real server and headless Chromium.

Needs Debian's Chromium at /usr/bin/chromium (`.ci/run` installs it), driven by
Playwright without downloading a browser. Without it the browser test skips on a
workstation and fails in CI (CI=true). Every server started here is stopped by
its PID. Run as a script to retake the screenshot in the docs:

    python tests/test_browser_datasette.py docs/browse.png
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a real browser and a real server: left out of the quick run

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
CONTESTED_BACKGROUND = "rgb(253, 231, 176)"  # contested's label in verity.palette
DENIES_BACKGROUND = "rgb(249, 208, 204)"


def _missing(why: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why}; CI must run the browser tests (.ci/run installs chromium)")
    pytest.skip(why)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(server: subprocess.Popen) -> None:
    """Stop a server we started, by its PID: politely, then for sure."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextmanager
def verity_browse(db: Path, port: int):
    """`verity --db DB browse --port PORT` running until the block ends; yields (url, process)."""
    env = {**os.environ, "VERITY_DEBUG": ""}
    server = subprocess.Popen(
        [sys.executable, "-m", "verity", "--db", str(db), "browse", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                pytest.fail(f"verity browse exited {server.returncode}: {server.stderr.read()}")
            # Ready when it answers: the port takes connections as soon as it is bound, before
            # Datasette has started (they wait in the queue until it has).
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/versions.json", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("verity browse did not answer within 30 seconds")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", server
    finally:
        stop(server)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def contested_claims_mentioning(page, url: str, words: str) -> None:
    """Open the claims reconciliation, click the `contested` facet, search for `words`."""
    page.goto(f"{url}/balti/claim_verdicts")
    page.locator("#facet-verdict").get_by_role("link", name="contested", exact=True).click()
    page.wait_for_url("**verdict=contested**")
    page.fill("#_search", words)
    page.press("#_search", "Enter")
    page.wait_for_url("**_search=**")


def test_a_fact_checker_finds_the_contested_claims_that_mention_an_incident(balti_db, tmp_path, cli):
    if not Path(CHROMIUM).exists():
        _missing(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _missing("playwright is not installed: pip install -e '.[test]'")

    before = sha256(balti_db)
    with verity_browse(balti_db, free_port()) as (url, server), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/balti/claim_verdicts")
            expect(page.locator("h1")).to_have_text("Claims reconciliation (view)")
            expect(page.locator("h3").first).to_contain_text("17 rows")

            contested_claims_mentioning(page, url, "incident")
            expect(page.locator("h3").first).to_contain_text('2 rows where search matches "incident" and verdict = "contested"')
            keys = page.locator("table.rows-and-columns td.col-key")
            expect(keys).to_have_text(["balti-was-killed", "balti-killed-in-nangarhar"])
            verdict = page.locator("td.col-verdict .verity-label").first
            expect(verdict).to_have_text("contested")
            assert verdict.evaluate("e => getComputedStyle(e).backgroundColor") == CONTESTED_BACKGROUND
            expect(page.locator("td.col-ruling .verity-label")).to_have_text(["mostly-true", "unproven"])
            expect(page.get_by_text("Tahir Khan").first).to_be_visible()
            page.screenshot(path=tmp_path / "browse.png", full_page=True)
            assert (tmp_path / "browse.png").stat().st_size > 10_000

            # Browsing wrote nothing; verity writing while we browse shows on reload.
            assert sha256(balti_db) == before
            result = cli("--db", balti_db, "stance", "retract", "4", "--reason", "withdrawn by the spokesperson")
            assert result.exit_code == 0, result.stderr
            page.reload()
            expect(keys).to_have_text(["balti-killed-in-nangarhar"])

            # The claim's key leads to the claim's own page.
            page.get_by_role("link", name="balti-killed-in-nangarhar").click()
            expect(page.locator("h1")).to_contain_text("claims")
            expect(page.locator(".verity-claim-text")).to_have_text(
                "Mufti Khalid Balti was killed in Nangarhar province, Afghanistan")
        finally:
            browser.close()
    assert server.returncode is not None


def test_a_claims_own_page_shows_where_its_sources_stand_and_every_stance(balti_db):
    if not Path(CHROMIUM).exists():
        _missing(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _missing("playwright is not installed: pip install -e '.[test]'")

    with verity_browse(balti_db, free_port()) as (url, _server), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            # From the contradictions, a fact-checker follows a claim to its page.
            page.goto(f"{url}/balti/contradictions")
            page.get_by_role("link", name="balti-was-current-ttp-spokesman").first.click()
            page.wait_for_url("**/balti/claims/5")
            claim = page.locator("section.verity-claim")
            expect(claim.locator(".verity-claim-text")).to_have_text(
                "Mufti Khalid Balti was the TTP's current spokesman when he was killed")
            verdict = claim.locator("dl.verity-facts dd .verity-label").first
            expect(verdict).to_have_text("contested")
            assert verdict.evaluate("e => getComputedStyle(e).backgroundColor") == CONTESTED_BACKGROUND
            expect(claim.locator(".verity-side h3")).to_have_text([
                "Affirming: 1 source, 1 independent origin", "Denying: 2 sources, 2 independent origins"])
            expect(claim.locator(".verity-side-denying .verity-origin-name")).to_have_text(
                ["Dawn", "TTP"])
            expect(claim.locator("ul.verity-contradictions li")).to_have_count(2)
            # Every stance, oldest first, the retracted one kept and marked.
            rows = claim.locator("table.verity-stances tbody tr")
            expect(rows.locator("td:nth-child(2)")).to_have_text([
                "Pakistani senior security official", "Tahir Khan (Dawn)", "Pakistani senior security official",
                "TTP spokesman Mohammad Khurasani"])
            expect(rows.locator("td.verity-status")).to_have_text([
                "counted", "counted", re.compile(r"^retracted: logged against the wrong source"), "counted"])
            denies = rows.nth(1).locator(".verity-label")
            assert denies.evaluate("e => getComputedStyle(e).backgroundColor") == DENIES_BACKGROUND
            expect(rows.nth(2).locator("td").nth(6)).to_have_text("2022-01-18 by verity-example")
            # A source's name leads to the source.
            claim.get_by_role("link", name="Tahir Khan (Dawn)").first.click()
            expect(page.locator("h1")).to_contain_text("sources")
        finally:
            browser.close()


def test_ctrl_c_stops_the_server_cleanly(balti_db):
    port = free_port()
    with verity_browse(balti_db, port) as (url, server):
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pytest.fail("verity browse did not stop on Ctrl-C")
        stderr = server.stderr.read()
        stdout = server.stdout.read()
    assert server.returncode == 0, stderr
    assert f"Browsing {balti_db} at http://127.0.0.1:{port}/" in stderr
    assert f"Claims reconciliation: http://127.0.0.1:{port}/balti/claim_verdicts" in stderr
    assert stderr.rstrip().endswith("Stopped.")
    assert "Traceback" not in stderr and stdout == ""
    with socket.socket() as sock:  # the port is free again
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))


def retake_docs_screenshot(target: Path) -> None:
    """The screenshot in docs/browsing.md: the same steps, on a copy of claims.db."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "balti.db"
        shutil.copy(ROOT / "claims.db", db)
        with verity_browse(db, free_port()) as (url, _server), sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            contested_claims_mentioning(page, url, "incident")
            page.screenshot(path=target, full_page=True)
            browser.close()


if __name__ == "__main__":
    retake_docs_screenshot(Path(sys.argv[1]))
