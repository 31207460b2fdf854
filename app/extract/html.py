"""HTML → ``ParsedArticle`` through trafilatura, falling back to the page's visible text.

trafilatura finds the main text and the metadata (title, date, authors, site name, categories,
tags, description). Its XML output keeps headings (``<head>``) in place, so they become subheads
in the body; the ``<h1>`` that repeats the title is dropped. trafilatura ignores ``<figcaption>``,
so captions are read from the page's ``<figure>`` elements with lxml, credits split off as in
plain text ("… Photo: AP"). When trafilatura finds no main text (tiny pages), the visible text
(scripts, styles and templates removed, one line per block element) goes through ``parse_text``.
Empty or unparsable input gives an empty body rather than an error: the caller rejects it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

from lxml import etree
from lxml import html as lxml_html

from app.extract.parse import (
    PUBLISHERS,
    normalize,
    parse_date_line,
    parse_text,
    source_from_url,
    split_credit,
    split_names,
)
from app.extract.types import Image, ParsedArticle

_INVISIBLE = ("script", "style", "noscript", "template", "svg", "iframe", "head", "button", "form")
_BLOCKS = frozenset(
    [
        "p",
        "div",
        "section",
        "article",
        "header",
        "footer",
        "aside",
        "nav",
        "main",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "figure",
        "figcaption",
        "blockquote",
        "pre",
        "table",
        "tr",
        "td",
        "th",
        "br",
        "hr",
        "address",
        "time",
    ]
)
_TIMESTAMP_META = (
    "article:published_time",
    "og:article:published_time",
    "datePublished",
    "pubdate",
    "publishdate",
    "date",
    "dc.date",
    "DC.date.issued",
)
_SHORT_TEXT = 300  # characters of main text under which trafilatura's guess is not trusted
_SPACE = re.compile(r"\s+")


def parse_html(html: str, *, url: str | None = None) -> ParsedArticle:
    """Parse a news page's HTML; never raises for ordinary bad HTML."""
    if not html or not html.strip():
        return ParsedArticle(body="", url=url)
    try:
        root = lxml_html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return ParsedArticle(body="", url=url)
    import trafilatura  # ~0.5 s to import: only processes that parse HTML pay for it

    xml = trafilatura.extract(
        html,
        url=url,
        output_format="xml",
        include_images=True,
        include_comments=False,
        include_tables=False,
        with_metadata=True,
    )
    doc = _xml(xml)
    main = doc.find("main") if doc is not None else None
    if doc is None or main is None:
        return _fallback(root, url)
    title = _attr(doc, "title")
    paragraphs, subheads = _main_paragraphs(main, title)
    if sum(map(len, paragraphs)) < _SHORT_TEXT and len(paragraphs) < 2:
        # tiny pages: trafilatura's baseline glues blocks together; the visible text does not
        fallback = _fallback(root, url)
        paragraphs = fallback.body.split("\n\n") if fallback.body else paragraphs
        title = title or fallback.title
        subheads = {index for index, text in enumerate(paragraphs) if text in fallback.subheads}
    body, spans = _join(paragraphs, subheads)
    page_url = url or _attr(doc, "url")
    source_name, source_domain = source_from_url(page_url)
    if source_domain is not None and source_domain not in PUBLISHERS:
        source_name = _attr(doc, "sitename") or source_name
    categories = _list_attr(doc, "categories")
    tags = _list_attr(doc, "tags")
    authors = split_names(_attr(doc, "author") or "")
    return ParsedArticle(
        body=body,
        title=title,
        teaser=_attr(doc, "description"),
        published_at=_published(root, _attr(doc, "date")),
        url=page_url,
        source_name=source_name or _attr(doc, "sitename"),
        source_domain=source_domain,
        section=categories[0] if categories else None,
        tags=tuple(dict.fromkeys([*categories[1:], *tags])),
        authors=tuple(authors[0]),
        agencies=tuple(authors[1]),
        images=_figures(root),
        subheads=tuple(paragraphs[i] for i in sorted(subheads)),
        subhead_spans=spans,
        language=_language(root),
    )


def _xml(xml: str | None) -> etree._Element | None:
    if not xml:
        return None
    try:
        return etree.fromstring(xml.encode("utf-8"))
    except etree.XMLSyntaxError:
        return None


def _attr(element: etree._Element, name: str) -> str | None:
    value = element.get(name)
    return normalize(value) or None if value else None


def _list_attr(element: etree._Element, name: str) -> list[str]:
    return [item.strip() for item in (element.get(name) or "").split(",") if item.strip()]


def _text(element: etree._Element) -> str:
    return _SPACE.sub(" ", normalize("".join(element.itertext()))).strip()


def _main_paragraphs(main: etree._Element, title: str | None) -> tuple[list[str], set[int]]:
    """Paragraphs of trafilatura's ``<main>``, and the indexes of those that are headings."""
    paragraphs: list[str] = []
    subheads: set[int] = set()
    for child in main:
        if child.tag in ("graphic", "table"):
            continue
        items = list(child.iter("item")) if child.tag == "list" else [child]
        for item in items:
            text = _text(item)
            if not text:
                continue
            if child.tag == "head":
                if not paragraphs and title and text.casefold() == title.casefold():
                    continue  # the page's <h1>: already the title
                subheads.add(len(paragraphs))
            paragraphs.append(text)
    return paragraphs, subheads


def _join(paragraphs: list[str], subheads: set[int]) -> tuple[str, tuple[tuple[int, int], ...]]:
    spans: list[tuple[int, int]] = []
    offset = 0
    for index, paragraph in enumerate(paragraphs):
        if index in subheads:
            spans.append((offset, offset + len(paragraph)))
        offset += len(paragraph) + 2
    return "\n\n".join(paragraphs), tuple(spans)


def _published(root: etree._Element, day: str | None) -> datetime | None:
    """trafilatura's date (a day); a full timestamp from the page's meta tags when it agrees."""
    found = parse_date_line(day) if day else None
    for name in _TIMESTAMP_META:
        for meta in root.xpath(
            f'//meta[@property="{name}" or @name="{name}" or @itemprop="{name}"]'
        ):
            stamp = _timestamp(meta.get("content") or "")
            if stamp and (found is None or stamp.date() == found.date()):
                return stamp
    return found


def _timestamp(value: str) -> datetime | None:
    try:
        stamp = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp.astimezone(UTC) if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _figures(root: etree._Element) -> tuple[Image, ...]:
    images: list[Image] = []
    for caption_element in root.iter("figcaption"):
        text = _text(caption_element)
        if text:
            caption, credit = split_credit(text)
            images.append(Image(caption=caption, credit=credit))
    return tuple(images)


def _language(root: etree._Element) -> str:
    lang = (root.get("lang") or "").strip().lower()
    return lang.split("-")[0] if re.fullmatch(r"[a-z]{2,3}(?:-[a-z0-9]+)*", lang) else "en"


def _fallback(root: etree._Element, url: str | None) -> ParsedArticle:
    """The page's visible text, one line per block element, through ``parse_text``."""
    page_title = normalize(root.findtext(".//title") or "") or None
    for element in list(root.iter(*_INVISIBLE, etree.Comment, etree.ProcessingInstruction)):
        if element.getparent() is not None:
            element.drop_tree()  # keeps the element's tail text
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag in _BLOCKS:
            element.tail = "\n\n" + (element.tail or "")
    parsed = parse_text(root.text_content())
    name, domain = source_from_url(url)
    return replace(
        parsed,
        title=parsed.title or page_title,
        url=url or parsed.url,
        source_name=name or parsed.source_name,
        source_domain=domain or parsed.source_domain,
    )
