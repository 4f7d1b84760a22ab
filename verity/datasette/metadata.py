"""What Datasette shows of a verity database: titles, descriptions, facets, named queries.

`build_metadata` returns a Datasette 0.65 metadata document (descriptions *and*
table options: label columns, facets, sorting, search, canned queries), keyed by
the database's name as Datasette will call it (the file name without `.db`).
`verity browse` serves with it; `verity datasette-metadata` writes it out for
plain `datasette --metadata`.
"""

from __future__ import annotations

import copy
from html import escape
from typing import Any

from ..models import POSITIONS, RULINGS, VERDICTS
from ..similar import LIKELY_SAME
from .descriptions import DESCRIPTIONS, RECONCILIATION_VIEW, RULING_DISAGREES

# Datasette settings verity serves with. A page must never be cached: verity may
# write between two loads, and the next load has to show it. The facets worth
# having are configured below; suggesting others costs a query per column on
# every page (any column can still be faceted from its column menu). Facets over
# a large counted_stances view can take longer than Datasette's default allows
# (docs/performance.md), so they get a second.
SETTINGS: dict[str, Any] = {"default_cache_ttl": 0, "suggest_facets": False, "facet_time_limit_ms": 1000}

# Columns whose values the plugin shows as coloured labels (verity.datasette.plugin).
LABEL_COLUMNS = [
    "position", "verdict", "ruling",
    "affirming_position", "denying_position", "position_before", "position_after",
]
# JSON arrays of names, shown as a plain list.
LIST_COLUMNS = ["tags", "affirming", "denying", "neutral"]

CLAIM_COLUMN = "claim"  # the views' and named queries' column of claim keys: each links to its claim


_OPTIONS: dict[str, dict[str, Any]] = {
    "sources": {
        "label_column": "name",
        "facets": ["kind", "affiliation", "reliability", "desk"],
        "sort": "name",
    },
    "claims": {
        "label_column": "text",
        "facets": ["ruling", "subject", {"array": "tags"}, "desk"],
        "fts_table": "claims_fts",
        "fts_pk": "id",
    },
    "stances": {
        "facets": ["position", "source_id", "claim_id", "desk"],
        "fts_table": "stances_fts",
        "fts_pk": "id",
    },
    # What verity stores for the views and pages that show it: kept out of the way (a
    # hidden table is still one click from the database page), so that the index page
    # lists the claims reconciliation among the first.
    "reconciliations": {
        "hidden": True,
        "facets": ["verdict"],
        "sortable_columns": ["claim_id", "verdict", "score", "agreement", "contradictions"],
    },
    RECONCILIATION_VIEW: {
        "facets": ["verdict", "ruling", "subject"],
        "sortable_columns": [
            "key", "verdict", "ruling", "score", "agreement",
            "affirming_origins", "denying_origins", "contradictions",
        ],
        # Searched by verity.datasette.plugin: claim words and every quote on the claim.
        "sort_desc": "contradictions",
    },
    "counted_stances": {
        "facets": ["position", "source_kind", "affiliation", "reliability"],
        "sortable_columns": ["id", "claim", "source", "position", "said_on", "logged_at"],
        "fts_table": "stances_fts",
        "fts_pk": "id",
    },
    "stance_statuses": {"hidden": True},
    # What the "claims logged twice" query reads.
    "claim_lookalikes": {"hidden": True},
    "similarity_checks": {"hidden": True},
    "meaning_vectors": {"hidden": True},
    # The history of corrections, faceted by who and what. Rulings, aliases and questions are
    # reached from the claims and sources they belong to (and the database page).
    "changes": {"facets": ["by", "action", "record_type", "field", "desk"], "sort_desc": "at"},
    "rulings": {"hidden": True, "facets": ["ruling", "ruled_by", "desk"], "sort_desc": "ruled_at"},
    "aliases": {"hidden": True, "label_column": "alias"},
    "questions": {"hidden": True, "label_column": "text"},
    "question_reconciliations": {"hidden": True},
    "assessment_runs": {"hidden": True},
    "assessments": {"hidden": True},
    "assessed_sources": {"hidden": True},
    "question_verdicts": {"facets": ["verdict"], "sort": "question"},
    "question_answers": {"facets": ["verdict", "ruling", "question"], "sort": "question"},
    # Track records are counted as the page is read: no facets or sorting, which would count
    # every source's record before the first row (sort or facet from a column's menu).
    "claim_estimates": {"facets": ["credibility_meaning", "verdict", "ruling", "stale"], "sort": "claim"},
    "_sqlite_migrations": {"hidden": True},
}

# The questions fact-checkers ask, as Datasette canned queries. Each reads a view
# that migration m004 generates from the rules' own constants (verity.migrations.views),
# over what the reconciler stored; a query only picks and sorts.
QUERIES: dict[str, dict[str, str]] = {
    "contested-claims": {
        "title": "Contested claims",
        "description": (
            "Claims on which at least one source affirms and at least one denies, "
            "most contradictions first."
        ),
        "sql": "select * from contested_claims order by contradictions desc, claim",
    },
    "contradictions": {
        "title": "Contradictions",
        "description": (
            "One row per pair of an affirming and a denying source on the same claim, with "
            "both quotes. Only counted stances (each source's latest, not retracted) take part."
        ),
        "sql": (
            "select claim, affirming_source, affirming_position, affirming_quote, affirming_said_on, "
            "denying_source, denying_position, denying_quote, denying_said_on\n"
            "from contradiction_pairs order by claim, affirming_source, denying_source"
        ),
    },
    "source-statements": {
        "title": "Everything one source has said",
        "description": (
            "Every stance a source has taken, oldest first, retracted ones included. Give the "
            "source's name or part of it (ignoring case), or of one of its aliases, or of a source "
            "merged into it. status says whether the stance counts, was superseded by a later one, "
            "or was retracted."
        ),
        # A source merged into another is found by its own name and aliases too: its stances are
        # listed under the source they count for, as everywhere else. The name is looked for as
        # typed (instr, not like: '%' and '_' are characters of a name, not wildcards).
        "sql": (
            "with recursive named(id) as (\n"
            "  select id from sources where :source != '' and instr(lower(name), lower(:source)) > 0\n"
            "  union select source_id from aliases where :source != '' and source_id is not null\n"
            "    and instr(lower(alias), lower(:source)) > 0\n"
            "  union select merged_into from sources join named using (id) where merged_into is not null)\n"
            "select source, claim, claim_text, position, quote, said_on, via, url, status, note, logged_at, "
            "stance_id\nfrom source_statements\n"
            "where source in (select name from sources where merged_into is null and id in named)\n"
            "order by source, said, stance_id"
        ),
    },
    "reversals": {
        "title": "Reversals",
        "description": (
            "Sources whose position on a claim changed: one row per change between two "
            "consecutive non-retracted stances of the same source on the same claim, in the "
            "order they were said. side_change says when the source crossed from one side "
            "to the other (affirming to denying or back)."
        ),
        "sql": (
            "select source, claim, position_before, quote_before, said_before, position_after, quote_after, "
            "said_after, side_change\nfrom stance_reversals order by source, claim, said_after, stance_id_after"
        ),
    },
    "single-source-claims": {
        "title": "Single-source claims",
        "description": (
            "Claims that rest on one origin: only one side has sources, and they all share "
            "one affiliation (or it is one unaffiliated source)."
        ),
        "sql": "select * from single_source_claims order by claim",
    },
    "ruling-disagrees": {
        "title": "Ruling and sources disagree",
        "description": RULING_DISAGREES,
        "sql": "select * from ruling_disagreements order by claim",
    },
    "claims-logged-twice": {
        "title": "Claims logged twice",
        "description": (
            "Pairs of claims that likely make the same statement in other words (a similarity score "
            f"of {LIKELY_SAME} or more), the later claim beside the earlier, neither merged yet: "
            "merge the later into the earlier with 'verity claim merge'. Claims are compared when "
            "added or corrected; an import's claims once 'verity claim similar --all' has run."
        ),
        "sql": (
            "select score, claim, text, same_as, same_as_text, created_at, created_by\n"
            "from claims_logged_twice order by score desc, claim, same_as"
        ),
    },
}

TITLE = "verity: where the sources agree and where they contradict each other"

DATABASE_DESCRIPTION = (
    "Claims, the sources that speak to them and each source's stance, reconciled by verity. "
    "Start with the claims reconciliation (claim_verdicts), or a named query below: "
    "contested claims, contradictions, everything one source has said, reversals, "
    "single-source claims, claims where the ruling and the sources disagree, and claims logged twice."
)

# The worked example (the Balti case) is credited to the articles it was logged from.
WORKED_EXAMPLE_CLAIM = "balti-was-killed"
WORKED_EXAMPLE_CREDIT = {
    "source": (
        "Dawn (Tahir Khan, 13 January 2022) and an Associated Press analysis published by Dawn "
        "(6 January 2022), republished by siawi.org on 18 January 2022"
    ),
    "source_url": "https://www.siawi.org/",
    "license": "Quotations © Dawn and The Associated Press, quoted for fact-checking; verity's example data: Apache-2.0",
}


WORKED_EXAMPLE_DESCRIPTION = (
    "verity's worked example: the January 2022 killing of TTP leader Mufti Khalid Balti alias "
    "Mohammad Khurasani, logged from Tahir Khan's Dawn report \"TTP confirms senior leader "
    "Khurasani's death, calls it 'huge loss'\" (13 January 2022) and the Associated Press "
    "analysis \"A resurging threat: Will Afghan Taliban take any real steps to stop TTP "
    "terrorists for Pakistan?\" (published by Dawn, 6 January 2022), both as republished by "
    "siawi.org on 18 January 2022."
)


def is_worked_example(claim_keys: set[str]) -> bool:
    return WORKED_EXAMPLE_CLAIM in claim_keys


def _description_html(database: str, worked_example: bool) -> str:
    from urllib.parse import quote

    # Datasette's own URL for a database name (tilde-encoding) matches quote() for
    # ordinary file names; base_url is not known here, so links assume the root.
    base = f"/{quote(database, safe='')}"
    view = f"{base}/{RECONCILIATION_VIEW}"
    parts = []
    if worked_example:
        parts.append(f"<p>{escape(WORKED_EXAMPLE_DESCRIPTION)}</p>")
    parts.append(
        "<p>Claims, the sources that speak to them and each source's stance, reconciled by "
        f'verity. Start with the <a href="{escape(view)}">claims reconciliation</a>: every claim\'s '
        "verdict, score and agreement beside the fact-checker's ruling. The named queries below "
        "answer the usual questions: contested claims, contradictions (with both quotes), "
        "everything one source has said, reversals, single-source claims, claims where the "
        "ruling and the sources disagree, and claims logged twice.</p>"
    )
    # Tables of their own, kept off the index page's first lines (which list the claims
    # reconciliation among the first) but one click from here.
    history = ", ".join(f'<a href="{escape(f"{base}/{table}")}">{escape(label)}</a>' for table, label in HISTORY)
    parts.append(f"<p>And what the desk did over time: {history}.</p>")
    return "".join(parts)


# The history tables the database's description links to: (table, how it is named there).
HISTORY = (("changes", "every correction, merge and alias"), ("rulings", "each claim's ruling history"),
           ("aliases", "the other names of sources and claims"), ("questions", "the questions claims answer"))


def build_metadata(database: str, *, worked_example: bool = False) -> dict[str, Any]:
    """Datasette metadata for the verity database Datasette names `database`."""
    tables: dict[str, dict[str, Any]] = {}
    for name in list(DESCRIPTIONS) + [t for t in _OPTIONS if t not in DESCRIPTIONS]:
        tables[name] = {**DESCRIPTIONS.get(name, {}), **_OPTIONS.get(name, {})}
    db: dict[str, Any] = {
        "title": "Claims, sources and stances",
        "description": DATABASE_DESCRIPTION,
        "tables": tables,
        # A named query's page opens with its answer; its SQL is one click away ("Show SQL").
        "queries": {name: {**query, "hide_sql": True} for name, query in QUERIES.items()},
        "plugins": {"verity": {"label_columns": LABEL_COLUMNS, "list_columns": LIST_COLUMNS}},
    }
    db["description_html"] = _description_html(database, worked_example)
    if worked_example:
        db["title"] = "The Balti case: claims, sources and stances (verity's worked example)"
        db["description"] = WORKED_EXAMPLE_DESCRIPTION + " " + DATABASE_DESCRIPTION
        # Table and query pages show only their own credit, so each carries it.
        for entry in [db, *tables.values(), *db["queries"].values()]:
            entry.update(WORKED_EXAMPLE_CREDIT)
    return {"title": TITLE, "databases": {database: db}}


# What Datasette 1.0 takes as configuration rather than metadata: per database, its named
# queries and plugin settings; per table, these options (Datasette 0.65 takes all of it
# in the metadata, as build_metadata gives it).
CONFIG_KEYS = ("queries", "plugins")
TABLE_CONFIG_KEYS = ("hidden", "sort", "sort_desc", "size", "sortable_columns", "label_column", "facets",
                     "fts_table", "fts_pk", "searchmode")


CREDIT_KEYS = ("source", "source_url", "license", "license_url")


def _credit_in_description(query: dict[str, Any]) -> None:
    """Datasette 1.0 shows a named query's description but no source or licence: the
    worked example's credit goes into the description instead."""
    credit = {key: query.pop(key) for key in CREDIT_KEYS if key in query}
    if not credit:
        return
    parts = []
    if "source" in credit:
        source = escape(credit["source"])
        if "source_url" in credit:
            source = f'<a href="{escape(credit["source_url"])}">{source}</a>'
        parts.append(f"Data source: {source}")
    if "license" in credit:
        parts.append(f"Data license: {escape(credit['license'])}")
    query["description_html"] = (f"<p>{escape(query.get('description', ''))}</p>"
                                 f"<p>{' &middot; '.join(parts)}</p>")


def datasette_major() -> int:
    """The major version of the Datasette installed: 0 (0.65) or 1 (the 1.0 alphas)."""
    from importlib.metadata import version

    return int(version("datasette").split(".")[0])


def metadata_and_config(document: dict[str, Any], major: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """build_metadata's document as Datasette of this major version takes it: (metadata,
    configuration). For 0.65 the configuration is empty; for 1.0 it holds the named
    queries, the table options and verity's plugin settings, and the metadata the rest."""
    if major < 1:
        return document, {}
    metadata = copy.deepcopy(document)
    config: dict[str, Any] = {"databases": {}}
    for name, database in metadata.get("databases", {}).items():
        target = config["databases"].setdefault(name, {})
        for key in CONFIG_KEYS:
            if key in database:
                target[key] = database.pop(key)
        for query in target.get("queries", {}).values():
            _credit_in_description(query)
        for table, entry in database.get("tables", {}).items():
            options = {key: entry.pop(key) for key in TABLE_CONFIG_KEYS if key in entry}
            if options:
                target.setdefault("tables", {})[table] = options
    return metadata, config


VOCABULARY = frozenset(POSITIONS) | frozenset(VERDICTS) | frozenset(RULINGS)
