"""verity report: what an editor reads and a newsroom publishes, in every format."""

from __future__ import annotations

import csv
import io
import json
import os
import re

import pytest

from verity import uids
from verity.importer import import_records
from verity.models import Claim, Retraction, Source, Stance
from verity.store import Store

CONTESTED_BALTI = ["balti-killed-in-nangarhar", "balti-was-current-ttp-spokesman", "balti-was-killed",
                   "ttp-is-branch-of-islamic-emirate"]


@pytest.fixture
def balti(cli, balti_db, monkeypatch):
    """The bundled Balti case as the database every command in the test uses."""
    monkeypatch.setenv("VERITY_DB", str(balti_db))
    return balti_db


@pytest.fixture
def case(db_path):
    """A claim on which one source changed its mind, one stance was retracted and two sources
    have hostile names, quotes and links; and a quiet second claim."""
    with Store.create(db_path) as store:
        import_records(
            store,
            sources=[
                Source(name="Interior ministry", affiliation="Government", reliability="B"),
                Source(name="Police spokesman", affiliation="Government"),
                Source(name="<script>alert(1)</script>", kind="anonymous"),
                Source(name="Local paper", affiliation="Local paper", reliability="C"),
            ],
            claims=[
                Claim(text="The bridge collapsed on Monday", key="bridge-collapsed",
                      ruling="mostly-true", ruling_explanation="Photos *and* the ministry's own count"),
                Claim(text="Nobody was hurt", key="nobody-hurt"),
                Claim(text="The river rose", key="river-rose"),
            ],
            stances=[
                Stance(claim="bridge-collapsed", source="Interior ministry", position="denies",
                       said_on="2022-03-01", quote="The bridge stands", via="Radio One",
                       logged_at="2022-03-01T10:00:00Z"),
                Stance(claim="bridge-collapsed", source="Interior ministry", position="affirms",
                       said_on="2022-03-04", quote="It fell at 6am", url="https://example.org/ministry",
                       logged_at="2022-03-04T10:00:00Z"),
                Stance(claim="bridge-collapsed", source="Police spokesman", position="affirms",
                       said_on="2022-03-02", logged_at="2022-03-02T10:00:00Z",
                       retracted=Retraction(reason="it was the fire brigade speaking", at="2022-03-05T09:00:00Z")),
                Stance(claim="bridge-collapsed", source="<script>alert(1)</script>", position="partially-denies",
                       said_on="2022-03-03", quote="<img src=x onerror=alert(1)>",
                       url="javascript:alert(1)", logged_at="2022-03-03T10:00:00Z"),
                Stance(claim="bridge-collapsed", source="Local paper", position="affirms",
                       said_on="2022-03-02", quote="[click](http://evil.example) | # not a heading",
                       logged_at="2022-03-02T11:00:00Z"),
                Stance(claim="nobody-hurt", source="Local paper", position="neutral",
                       logged_at="2022-03-02T12:00:00Z"),
                Stance(claim="river-rose", source="Local paper", position="affirms",
                       logged_at="2022-03-06T08:00:00Z",
                       retracted=Retraction(reason="typo <u>oops</u>", at="2022-03-06T09:00:00Z")),
            ],
        )
    return db_path


def report(cli, *args):
    result = cli("report", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


# -- markdown, the default ------------------------------------------------------------


def test_markdown_to_stdout_is_the_default_with_the_summary_first(cli, balti):
    text = report(cli)
    assert text.startswith("# Contradiction report\n")
    summary, claims = text.split("## Contested claims (4)", 1)
    assert "| contested | 4 |" in summary and "| single-source | 8 |" in summary
    assert "| **total** | **17** |" in summary
    assert "### Most contested claims" in summary
    assert "| [balti-was-killed](#balti-was-killed)" in summary
    opposed = summary.split("### Sources most often on opposite sides", 1)[1]
    assert "| Afghan government spokesperson Bilal Karimi | Pakistani senior security official | 1 |" in opposed
    keys = re.findall(r"^### (\S+)$", claims, flags=re.M)
    assert len(keys) == 17
    assert keys[:4] == CONTESTED_BALTI  # contested first, then by key
    assert keys[-1] == "balti-killed-in-targeted-attack"  # the one unverified claim comes last


def test_markdown_claim_has_sides_by_origin_contradictions_and_history(cli, balti):
    text = report(cli)
    claim = text.split("### balti-was-killed\n", 1)[1].split("\n---\n", 1)[0]
    assert "- **Verdict:** contested — score 0.447, agreement 0.515" in claim
    assert "- **Ruling:** mostly-true — Two adversaries confirm the death" in claim
    affirming = claim.split("**Affirming** — 3 sources, 2 independent origins", 1)[1].split("**Denying**")[0]
    # the two TTP voices are one origin, listed together under it
    assert "- *TTP*\n  - **Militant source (Kunar funeral)** (reliability F) ◐ partially-affirms" in affirming
    assert ("  - **Pakistani senior security official** (reliability C) ✔ affirms, 2022-01-10, via Dawn: "
            "“A senior security official from Pakistan had confirmed Balti’s killing on Monday") in affirming
    assert "**Denying** — 1 source, 1 independent origin" in claim
    assert "**Contradictions** (3), affirming source first:" in claim
    assert "- ✔ Pakistani senior security official vs ✘ Afghan government spokesperson Bilal Karimi" in claim
    assert "| 2022-01-10 | Pakistani senior security official | ✔ affirms | counted |" in claim
    assert "| undated (logged 2022-01-18) | Afghan government spokesperson Bilal Karimi | ✘ denies | counted |" in claim


def test_markdown_shows_a_retraction_with_its_reason(cli, balti):
    text = report(cli)
    claim = text.split("### balti-was-current-ttp-spokesman\n", 1)[1].split("\n---\n", 1)[0]
    assert "| Pakistani senior security official | ✘ denies | retracted 2022-01-18 |" in claim
    assert ("- stance 10, Pakistani senior security official, ✘ denies, undated (logged 2022-01-18); "
            "retracted 2022-01-18: logged against the wrong source") in claim


def test_a_reversal_lists_the_source_with_both_positions_and_dates(cli, case):
    text = report(cli)
    claim = text.split("### bridge-collapsed\n", 1)[1].split("\n---\n", 1)[0]
    assert "**Reversals**, sources whose position changed:" in claim
    assert "- Interior ministry: ✘ denies (2022-03-01) → ✔ affirms (2022-03-04)" in claim
    # the later stance is the one that counts; the earlier one is kept, superseded
    assert "| 2022-03-01 | Interior ministry | ✘ denies | superseded |" in claim
    assert "| 2022-03-04 | Interior ministry | ✔ affirms | counted |" in claim
    # a retracted stance is not a position the source holds, so it makes no reversal
    assert "Police spokesman:" not in claim
    assert "retracted 2022-03-05: it was the fire brigade speaking" in claim


def test_verdict_filter_keeps_only_those_claims(cli, balti):
    text = report(cli, "--verdict", "contested", "--verdict", "unverified")
    assert "5 claims of 17, those with verdict contested or unverified" in text
    keys = re.findall(r"^### (\S+)$", text.split("## Contested claims", 1)[1], flags=re.M)
    assert keys == CONTESTED_BALTI + ["balti-killed-in-targeted-attack"]
    assert "| single-source |" not in text

    # A merged claim counts as the claim it was merged into: it is no claim of its own in the total.
    assert cli("claim", "merge", "balti-killed-on-9-january-2022", "--into", "balti-was-killed",
               "--reason", "the same killing").exit_code == 0
    text = report(cli, "--verdict", "contested", "--verdict", "unverified")
    assert "claims of 16, those with verdict contested or unverified" in text


def test_an_empty_database_makes_a_short_report(cli):
    cli("init")
    for fmt, expected in [("markdown", "0 claims"), ("json", "[]\n"), ("html", "0 claims")]:
        assert expected in report(cli, "--format", fmt)
    assert report(cli, "--format", "csv").splitlines() == [
        "claim,text,verdict,score,agreement,affirming,denying,neutral,"
        "affirming_origins,denying_origins,contradictions,ruling,question,estimate,credibility,estimate_stale"
    ]


# -- one reconciler --------------------------------------------------------------------


def test_json_is_the_reconcile_objects_plus_counted_stances(cli, balti):
    reported = json.loads(report(cli, "--format", "json"))
    reconciled = {r["claim"]: r for r in json.loads(cli("reconcile", "--json").stdout)}
    assert [r["claim"] for r in reported][:4] == CONTESTED_BALTI
    assert len(reported) == len(reconciled) == 17
    for item in reported:
        stances = item.pop("stances")
        assert (item.pop("question"), item.pop("estimate")) == (None, None)  # no questions; nothing assessed
        assert item == reconciled[item["claim"]]  # the very numbers the reconciler gave
        assert sorted(s["source"] for s in stances) == sorted(item["affirming"] + item["denying"] + item["neutral"])
    killed = next(r for r in json.loads(report(cli, "-f", "json")) if r["claim"] == "balti-was-killed")
    official = next(s for s in killed["stances"] if s["source"] == "Pakistani senior security official")
    assert official == {
        "id": 1, "source": "Pakistani senior security official", "position": "affirms",
        "quote": "A senior security official from Pakistan had confirmed Balti’s killing on Monday, "
                 "saying he was the current TTP spokesman.",
        "url": None, "said_on": "2022-01-10", "via": "Dawn", "note": official["note"],
        "logged_at": "2022-01-18T09:00:00.000000Z", "logged_by": "verity-example",
        "uid": uids.of_stance("balti-was-killed", "Pakistani senior security official", "affirms",
                              official["quote"], None, "2022-01-10", "Dawn", "2022-01-18T09:00:00.000000Z",
                              "verity-example"),  # as the import of examples/balti.json derives it
        "desk": None,
        "source_affiliation": "Government of Pakistan", "source_reliability": "C",
    }


def test_json_names_a_merged_sources_stance_by_the_source_it_counts_for(cli, balti):
    assert cli("source", "add", "Bilal Karimi").exit_code == 0
    assert cli("stance", "add", "balti-funeral-in-kunar", "Bilal Karimi", "denies").exit_code == 0
    assert cli("source", "merge", "Bilal Karimi", "--into", "Afghan government spokesperson Bilal Karimi",
               "--reason", "the same spokesperson").exit_code == 0
    (kunar,) = [r for r in json.loads(report(cli, "-f", "json")) if r["claim"] == "balti-funeral-in-kunar"]
    assert kunar["denying"] == ["Afghan government spokesperson Bilal Karimi"]
    assert [s["source"] for s in kunar["stances"] if s["position"] == "denies"] == [
        "Afghan government spokesperson Bilal Karimi"]


def test_json_leaves_out_superseded_and_retracted_stances(cli, case):
    (bridge,) = [r for r in json.loads(report(cli, "-f", "json")) if r["claim"] == "bridge-collapsed"]
    assert [(s["source"], s["position"]) for s in bridge["stances"]] == [
        ("Local paper", "affirms"), ("<script>alert(1)</script>", "partially-denies"),
        ("Interior ministry", "affirms"),
    ]


def test_csv_has_one_row_per_claim_with_the_issue_columns(cli, balti):
    rows = list(csv.DictReader(io.StringIO(report(cli, "--format", "csv"))))
    assert list(rows[0]) == ["claim", "text", "verdict", "score", "agreement", "affirming", "denying",
                             "neutral", "affirming_origins", "denying_origins", "contradictions", "ruling",
                             "question", "estimate", "credibility", "estimate_stale"]
    assert len(rows) == 17
    killed = next(r for r in rows if r["claim"] == "balti-was-killed")
    assert killed["verdict"] == "contested" and killed["score"] == "0.447" and killed["agreement"] == "0.515"
    assert killed["affirming"] == ("Militant source (Kunar funeral); Pakistani senior security official; "
                                   "TTP spokesman Mohammad Khurasani")
    assert killed["affirming_origins"] == "2" and killed["denying_origins"] == "1"
    assert killed["contradictions"].split("; ")[0] == (
        "Militant source (Kunar funeral) vs Afghan government spokesperson Bilal Karimi")
    assert killed["ruling"] == "mostly-true"
    unverified = next(r for r in rows if r["claim"] == "balti-killed-in-targeted-attack")
    assert unverified["agreement"] == "" and unverified["neutral"] == "TTP spokesman Mohammad Khurasani"


def test_csv_keeps_database_text_from_running_as_a_spreadsheet_formula(cli, store):
    store.add_source(Source(name="=HYPERLINK(\"http://evil.example\")"))
    store.add_claim(Claim(text="@SUM(1+1) is two", key="sum"))
    store.add_stance(Stance(claim="sum", source="=HYPERLINK(\"http://evil.example\")", position="affirms"))
    (row,) = csv.DictReader(io.StringIO(report(cli, "-f", "csv")))
    assert row["text"] == "'@SUM(1+1) is two"
    assert row["affirming"] == "'=HYPERLINK(\"http://evil.example\")"
    assert row["score"] == "1.0"


# -- HTML -------------------------------------------------------------------------------


def test_html_is_one_self_contained_page_with_matrix_legend_and_timelines(cli, balti):
    html = report(cli, "--format", "html")
    assert html.startswith("<!doctype html>")
    assert html.rstrip().endswith("</html>")
    assert 'aria-label="Stance matrix"' in html and 'aria-label="Legend"' in html
    assert "@media print" in html
    # nothing is fetched from anywhere, and no script may run
    assert not re.search(r"<script|<link|@import|url\(|src=", html, flags=re.I)
    assert "default-src 'none'" in html
    assert len(re.findall(r'<article class="claim', html)) == 17
    assert html.count('class="timeline"') == 17  # every claim has a stance, so a timeline
    matrix = html.split('aria-label="Stance matrix"', 1)[1].split("</table>", 1)[0]
    assert matrix.count("<tr>") == 18  # a header and one row per claim
    row = matrix.split('href="#claim-balti-was-killed"', 1)[1].split("</tr>", 1)[0]
    # each coloured cell also carries its mark, so it reads in greyscale
    assert re.findall(r'class="pos-(\S+)" title="([^"]+)">(.)<', row) == [
        ("affirms", "Pakistani senior security official: affirms", "✔"),
        ("denies", "Afghan government spokesperson Bilal Karimi: denies", "✘"),
        ("partially-affirms", "Militant source (Kunar funeral): partially affirms", "◐"),
        ("affirms", "TTP spokesman Mohammad Khurasani: affirms", "✔"),
    ]


def test_html_escapes_every_value_from_the_database(cli, case):
    html = report(cli, "--format", "html")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="javascript:' not in html  # shown as text, never made a link
    assert "javascript:alert(1)" in html
    assert '<a href="https://example.org/ministry" rel="noopener noreferrer nofollow">example.org</a>' in html


def test_markdown_escapes_every_value_from_the_database(cli, case):
    text = report(cli)
    assert not re.search(r"(?<!\\)<", text)  # no raw HTML can open
    assert r"\<script\>alert(1)\</script\>" in text
    assert r"“\<img src=x onerror=alert(1)\>”" in text
    assert r"“\[click\](http://evil.example) \| # not a heading”" in text
    assert "](javascript:" not in text
    assert "(link not shown as a link: javascript:alert(1))" in text
    assert "[example.org](https://example.org/ministry)" in text
    assert r"Photos \*and\* the ministry's own count" in text


# -- output files and bad input ---------------------------------------------------------


@pytest.mark.parametrize("name, start", [
    ("report.md", "# Contradiction report"), ("report.html", "<!doctype html>"),
    ("report.json", "[\n  {"), ("report.csv", "claim,text,"), ("report.txt", "# Contradiction report"),
])
def test_output_file_format_follows_its_extension(cli, balti, tmp_path, name, start):
    target = tmp_path / name
    result = cli("report", "--output", target)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8").startswith(start)
    assert re.fullmatch(rf"Wrote {re.escape(str(target))} \(\w+, 17 claims, [\d,]+ bytes\)\.\n", result.stderr)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_format_option_beats_the_extension(cli, balti, tmp_path):
    target = tmp_path / "report.html"
    assert cli("report", "-f", "csv", "-o", target).exit_code == 0
    assert target.read_text().startswith("claim,text,")


@pytest.mark.parametrize("args, message", [
    (["--format", "pdf"], "Error: 'pdf' is not a report format; use one of: markdown, html, json, csv\n"),
    (["--verdict", "contestd"], "Error: 'contestd' is not a verdict (did you mean 'contested'?); "
                                "use one of: contested, single-source, corroborated, denied, unverified\n"),
])
def test_unknown_format_or_verdict_is_one_line_and_writes_nothing(cli, balti, tmp_path, args, message):
    target = tmp_path / "out.md"
    result = cli("report", *args, "--output", target)
    assert result.exit_code == 1
    assert result.stderr == message
    assert result.stdout == ""
    assert not target.exists()


def test_output_in_a_missing_folder_is_one_line(cli, balti, tmp_path):
    result = cli("report", "--output", tmp_path / "nowhere" / "r.md")
    assert result.exit_code == 1
    assert result.stderr == (f"Error: cannot write {tmp_path / 'nowhere' / 'r.md'}: folder "
                             f"{tmp_path / 'nowhere'} does not exist; create it or choose another --output\n")


def test_output_under_a_file_or_onto_a_folder_or_the_database_is_refused(cli, balti, tmp_path):
    (tmp_path / "plain").write_text("x")
    for target, says in [(tmp_path / "plain" / "r.md", "is a file, not a folder"),
                         (tmp_path, "it is a folder"),
                         (balti, "refusing to write the report over the database")]:
        result = cli("report", "--output", target)
        assert result.exit_code == 1
        assert says in result.stderr and result.stderr.count("\n") == 1
    assert Store.open(balti).counts()["claims"] == 17


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_output_in_a_read_only_folder_is_one_line(cli, balti, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        result = cli("report", "--output", folder / "r.md")
    finally:
        folder.chmod(0o700)
    assert result.exit_code == 1
    assert "no permission to write in" in result.stderr
    assert list(folder.iterdir()) == []


def test_a_failure_midway_leaves_no_partial_file_and_the_old_report_intact(cli, balti, tmp_path, monkeypatch):
    from verity.reports import markdown

    target = tmp_path / "report.md"
    target.write_text("the previous report\n")
    real_claim = markdown.claim
    written = []

    def claim_then_fail(view):
        if written:
            raise OSError(28, "No space left on device")
        written.append(view.key)
        return real_claim(view)

    monkeypatch.setattr(markdown, "claim", claim_then_fail)
    result = cli("report", "--output", target)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: cannot write {target}: No space left on device; "
                             "check the disk and choose another --output\n")
    assert target.read_text() == "the previous report\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report.md")] == []


def test_a_new_report_file_gets_ordinary_permissions(cli, balti, tmp_path):
    target = tmp_path / "r.md"
    assert cli("report", "-o", target).exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_report_does_not_import_jinja_for_other_commands():
    import subprocess
    import sys

    code = ("import sys, verity.cli; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'jinja2' or m.startswith('verity.reports')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_markdown_published_as_html_shows_hostile_text_as_text(cli, case):
    """What a newsroom's CommonMark renderer makes of the markdown report (rich ships markdown-it)."""
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").enable("table").render(report(cli))
    assert not re.search(r"<(script|img|svg|i|u)\b", html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "typo &lt;u&gt;oops&lt;/u&gt;" in html
    assert "“&lt;img src=x onerror=alert(1)&gt;”" in html
    assert re.findall(r'href="([^"#]+)"', html) == ["https://example.org/ministry"]
    assert "<h1>Contradiction report</h1>" in html and html.count("<h1>") == 1  # no heading smuggled in
    assert '<a href="#bridge-collapsed">bridge-collapsed</a>' in html


def test_html_claim_shows_reversal_retraction_and_timeline(cli, case):
    html = report(cli, "--format", "html")
    claim = html.split('id="claim-bridge-collapsed"', 1)[1].split("</article>", 1)[0]
    reversals = claim.split("<h4>Reversals</h4>", 1)[1].split("</ul>", 1)[0]
    assert re.sub(r"<[^>]+>", "", reversals).split() == [
        "Interior", "ministry:", "✘", "denies", "(2022-03-01)", "→", "✔", "affirms", "(2022-03-04)"]
    assert "retracted 2022-03-05: it was the fire brigade speaking" in claim
    timeline = claim.split('class="timeline"', 1)[1].split("</div>", 1)[0]
    points = re.findall(r'class="pt pos pos-(\S+) (\w+)[^"]*" style="left: ([\d.]+)%', timeline)
    assert points == [("denies", "superseded", "0.0"), ("affirms", "retracted", "33.33"),
                      ("affirms", "counted", "33.33"), ("partially-denies", "counted", "66.67"),
                      ("affirms", "counted", "100.0")]


@pytest.mark.parametrize("text, expected", [
    ("# Breaking", r"\# Breaking"),
    ("1. The first", r"1\. The first"),
    ("- a dash", r"\- a dash"),
    ("> quoted", r"\> quoted"),
    ("a *b* _c_ `d` [e](f) <g> h|i ~j~ &amp; & k", r"a \*b\* \_c\_ \`d\` \[e\](f) \<g\> h\|i \~j\~ \&amp; & k"),
    ("two\nlines  and   spaces", "two lines and spaces"),
])
def test_markdown_text_is_shown_as_written(text, expected):
    from verity.reports.text import md_line

    assert md_line(text) == expected


@pytest.mark.parametrize("url, safe", [
    ("https://example.org/a b(c)", "https://example.org/a%20b%28c%29"),
    ("HTTP://EXAMPLE.ORG", "HTTP://EXAMPLE.ORG"),
    ("mailto:desk@example.org", "mailto:desk@example.org"),
    ("javascript:alert(1)", None), (" JavaScript:alert(1)", None), ("data:text/html,x", None),
    ("java\nscript:alert(1)", None), ("//example.org", None), ("", None), (None, None),
])
def test_only_web_and_mail_links_become_links(url, safe):
    from verity.reports.text import safe_url

    assert safe_url(url) == safe


def test_an_editor_sees_each_stances_note_and_who_logged_it(cli, balti):
    """The note beside the stance it explains, who logged it in the history (who to ask)."""
    markdown = report(cli, "--verdict", "contested")
    assert ("“I do not confirm these reports. They are not true. No such incident has taken place on this "
            "(Afghan) side” — *note:* Denies any such incident on Afghan soil") in markdown
    assert "| date | source | position | status | logged |" in markdown
    assert "| ✘ denies | counted | 2022-01-18 by verity-example |" in markdown
    html = report(cli, "--format", "html", "--verdict", "contested")
    assert '<p class="note"><span class="note-label">Note:</span> Denies any such incident on Afghan soil' in html
    assert '<span class="meta">· logged 2022-01-18 by verity-example</span>' in html


def test_a_note_from_the_database_is_escaped_like_every_value(cli, db_path):
    with Store.create(db_path) as store:
        import_records(store, sources=[Source(name="S")], claims=[Claim(text="T", key="t")],
                       stances=[Stance(claim="t", source="S", position="affirms", note="<b>*bold*</b> [x](y)",
                                       logged_by="<i>me</i>")])
    html = report(cli, "--format", "html")
    assert "<b>" not in html and "&lt;b&gt;*bold*&lt;/b&gt;" in html
    assert "<i>me</i>" not in html and "by &lt;i&gt;me&lt;/i&gt;" in html
    markdown = report(cli)
    assert "*note:* \\<b\\>\\*bold\\*\\</b\\> \\[x\\](y)" in markdown
    assert "by \\<i\\>me\\</i\\>" in markdown
