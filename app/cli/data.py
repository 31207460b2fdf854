"""``newskb stats``, ``newskb export`` and ``newskb check``: views of the knowledge base."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from app.cli import output
from app.cli.common import DatabaseUrlOption, load_settings, open_database, shown


def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Counts by kind (articles, entities by type, events by type...), date range, versions.

    Example: `newskb stats --json`
    """
    from app.kb.stats import collect_stats

    settings = load_settings(database_url)
    with open_database(settings) as sessions, sessions() as session:
        summary = collect_stats(session)
    if as_json:
        output.stdout().print_json(summary.model_dump_json())
    else:
        output.print_model(summary, f"Knowledge base {shown(settings.database_url)}")


def export(
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="jsonl (articles with every fact), jsonld (schema.org), ftm (FollowTheMoney; "
            "needs newskb[ftm]), csv-entities, csv-events, graphml (the entity graph), "
            "neo4j-nodes or neo4j-relationships (for neo4j-admin import).",
        ),
    ] = "jsonl",
    output_file: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            dir_okay=False,
            help="Write here (replaced only once the export is complete) [default: stdout]",
            show_default=False,
        ),
    ] = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Export the whole knowledge base, streamed (memory stays flat however large it is).

    Example: `newskb export --format jsonld --output newskb.jsonld`
    """
    from app.errors import NewsKBError
    from app.kb.export import check_format, stream_export

    try:
        check_format(fmt)
    except NewsKBError as exc:
        output.fail(exc.detail)
    settings = load_settings(database_url)
    with open_database(settings) as sessions, sessions() as session:
        chunks = stream_export(session, fmt)
        if output_file is None:
            _write_stdout(chunks)
            return
        try:
            _write_atomically(output_file, chunks)
        except OSError as exc:
            output.fail(f"cannot write {output_file}: {exc.strerror or exc}")
    size = output_file.stat().st_size
    output.stderr().print(f"Wrote {fmt} to {output_file} ({size:,} bytes).")


def _write_atomically(path: Path, chunks: Iterable[str]) -> None:
    """Write to a partial file beside ``path``, then rename: never a half-written export."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            out.writelines(chunks)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)


def _write_stdout(chunks: Iterable[str]) -> None:
    try:
        for chunk in chunks:
            sys.stdout.write(chunk)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`newskb export | head`): stop quietly, as the Python docs advise.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(1) from None


def check(
    repair: Annotated[
        bool, typer.Option("--repair", help="Fix what is found, in one transaction.")
    ] = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Find drift between facts and derived rows: facts on merged entities, wrong stored counts,
    events without evidence. Exits 1 when drift is found and not repaired.

    Example: `newskb check --repair`
    """
    from app.kb import consistency

    settings = load_settings(database_url)
    with open_database(settings) as sessions, sessions() as session:
        found = consistency.repair(session) if repair else consistency.check(session)
        left = consistency.check(session) if repair and found else []
    console = output.stdout()
    if not found:
        console.print(f"{shown(settings.database_url)} is consistent.")
        return
    table = Table(title=f"Drift in {shown(settings.database_url)}", title_justify="left")
    table.add_column("Check")
    table.add_column("Rows", justify="right")
    for finding in found:
        table.add_row(finding.check, str(finding.count))
    console.print(table)
    if not repair:
        console.print("Run `newskb check --repair` to fix it.")
        raise typer.Exit(1)
    if left:
        output.fail(f"{sum(f.count for f in left)} row(s) still disagree after the repair.")
    console.print("Repaired.")


def answers(
    everything: Annotated[
        bool, typer.Option("--all", help="Rebuild every stored answer, not only missing ones.")
    ] = False,
    verify: Annotated[
        bool,
        typer.Option(
            "--check", help="Compare the stored answers with those built now; write nothing."
        ),
    ] = False,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Store the article, entity and event answers that are missing or were built by another version
    of NewsKB (after an upgrade: until then those pages are built on each read). Exits 1 when
    `--check` finds stored answers that differ from those built now.

    Example: `newskb answers`
    """
    from app.kb import answers as kb_answers
    from app.kb import entity_answers, event_items

    settings = load_settings(database_url)
    console = output.stdout()
    with open_database(settings) as sessions, sessions() as session:
        stale = kb_answers.stale_by_kind(session, everything=everything or verify)
        ids, entity_ids, event_ids = (stale[kind] for kind in kb_answers.KINDS)
        if verify:
            wrong = [f"article {id_}" for id_ in kb_answers.differing(session, ids)]
            wrong += [f"entity {id_}" for id_ in entity_answers.differing(session, entity_ids)]
            wrong += [f"event {id_}" for id_ in event_items.differing(session, event_ids)]
            if wrong:
                shown_ids = ", ".join(wrong[:20])
                output.fail(f"{len(wrong)} stored answer(s) differ ({shown_ids}).")
            total = len(ids) + len(entity_ids) + len(event_ids)
            console.print(f"{total} stored answer(s) checked: all current.")
            return
        total = len(ids) + len(entity_ids) + len(event_ids)
        with output.progress_bar("Storing answers", total=total) as tally:
            for kind, these in stale.items():
                for stored in kb_answers.store_all(session, these, kind=kind):
                    tally.progress.update(tally.task, advance=stored)
    console.print(
        f"{len(ids)} article, {len(entity_ids)} entity and {len(event_ids)} event answer(s)"
        " stored"
        f" in {shown(settings.database_url)}."
    )
