"""``newskb match``: screen a CSV list of names, as ``POST /v1/match`` does."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from app.cli import output
from app.cli.common import DatabaseUrlOption, load_settings, open_database

if TYPE_CHECKING:
    from app.kb.screening import NameQuery, Screening

COLUMNS = ("name", "kind", "country", "aliases")


def match(
    names_file: Annotated[
        Path,
        typer.Argument(
            metavar="NAMES.csv",
            exists=True,
            dir_okay=False,
            help="A CSV file with a header: name, kind (person or organization), and "
            "optionally country (ISO code or name) and aliases (separated by `;`).",
        ),
    ],
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=50, help="Matches per name, best first.")
    ] = 5,
    threshold: Annotated[
        float, typer.Option("--threshold", "-t", min=0, max=1, help="Lowest score shown.")
    ] = 0.7,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the JSON of POST /v1/match instead of a table.")
    ] = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Screen a list of names against the people and organizations of the knowledge base:
    each match with its score and the reason it matched.

    Example: `newskb match watchlist.csv --threshold 0.8`
    """
    from app.errors import NewsKBError
    from app.kb.screening import screen_names

    queries = _read(names_file)
    settings = load_settings(database_url)
    with open_database(settings) as sessions, sessions() as session:
        try:
            screening = screen_names(session, queries, limit=limit, threshold=threshold)
        except NewsKBError as exc:
            problems = [f"row {e['loc'][2] + 2}: {e['msg']}" for e in exc.errors]
            output.fail("; ".join(problems) or exc.detail)
    if as_json:
        from app.schemas.screening import MatchResponse

        output.stdout().print_json(MatchResponse.of(screening).model_dump_json())
    else:
        _print(screening)


def _read(path: Path) -> list[NameQuery]:
    from app.kb.screening import NameQuery

    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [(c or "").strip().lower() for c in reader.fieldnames or []]
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        output.fail(f"cannot read {path}: {exc}")
    if "name" not in header or "kind" not in header:
        output.fail(
            f"{path} needs a header with the columns name and kind (and optionally "
            "country, aliases)."
        )
    queries = []
    for row in rows:
        # Cells past the header land under the key None, as a list: ignored.
        cells = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
        aliases = tuple(a.strip() for a in cells.get("aliases", "").split(";") if a.strip())
        queries.append(
            NameQuery(cells["name"], cells["kind"], cells.get("country") or None, aliases)
        )
    return queries


def _print(screening: Screening) -> None:
    table = Table(
        title=f"{len(screening.results)} name(s) against {screening.entities:,} entities",
        title_justify="left",
    )
    for column, justify in [
        ("Name", "left"),
        ("Entity", "right"),
        ("Matched", "left"),
        ("Type", "left"),
        ("Score", "right"),
        ("Reason", "left"),
        ("Country", "left"),
    ]:
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for result in screening.results:
        if not result.matches:
            table.add_row(escape(result.query.name), "", "[dim]no match[/]", "", "", "", "")
        for position, m in enumerate(result.matches):
            country = {True: "agrees", False: "differs", None: ""}[m.country_match]
            table.add_row(
                escape(result.query.name) if position == 0 else "",
                str(m.id),
                escape(m.name if m.matched == m.name else f"{m.name} ({m.matched})"),
                m.type,
                f"{m.score:.2f}",
                m.reason,
                country,
            )
    output.stdout().print(table)
