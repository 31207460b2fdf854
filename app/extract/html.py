"""PLACEHOLDER: being written (issue 2)."""

from app.extract.types import ParsedArticle


def parse_html(html: str, *, url: str | None = None) -> ParsedArticle:
    return ParsedArticle(body=html, url=url)
