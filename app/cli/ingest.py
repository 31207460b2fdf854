"""``newskb ingest`` and ``newskb reextract``: batched NLP with a progress bar and a summary."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli import output
from app.cli.common import (
    BatchSizeOption,
    DatabaseUrlOption,
    ProcessesOption,
    load_settings,
    open_database,
)

if TYPE_CHECKING:
    from pathlib import Path

    from app.cli.output import Tally
    from app.kb.intake import Document


def ingest(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Files, folders (read recursively) or quoted globs ('news/**/*.json') of "
            ".txt, .html, .json or .jsonl articles.",
            show_default=False,
            metavar="PATH",
        ),
    ],
    processes: ProcessesOption = 1,
    batch_size: BatchSizeOption = 64,
    queued: Annotated[
        bool,
        typer.Option(
            "--queue",
            help="Hand the documents to the queue (NEWSKB_QUEUE_URL) for `newskb worker` "
            "processes, instead of ingesting them here.",
        ),
    ] = False,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow/--no-follow",
            help="With --queue: wait until the workers have run every job, showing progress.",
        ),
    ] = True,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Ingest articles from files; the same article twice is stored once.

    A near-identical text at another URL is stored and linked to the first copy; a new text at
    a stored URL becomes that article's next version.

    .txt is plain text and .html a page; .json holds an object (or an array of objects) and
    .jsonl one object per line, with the fields of POST /v1/articles: text or html, and
    optionally url, title, published_at, source. Ends with a table of new, duplicate and
    failed documents (with reasons) and exits with status 1 when any failed.

    With --queue the documents become jobs that `newskb worker` processes run (on any
    machine sharing the database and the broker); the bar follows them to the end.

    Example: `newskb ingest articles/ 'feeds/*.jsonl' story.html --processes 2`
    """
    if queued:
        _ingest_queued(paths, follow=follow, database_url=database_url)
        return
    from app.cli import inputs
    from app.heap import freeze_heap
    from app.kb.bulk import ingest_documents
    from app.kb.ingest import load_model
    from app.kb.webhooks import delivering

    settings = load_settings(database_url)
    files, failures = inputs.expand_paths(paths)
    load_failures: list[tuple[str, str]] = [(f.name, f.reason) for f in failures]
    started = time.perf_counter()
    # Watches' webhooks go out while the ingest runs, and what is due is sent before it ends.
    with open_database(settings) as sessions, delivering(sessions, settings):
        if files:  # seconds of its own: said before the bar starts, not counted as progress
            with output.stderr().status("Loading the spaCy model…"):
                load_model(settings.spacy_model)
            freeze_heap()  # the model is never garbage (app.heap); forked workers inherit it
        with output.progress_bar("Ingesting", total=len(files) + len(failures)) as tally:
            for failure in failures:
                tally.done(failure.name, "failed")

            report = ingest_documents(
                sessions,
                _documents(files, tally, load_failures),
                model_names=settings.spacy_model,
                batch_size=batch_size,
                n_process=processes,
                on_done=tally.done,
            )
    failed = load_failures + report.failed
    # Near-duplicates are new articles too, counted apart (app.kb.duplicates).
    counts = {
        "created": len(report.created) - len(report.near_duplicates),
        "near_duplicate": len(report.near_duplicates),
        "version": len(report.versions),
        "duplicate": len(report.duplicates),
        "failed": len(failed),
    }
    seconds = time.perf_counter() - started
    output.print_summary("Ingest summary", counts, failed, unit="documents", seconds=seconds)
    if failed:
        raise typer.Exit(1)


def _ingest_queued(paths: list[str], *, follow: bool, database_url: str | None) -> None:
    from app.cli import inputs
    from app.cli import queue as cli_queue

    settings = cli_queue.queued_settings(database_url)
    files, failures = inputs.expand_paths(paths)
    load_failures: list[tuple[str, str]] = [(f.name, f.reason) for f in failures]
    started = time.perf_counter()
    title = "Ingesting through the queue" if follow else "Queueing"
    with output.progress_bar(title, total=len(files) + len(failures)) as tally:
        for failure in failures:
            tally.done(failure.name, "failed")

        counts, job_failures = cli_queue.ingest_queued(
            settings, _documents(files, tally, load_failures), follow=follow, tally=tally
        )
    failed = load_failures + job_failures
    counts["failed"] = counts.get("failed", 0) + len(load_failures)
    seconds = time.perf_counter() - started
    output.print_summary("Ingest summary", counts, failed, unit="documents", seconds=seconds)
    if failed:
        raise typer.Exit(1)


def reextract(
    article_ids: Annotated[
        list[int] | None,
        typer.Argument(
            help="Articles to re-extract [default: those stored by another extractor version]",
            show_default=False,
            metavar="ID",
        ),
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Re-extract every article, whatever its version.")
    ] = False,
    processes: ProcessesOption = 1,
    batch_size: BatchSizeOption = 64,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Run the current extractor over stored articles and replace their facts.

    By default only articles stored by another extractor version are redone; each article's
    facts are swapped in one transaction. Exits with status 1 when any article failed.

    Example: `newskb reextract --processes 2`
    """
    if every and article_ids:
        raise typer.BadParameter("give article ids or --all, not both.")
    from app.extract.document import EXTRACTOR_VERSION
    from app.kb import maintenance

    settings = load_settings(database_url)
    started = time.perf_counter()
    with open_database(settings) as sessions:
        if article_ids:
            ids = list(dict.fromkeys(article_ids))
        else:
            with sessions() as session:
                ids = (
                    maintenance.list_article_ids(session)
                    if every
                    else maintenance.list_stale_article_ids(session)
                )
        if not ids:
            output.stdout().print(f"Every article is already at extractor {EXTRACTOR_VERSION}.")
            return
        with output.progress_bar(f"Re-extracting ({EXTRACTOR_VERSION})", total=len(ids)) as tally:
            report = maintenance.reextract_articles(
                sessions,
                ids,
                model_names=settings.spacy_model,
                batch_size=batch_size,
                n_process=processes,
                on_done=tally.done,
            )
    failed = [(str(aid), reason) for aid, reason in report.failed]
    output.print_summary(
        "Re-extract summary",
        {"updated": len(report.updated), "failed": len(failed)},
        failed,
        unit="articles",
        seconds=time.perf_counter() - started,
    )
    if failed:
        raise typer.Exit(1)


def _documents(
    files: list[Path], tally: Tally, load_failures: list[tuple[str, str]]
) -> Iterator[Document]:
    """The documents of ``files`` in order; one that cannot be read is counted as failed."""
    from app.cli import inputs

    for path in files:
        items = inputs.load_file(path)
        tally.add_total(len(items) - 1)  # the bar counted the file as one document
        for item in items:
            if isinstance(item, inputs.Failure):
                load_failures.append((item.name, item.reason))
                tally.done(item.name, "failed")
            else:
                yield item
