"""The ``newskb`` command line: serve, migrate, seed, worker, prune-jobs, ingest, reextract,
export, stats, check, answers, match.

Commands stay thin: they parse options, call ``app.kb`` (or ``app.db.migrate``) and present
the answer; nothing they do is out of reach of the API or a test.
"""

from __future__ import annotations

import typer

from app.cli import data, ingest, queue, screening, server

app = typer.Typer(
    name="newskb",
    help="NewsKB: turn news articles into a knowledge base with provenance.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    pretty_exceptions_show_locals=False,  # locals may hold a database password
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command(rich_help_panel="Server")(server.serve)
app.command(rich_help_panel="Server")(server.migrate)
app.command(rich_help_panel="Server")(server.seed)
app.command(rich_help_panel="Server")(queue.worker)
app.command(rich_help_panel="Server")(queue.prune_jobs)
app.command(rich_help_panel="Articles")(ingest.ingest)
app.command(rich_help_panel="Articles")(ingest.reextract)
app.command(rich_help_panel="Knowledge base")(data.export)
app.command(rich_help_panel="Knowledge base")(data.stats)
app.command(rich_help_panel="Knowledge base")(data.check)
app.command(rich_help_panel="Knowledge base")(data.answers)
app.command(rich_help_panel="Knowledge base")(screening.match)


def main() -> None:
    app()
