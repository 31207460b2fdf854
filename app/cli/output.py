"""Presentation for the CLI: a progress bar on stderr, summary tables on stdout."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, NoReturn

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

OUTCOMES = ("created", "duplicate", "failed")
LABELS = {
    "created": "new",
    "near_duplicate": "new, copy of a stored story",
    "version": "new version of a stored article",
    "duplicate": "duplicate",
    "failed": "failed",
    "updated": "updated",
}


def stdout() -> Console:
    # soft_wrap: a message stays one line (greppable in logs); tables still fit the width.
    return Console(highlight=False, soft_wrap=True)


def stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str) -> NoReturn:
    """Print an error (no traceback) and exit with status 1."""
    stderr().print(f"[bold red]Error:[/] {escape(message)}")
    raise typer.Exit(1)


class Tally:
    """A progress bar that counts outcomes; its total can grow as files turn out to hold more."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self.progress = progress
        self.task = task
        self.counts: Counter[str] = Counter()

    def add_total(self, extra: int) -> None:
        total = self.progress.tasks[0].total or 0
        self.progress.update(self.task, total=total + extra)

    def done(self, _name: str | int, outcome: str) -> None:
        self.counts[outcome] += 1
        summary = " · ".join(f"{LABELS.get(o, o)} {n}" for o, n in sorted(self.counts.items()))
        self.progress.update(self.task, advance=1, counts=summary)


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[Tally]:
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=stderr(),
    )
    with progress:
        yield Tally(progress, progress.add_task(description, total=total, counts=""))


def print_summary(
    title: str,
    counts: Mapping[str, int],
    failures: Sequence[tuple[str, str]],
    *,
    unit: str,
    seconds: float,
) -> None:
    """Counts per outcome, then every failure with its reason."""
    console = stdout()
    table = Table(title=title, title_justify="left")
    table.add_column("Outcome")
    table.add_column("Count", justify="right")
    for outcome, count in counts.items():
        style = "red" if outcome == "failed" and count else None
        table.add_row(LABELS.get(outcome, outcome), str(count), style=style)
    total = sum(counts.values())
    table.add_row("total", str(total), style="bold", end_section=True)
    console.print(table)
    rate = f" ({total / seconds:.2f}/s)" if seconds > 0 and total else ""
    console.print(f"{total} {unit} in {seconds:.1f} s{rate}")
    if failures:
        failed = Table(title="Failed", title_justify="left", title_style="bold red")
        failed.add_column("Item", overflow="fold")
        failed.add_column("Reason", overflow="fold")
        for name, reason in failures:
            failed.add_row(escape(name), escape(reason))
        console.print(failed)


def print_model(model: BaseModel, title: str) -> None:
    """A pydantic model as tables: its scalar fields in one, each mapping field in its own."""
    console = stdout()
    scalars = Table(title=title, title_justify="left", show_header=False)
    scalars.add_column("Field", style="bold")
    scalars.add_column("Value", overflow="fold")
    mappings: list[Table] = []
    for name, value in model.model_dump(mode="python").items():
        label = name.replace("_", " ")
        if isinstance(value, Mapping):
            table = Table()
            table.add_column(label)
            table.add_column("count", justify="right")
            for key, item in value.items():
                table.add_row(escape(str(key)), _cell(item))
            mappings.append(table)
        else:
            scalars.add_row(label, _cell(value))
    console.print(scalars)
    for table in mappings:
        console.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return escape(str(value))
