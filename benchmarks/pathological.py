"""Inputs that used to cost quadratic time, each timed next to prose of the same size.

Run ``python -m benchmarks.pathological [--nlp-chars N] [--database-url URL]``. Every input
class of issue 16 item 4 at the size the API lets reach the code in question:

- markup stripping of a plain-text body (``clean_article``): the body limit (5 MB);
- HTML extraction (``parse_html``): the body limit;
- PostgreSQL indexing (``to_tsvector`` of ``indexed_text``) and snippets (``ts_headline``, as
  search asks for them): the longest body extraction accepts (1,000,000 characters);
- NLP and extraction (``extract_parsed``): ``--nlp-chars`` (default 1,000,000, the most
  extraction accepts; at least tens of seconds per row).

Prose is the Wikinews fixtures (CC BY 2.5) repeated to the same size. Each input is also
timed at a quarter of the size: linear work grows about ×4 from there, quadratic ×16. The
ratio is the pathological time over the prose time, in the same run.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIKINEWS = ROOT / "tests" / "fixtures" / "wikinews"


Row = tuple[str, str, float, float, float]  # input, size, time, time at 1/4 size, prose


def prose(size: int) -> str:
    """Wikinews article bodies (no titles), repeated to ``size`` characters."""
    bodies = [
        path.read_text("utf-8").split("\n\n", 1)[-1] for path in sorted(WIKINEWS.glob("*.txt"))
    ]
    text = "\n\n".join(bodies)
    return (text * (size // len(text) + 1))[:size]


def repeated(unit: str, size: int) -> str:
    return unit * (size // len(unit))


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def markup_rows(size: int) -> Iterator[Row]:
    from app.kb.intake import strip_markup

    # Prose with its paragraphs in <p> tags: text without any "<" is returned at once.
    text = "".join(f"<p>{p}</p>\n" for p in prose(size).split("\n\n"))[:size]
    base = timed(lambda: strip_markup(text))
    for unit in ("<!--", "<script ", "<a ", "<!["):
        full, quarter = (timed(partial(strip_markup, repeated(unit, n))) for n in (size, size // 4))
        yield (f"strip_markup {unit!r}", f"{size:,} chars", full, quarter, base)


def html_rows(size: int) -> Iterator[Row]:
    from app.extract.html import parse_html

    paragraphs = "".join(f"<p>{p}</p>\n" for p in prose(size).split("\n\n"))
    page = "<html><body><article>{}</article></body></html>"
    good = page.format(paragraphs[:size])
    base = timed(lambda: parse_html(good))
    for unit in ("<div ", "<p>&lt;!--", "<div>"):
        full, quarter = (
            timed(partial(parse_html, page.format(repeated(unit, n)))) for n in (size, size // 4)
        )
        yield (f"parse_html {unit!r}", f"{size:,} bytes", full, quarter, base)


def postgres_rows(url: str, size: int) -> Iterator[Row]:
    from sqlalchemy import create_engine, text

    from app.db.fts import indexed_text
    from app.kb.search.relevance import SNIPPET_SOURCE_CHARS

    vector = f"SELECT length(to_tsvector('english', {indexed_text(':body')})::text)"
    headline = (
        "SELECT ts_headline('english', "
        f"{indexed_text(f'left(:body, {SNIPPET_SOURCE_CHARS})')}, "
        "websearch_to_tsquery('english', 'minister'), 'MaxWords=35, MinWords=15, MaxFragments=2')"
    )
    engine = create_engine(url)
    with engine.connect() as connection:

        def run(sql: str, body: str) -> float:
            return timed(lambda: connection.execute(text(sql), {"body": body}).scalar())

        for name, sql in (("to_tsvector", vector), ("ts_headline", headline)):
            base = run(sql, prose(size))
            for unit in ("<!--", "&lt;!--"):
                full, quarter = (run(sql, repeated(unit, n)) for n in (size, size // 4))
                yield (f"{name} {unit!r}", f"{size:,} chars", full, quarter, base)
    engine.dispose()


def nlp_rows(size: int) -> Iterator[Row]:
    from app.extract.document import parse_document
    from app.extract.nlp import get_nlp
    from app.extract.pipeline import extract_parsed

    get_nlp()  # loaded once, outside the timings

    def extract(text: str) -> float:
        parsed = parse_document(text=text)
        return timed(lambda: extract_parsed([parsed]))

    base = extract(prose(size))
    for unit in ('"Foo ', "Foo ", "'\"a\" '", '"a" '):
        full, quarter = (extract(repeated(unit, n)) for n in (size, size // 4))
        yield (f"extraction {unit!r}", f"{size:,} chars", full, quarter, base)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--body-bytes", type=int, default=5_000_000)
    parser.add_argument("--html-bytes", type=int, default=5_000_000)
    parser.add_argument("--text-chars", type=int, default=1_000_000)
    parser.add_argument("--nlp-chars", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("NEWSKB_DATABASE_URL", ""))
    parser.add_argument(
        "--skip", nargs="*", default=[], choices=["markup", "html", "postgres", "nlp"]
    )
    args = parser.parse_args()
    print("| input | size | time (s) | growth from 1/4 size | prose, same size (s) | ratio |")
    print("|---|---|---:|---:|---:|---:|", flush=True)
    parts: list[tuple[str, Callable[[], Iterator[Row]]]] = [
        ("markup", lambda: markup_rows(args.body_bytes)),
        ("html", lambda: html_rows(args.html_bytes)),
        ("postgres", lambda: postgres_rows(args.database_url, args.text_chars)),
        ("nlp", lambda: nlp_rows(args.nlp_chars)),
    ]
    for part, rows in parts:
        if part in args.skip or (
            part == "postgres" and not args.database_url.startswith("postgresql")
        ):
            continue
        for name, size, seconds, quarter, base in rows():
            growth, ratio = seconds / max(quarter, 1e-6), seconds / base
            cells = f"{seconds:.2f} | ×{growth:.1f} | {base:.2f} | {ratio:.2f}"
            print(f"| {name} | {size} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
