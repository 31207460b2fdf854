"""PLACEHOLDER: being written (issue 2)."""

from app.extract.types import ParsedArticle


def parse_text(text: str) -> ParsedArticle:
    return ParsedArticle(body=text.strip())
