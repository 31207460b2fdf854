"""Body extraction from HTML pages: ours (``parse_html``) against bare trafilatura, same run.

Run ``python -m benchmarks.html_body [FOLDER ...] [--json] [--verbose]``. Each page is a
``NAME.html`` file with its gold next to it: ``NAME.json`` (``{"body": ..., "with": [...],
"without": [...]}``, the format of ``tests/fixtures/html/``) or ``NAME.txt`` (the gold body only).
``with``/``without`` are snippets that must / must not be in the body (trafilatura's own
evaluation style); ``without`` defaults to nothing and ``with`` to nothing.

Systems, all on the same bytes:
- ``ours``: ``decode_html`` + ``parse_html`` (the real ingest path), its ``body``;
- ``trafilatura``: ``trafilatura.extract(page_bytes)`` with its defaults;
- ``trafilatura --no-comments --no-tables``: the options that ``parse_html`` passes;
- ``trafilatura --precision`` / ``--recall``: its ``favor_precision`` / ``favor_recall``.

Scores, micro-averaged over the pages: word-level precision / recall / F1 of the body against
the gold body (bags of case-folded words); ``with`` snippets found and ``without`` snippets
leaked; boilerplate lines (output paragraphs with under half of their words in the gold body);
pages with an empty output. Default folder: ``tests/fixtures/html`` (our own invented pages).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FOLDER = ROOT / "tests" / "fixtures" / "html"
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Page:
    name: str
    html: bytes
    body: str
    url: str | None = None
    with_: tuple[str, ...] = ()
    without: tuple[str, ...] = ()


@dataclass
class Tally:
    """Counts summed over pages for one system."""

    overlap: int = 0
    predicted: int = 0
    gold: int = 0
    with_found: int = 0
    with_total: int = 0
    without_leaked: int = 0
    without_total: int = 0
    boilerplate_lines: int = 0
    lines: int = 0
    empty: int = 0
    seconds: float = 0.0
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)

    def prf(self) -> tuple[float, float, float]:
        p = self.overlap / self.predicted if self.predicted else 0.0
        r = self.overlap / self.gold if self.gold else 0.0
        return p, r, 2 * p * r / (p + r) if p + r else 0.0


def words(text: str) -> Counter[str]:
    return Counter(_WORD.findall(text.casefold()))


def contains(text: str, snippet: str) -> bool:
    """Whole-word containment, case-sensitive ("urkey" is not in "Turkey")."""
    return re.search(rf"(?<!\w){re.escape(snippet)}(?!\w)", text) is not None


def load_pages(folders: list[Path]) -> list[Page]:
    pages: list[Page] = []
    for folder in folders:
        for path in sorted(folder.glob("*.html")):
            meta = path.with_suffix(".json")
            text = path.with_suffix(".txt")
            if meta.exists():
                data = json.loads(meta.read_text(encoding="utf-8"))
                pages.append(
                    Page(
                        name=path.stem,
                        html=path.read_bytes(),
                        body=data["body"],
                        url=data.get("url"),
                        with_=tuple(data.get("with", ())),
                        without=tuple(data.get("without", ())),
                    )
                )
            elif text.exists():
                pages.append(Page(path.stem, path.read_bytes(), text.read_text(encoding="utf-8")))
    return pages


def systems() -> dict[str, Callable[[Page], str]]:
    import trafilatura

    from app.extract.html import decode_html, parse_html

    def ours(page: Page) -> str:
        return parse_html(decode_html(page.html), url=page.url).body

    def bare(**options: Any) -> Callable[[Page], str]:
        def run(page: Page) -> str:
            return trafilatura.extract(page.html, url=page.url, **options) or ""

        return run

    return {
        "ours": ours,
        "trafilatura": bare(),
        "trafilatura --no-comments --no-tables": bare(include_comments=False, include_tables=False),
        "trafilatura --precision": bare(favor_precision=True),
        "trafilatura --recall": bare(favor_recall=True),
    }


def score_page(tally: Tally, page: Page, output: str) -> None:
    gold_words = words(page.body)
    out_words = words(output)
    overlap = sum((gold_words & out_words).values())
    tally.overlap += overlap
    tally.predicted += sum(out_words.values())
    tally.gold += sum(gold_words.values())
    found = [s for s in page.with_ if contains(output, s)]
    leaked = [s for s in page.without if contains(output, s)]
    tally.with_found += len(found)
    tally.with_total += len(page.with_)
    tally.without_leaked += len(leaked)
    tally.without_total += len(page.without)
    lines = [line for line in re.split(r"\n+", output) if _WORD.search(line)]
    boilerplate = [line for line in lines if _outside_gold(line, gold_words)]
    tally.boilerplate_lines += len(boilerplate)
    tally.lines += len(lines)
    tally.empty += not output.strip()
    tally.pages[page.name] = {
        "words": sum(out_words.values()),
        "overlap": overlap,
        "gold_words": sum(gold_words.values()),
        "leaked": leaked,
        "boilerplate_lines": boilerplate,
    }


def _outside_gold(line: str, gold_words: Counter[str]) -> bool:
    line_words = _WORD.findall(line.casefold())
    inside = sum(1 for word in line_words if word in gold_words)
    return inside * 2 < len(line_words)


def run(pages: list[Page]) -> dict[str, Tally]:
    tallies: dict[str, Tally] = {}
    for name, extract in systems().items():
        tally = tallies.setdefault(name, Tally())
        for page in pages:
            started = time.perf_counter()
            try:
                output = extract(page)
            except Exception as exc:  # a crash is an empty output, reported
                print(f"{name} failed on {page.name}: {exc!r}", file=sys.stderr)
                output = ""
            tally.seconds += time.perf_counter() - started
            score_page(tally, page, output)
    return tallies


def report(tallies: dict[str, Tally], pages: int) -> str:
    header = (
        f"{'system':40} {'P':>6} {'R':>6} {'F1':>6} {'with':>7} {'leaked':>8} "
        f"{'boiler':>8} {'empty':>5} {'s':>6}"
    )
    rows = [f"{pages} pages", header, "-" * len(header)]
    for name, tally in tallies.items():
        p, r, f = tally.prf()
        rows.append(
            f"{name:40} {p:6.3f} {r:6.3f} {f:6.3f} "
            f"{tally.with_found:>3}/{tally.with_total:<3} "
            f"{tally.without_leaked:>3}/{tally.without_total:<4} "
            f"{tally.boilerplate_lines:>3}/{tally.lines:<4} {tally.empty:>5} {tally.seconds:6.2f}"
        )
    rows.append(
        "with: gold snippets found; leaked: `without` snippets in the body; "
        "boiler: output lines mostly outside the gold body"
    )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, default=[DEFAULT_FOLDER])
    parser.add_argument("--json", action="store_true", help="one JSON document")
    parser.add_argument("--verbose", action="store_true", help="leaks per page as well")
    args = parser.parse_args(argv)
    pages = load_pages(args.folders)
    if not pages:
        print("no NAME.html with a NAME.json or NAME.txt gold found", file=sys.stderr)
        return 2
    tallies = run(pages)
    if args.json:
        print(
            json.dumps(
                {
                    name: {
                        "precision": t.prf()[0],
                        "recall": t.prf()[1],
                        "f1": t.prf()[2],
                        "with_found": t.with_found,
                        "with_total": t.with_total,
                        "without_leaked": t.without_leaked,
                        "without_total": t.without_total,
                        "boilerplate_lines": t.boilerplate_lines,
                        "lines": t.lines,
                        "empty": t.empty,
                        "pages": t.pages,
                    }
                    for name, t in tallies.items()
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    print(report(tallies, len(pages)))
    if args.verbose:
        for name, tally in tallies.items():
            for page, detail in tally.pages.items():
                if detail["leaked"] or detail["boilerplate_lines"]:
                    print(f"\n[{name}] {page}: leaked {detail['leaked']}")
                    for line in detail["boilerplate_lines"]:
                        print(f"    | {line[:120]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
