"""verity's Datasette plugin: positions, verdicts and rulings as coloured labels, and
each claim's own page.

A claim's page (`/<db>/claims/<id>`, where every claim's key links to) shows its
reconciliation, its sides by independent origin, its contradictions and every stance
logged on it with its status, oldest first (templates/row.html). The plugin also
gives the claims reconciliation view its search (a claim is found by its words or by
what any source said about it), folds the column descriptions away, and serves the
small stylesheet the labels use.

Registered through the `datasette` entry point in pyproject.toml. It acts only on
databases whose metadata carries verity's plugin configuration (what
`verity browse` and `verity datasette-metadata` give it), so other databases
served by the same Datasette are left alone.
"""

from __future__ import annotations

import json
import weakref
from importlib.resources import files

from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.utils import tilde_decode
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from ... import palette
from ...names import visible
from ...store import Store
from ...store.queries import claim_search
from ..claim_page import claim_page
from ..metadata import CLAIM_COLUMN, RECONCILIATION_VIEW, VOCABULARY
from ..safety import SpreadsheetSafeCsv, error_line, is_csv_request, log_error, quiet_console, status_of


def _label_css() -> str:
    """The label colours, one rule per pair of colours, from verity.palette."""
    by_colours: dict = {}
    for word, pair in palette.LABELS.items():
        by_colours.setdefault(pair, []).append(word)
    background, text = palette.DEFAULT
    rules = [f".verity-label {{ background: {background}; color: {text}; }}"]
    rules += [", ".join(f".verity-{word}" for word in words) + f" {{ background: {background}; color: {text}; }}"
              for (background, text), words in by_colours.items()]
    return "\n".join(rules) + "\n"


CSS = _label_css() + files(__package__).joinpath("verity.css").read_text(encoding="utf-8")
CSS_PATH = "/-/verity.css"

# Column descriptions are many; fold them under one line above the table.
FOLD_COLUMN_DESCRIPTIONS = """
document.querySelectorAll("dl.column-descriptions").forEach(function (dl) {
  var details = document.createElement("details");
  var summary = document.createElement("summary");
  details.className = "verity-columns";
  summary.textContent = "What the columns mean";
  dl.parentNode.insertBefore(details, dl);
  details.appendChild(summary);
  details.appendChild(dl);
});
"""


# verity's plugin configuration of each database, by Datasette instance, gone with it.
_CONFIGS: "weakref.WeakKeyDictionary[object, dict]" = weakref.WeakKeyDictionary()


def _config(datasette, database):
    """verity's plugin configuration for this database, looked up once per server.

    render_cell runs for every cell of a page, and plugin_config resolves the
    metadata afresh each time; ours never changes while a server runs.
    """
    configs = _CONFIGS.get(datasette)
    if configs is None:
        configs = _CONFIGS[datasette] = {}
    if database not in configs:
        configs[database] = datasette.plugin_config("verity", database=database) if database else None
    return configs[database]


def _is_verity(datasette, database) -> bool:
    return bool(_config(datasette, database))


def label(value: str) -> Markup:
    return Markup('<span class="verity-label verity-{v}">{v}</span>').format(v=value)


def _names(value: str):
    try:
        items = json.loads(value)
    except (TypeError, ValueError):
        return None
    if isinstance(items, list) and all(isinstance(item, str) for item in items):
        return items
    return None


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if not isinstance(value, str):  # before the configuration: many cells of a page are numbers
        return None
    config = _config(datasette, database)
    if not config:
        return None
    if column in config.get("label_columns", ()) and value in VOCABULARY:
        return label(value)
    if column in config.get("list_columns", ()):
        names = _names(value)
        if names is not None:
            return Markup(escape(" · ".join(names))) if names else Markup("—")
    if table == RECONCILIATION_VIEW and column == "key" and "id" in row.keys():
        return _claim_link(datasette, database, row["id"], value)
    if column == CLAIM_COLUMN:  # a claim's key, in a view or a named query: it leads to the claim's page
        if "claim_id" in row.keys() and isinstance(row["claim_id"], int):
            return _claim_link(datasette, database, row["claim_id"], value)
        return _claim_link_by_key(datasette, database, value)
    return None


def _claim_link(datasette, database: str, claim_id: int, text: str) -> Markup:
    href = datasette.urls.row(database, "claims", str(claim_id))
    return Markup('<a href="{}">{}</a>').format(href, text)


async def _claim_link_by_key(datasette, database: str, key: str):
    db = datasette.get_database(database)
    claim = await db.execute_fn(lambda conn: Store(conn, db.path).find_claim(key))
    return None if claim is None else _claim_link(datasette, database, claim.id, key)


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    """A claim's page (the row page of `claims`) gets the claim as verity reads it: see
    templates/row.html and verity.datasette.claim_page."""
    if view_name != "row" or table != "claims" or not _is_verity(datasette, database):
        return None

    async def claim():
        db = datasette.get_database(database)
        pk = tilde_decode(request.url_vars.get("pks", ""))
        page = await db.execute_fn(lambda conn: claim_page(conn, db.path, pk))
        return {"verity_claim": page}

    return claim


@hookimpl(trylast=True)  # after Datasette's own search filter, which finds no index for a view
def filters_from_request(request, database, table, datasette):
    if table != RECONCILIATION_VIEW or not _is_verity(datasette, database):
        return None
    search = request.args.get("_search", "").strip()
    if not search:
        return FilterArguments([], extra_context={"supports_search": True})
    raw = request.args.get("_searchmode") == "raw"
    return FilterArguments(
        [claim_search("verity_search", raw=raw)],
        params={"verity_search": search},
        human_descriptions=[f'search matches "{search}"'],
        extra_context={"supports_search": True, "search": search},
    )


@hookimpl
def extra_css_urls(database, datasette):
    if _is_verity(datasette, database):
        return [datasette.urls.path(CSS_PATH)]
    return []


@hookimpl
def extra_body_script(database, datasette):
    if _is_verity(datasette, database):
        return FOLD_COLUMN_DESCRIPTIONS
    return ""


@hookimpl
def register_routes():
    async def stylesheet():
        return Response(CSS, content_type="text/css; charset=utf-8")

    return [(r"^/-/verity\.css$", stylesheet)]


def _serves_verity(datasette) -> bool:
    """Whether any database this Datasette serves is a verity one (`verity browse`, or
    metadata from `verity datasette-metadata`): only then does verity change its errors."""
    return any(_is_verity(datasette, name) for name in datasette.databases)


def _database_of(path: str) -> str:
    """The database a request's path names: `/claims/stances.csv` and `/claims.csv` -> claims."""
    first = path.lstrip("/").split("/", 1)[0]
    return tilde_decode(first[:-4] if first.endswith(".csv") else first)


@hookimpl
def asgi_wrapper(datasette):
    """Datasette's CSV downloads of a verity database, made safe to open in a spreadsheet
    (see verity.datasette.safety)."""

    def wrap(app):
        safe = SpreadsheetSafeCsv(app)

        async def choose(scope, receive, send):
            if scope.get("type") == "http" and is_csv_request(scope) and \
                    _is_verity(datasette, _database_of(scope.get("path", ""))):
                await safe(scope, receive, send)
            else:
                await app(scope, receive, send)

        return choose

    return wrap


@hookimpl(hookwrapper=True)
def handle_exception(datasette, request, exception):
    """One line on the console per error (see verity.datasette.safety), instead of Datasette's
    traceback with every local variable; the page shown is Datasette's own error page.

    A wrapper round every plugin's answer, which it replaces: Datasette 0.65 runs each answer it
    is given, its own default (which prints the traceback, with the request's text as it came)
    among them, even after the first."""
    outcome = yield
    if not _serves_verity(datasette):
        return
    from datasette.handle_exception import handle_exception as datasettes_own

    status = status_of(exception)
    log_error(visible(error_line(request, exception, status)))
    page = datasettes_own(datasette, request, exception)

    async def quietly():
        with quiet_console(status):
            return await page()

    outcome.force_result([quietly] if isinstance(outcome.get_result(), list) else quietly)
