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

import codecs
import re
from copy import deepcopy
from dataclasses import replace
from datetime import UTC, datetime

from lxml import etree
from lxml import html as lxml_html

from app.extract.furniture import (
    drop_keeping_tail,
    furniture,
    has_any_token,
    is_label,
    main_content,
    merge_drop_caps,
    strip_furniture,
)
from app.extract.markup import strip_markup
from app.extract.parse import (
    PUBLISHERS,
    is_crumb,
    normalize,
    parse_date_line,
    parse_text,
    source_from_url,
    split_credit,
    split_dateline,
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
_XML_DECLARATION = re.compile(r"\s*<\?xml\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<(?P<close>/?)(?P<name>[A-Za-z][A-Za-z0-9]*)\b[^>]*?(?P<self>/?)>")
# Tags that never count as nesting: void elements, elements HTML closes by itself (a new <p> or
# <li> ends the last one) and the page's skeleton. Any other element, custom ones included,
# is a wrapper whose tags are dropped past ``_NESTING_LIMIT`` levels.
_NOT_WRAPPERS = frozenset(
    "area base br col embed hr img input link meta param source track wbr "
    "html head body title script style template p li dt dd tr td th thead tbody tfoot "
    "option optgroup colgroup caption rb rt rtc rp".split()
)
_NESTING_LIMIT = 100
_LOOSE_TEXT_CONTAINERS = (
    "div",
    "section",
    "article",
    "main",
    "td",
    "th",
    "li",
    "blockquote",
    "body",
    "header",
    "footer",
)
_BLOCK_LEVEL = frozenset(
    "p div section article main aside header footer nav h1 h2 h3 h4 h5 h6 ul ol dl table "
    "blockquote figure pre hr address form".split()
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CHARSET = re.compile(
    rb"""<(?:meta|\?xml)\b[^>]*?(?:charset|encoding)\s*=\s*["']?(?P<charset>[\w.:-]{2,40})""", re.I
)
_CHARSET_WINDOW = 4096  # bytes: where the page must declare its charset (1024 in the standard)
_WINDOWS_1252_ALIASES = frozenset(
    [
        "iso-8859-1",
        "iso8859-1",
        "latin1",
        "latin-1",
        "l1",
        "ascii",
        "us-ascii",
        "windows-1252",
        "cp1252",
        "x-cp1252",
    ]
)
_CREDIT_TOKENS = (("credit",), ("copyright",), ("source",), ("attribution",), ("photographer",))
_MAJORITY = 0.5
_LABELLED = re.compile(r"(?P<label>[^,:]{1,40})[,:]\s+(?P<rest>.+)", re.DOTALL)
_SHORT_TEXT = 300  # characters of main text under which trafilatura's guess is not trusted
_SPACE = re.compile(r"\s+")


def parse_html(html: str, *, url: str | None = None) -> ParsedArticle:
    """Parse a news page's HTML; never raises for ordinary bad HTML."""
    root = load_tree(html)
    if root is None:
        return ParsedArticle(body="", url=url)
    merge_drop_caps(root)
    wrap_loose_text(root)
    split_double_breaks(root)
    strip_furniture(root)
    content = main_content(root)
    images = _figures(content if content is not None else root)
    import trafilatura  # ~0.5 s to import: only processes that parse HTML pay for it

    xml = trafilatura.extract(
        root,
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
        return replace(_fallback(root, url), images=images)
    title = _attr(doc, "title")
    teaser = _attr(doc, "description")
    blocks = _own_blocks(_main_blocks(main), content)
    if sum(len(text) for text, _ in blocks) < _SHORT_TEXT and len(blocks) < 2:
        # tiny pages: trafilatura's baseline glues blocks together; the visible text does not
        fallback = _fallback(deepcopy(root), url)
        if fallback.body:
            blocks = [(text, text in fallback.subheads) for text in fallback.body.split("\n\n")]
        title = title or fallback.title
    title, teaser = _plain(title), _plain(teaser)
    blocks = [(text, head) for text, head in ((_plain(t), h) for t, h in blocks) if text]
    blocks, teaser = _without_title_and_teaser(blocks, title, teaser, root)
    dateline, dateline_agencies = _dateline(blocks)
    body, spans = _join(blocks)
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
        teaser=teaser,
        published_at=_published(root, _attr(doc, "date")),
        url=page_url,
        source_name=source_name or _attr(doc, "sitename"),
        source_domain=source_domain,
        section=categories[0] if categories else None,
        tags=tuple(dict.fromkeys([*categories[1:], *tags])),
        authors=tuple(authors[0]),
        agencies=tuple(dict.fromkeys([*dateline_agencies, *authors[1]])),
        images=images,
        subheads=tuple(text for text, head in blocks if head),
        subhead_spans=spans,
        language=_language(root),
        dateline=dateline,
    )


def decode_html(data: bytes, declared: str | None = None) -> str:
    """A page's bytes as text, the way a browser picks the encoding (simplified).

    A byte-order mark wins; then bytes that are valid UTF-8 are UTF-8 (pages often declare a
    legacy charset they do not use); then the charset declared by the caller (the HTTP
    ``Content-Type``), then the one the page declares (``<meta charset>``, ``http-equiv``, or an
    XML declaration); then windows-1252. ``iso-8859-1`` and ``ascii`` read as windows-1252, as
    the HTML standard says. Undecodable bytes become U+FFFD rather than an error.
    """
    for bom, bom_codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(bom_codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    match = _CHARSET.search(data[:_CHARSET_WINDOW])
    in_page = match["charset"].decode("ascii") if match else None
    for name in (declared, in_page):
        codec = charset_codec(name)
        if codec is not None and codec != "utf-8":
            return data.decode(codec, errors="replace")
    return data.decode("cp1252", errors="replace")


def charset_codec(name: str | None) -> str | None:
    """The Python codec of a charset label, as browsers map them (Latin-1 reads as windows-1252)."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    if name in _WINDOWS_1252_ALIASES:
        return "cp1252"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def load_tree(html: str) -> lxml_html.HtmlElement | None:
    """The page as an lxml tree; None for empty or unparsable input.

    A byte-order mark and an XML declaration are removed first (lxml refuses a ``str`` that
    declares its encoding), and wrappers nested deeper than libxml2 keeps are flattened.
    """
    text = _XML_DECLARATION.sub("", html.lstrip("\ufeff"), count=1)
    if not text.strip():
        return None
    try:
        return lxml_html.document_fromstring(flatten_nesting(text))
    except (etree.ParserError, ValueError):
        return None


def flatten_nesting(html: str, limit: int = _NESTING_LIMIT) -> str:
    """Drop the tags of wrapper elements opened ``limit`` deep or deeper, keeping their text.

    libxml2 stops building the tree at depth 256 (text below is lost) and trafilatura slows
    down sharply on deep trees; thousands of nested ``div``s carry no structure worth keeping.
    A dropped tag becomes a space, so the texts it separated stay apart.
    """
    if html.count("<") < limit:
        return html
    parts: list[str] = []
    position = 0
    depth = 0
    stacks: dict[str, list[bool]] = {}
    # No tag ends after the last ``>``: searching there made every unclosed ``<div`` rescan
    # the rest of the page (quadratic).
    for match in _TAG.finditer(html, 0, html.rfind(">") + 1):
        name = match["name"].lower()
        if name in _NOT_WRAPPERS or match["self"]:
            continue
        stack = stacks.setdefault(name, [])
        if match["close"]:
            if not stack:
                continue
            kept = stack.pop()
            depth -= kept
        else:
            kept = depth < limit
            stack.append(kept)
            depth += kept
        if not kept:
            parts.append(html[position : match.start()])
            parts.append(" ")
            position = match.end()
    if not parts:
        return html
    parts.append(html[position:])
    return "".join(parts)


def wrap_loose_text(root: etree._Element) -> None:
    """Text sitting beside block children gets a ``<p>`` of its own, as browsers box it.

    trafilatura glues ``<div>Intro text<p>First</p><p>Second</p></div>`` into one paragraph;
    wrapped, every run of loose text and inline elements is a paragraph apart.
    """
    for element in list(root.iter(*_LOOSE_TEXT_CONTAINERS)):
        children = list(element)
        if not any(isinstance(c.tag, str) and c.tag in _BLOCK_LEVEL for c in children):
            continue
        if not (element.text or "").strip() and not any((c.tail or "").strip() for c in children):
            continue
        text, element.text = element.text, None
        for child in children:
            element.remove(child)  # its tail goes with it
        run = _paragraph(element, text) if text and text.strip() else None
        for child in children:
            if isinstance(child.tag, str) and child.tag in _BLOCK_LEVEL:
                if run is not None:
                    element.append(run)
                tail, child.tail = child.tail, None
                element.append(child)
                run = _paragraph(element, tail) if tail and tail.strip() else None
            elif run is None and not "".join(child.itertext()).strip():
                element.append(child)  # an empty inline element or comment opens no paragraph
                if (child.tail or "").strip():
                    tail, child.tail = child.tail, None
                    run = _paragraph(element, tail)
            else:
                run = run if run is not None else _paragraph(element, None)
                run.append(child)
        if run is not None:
            element.append(run)


def _paragraph(parent: etree._Element, text: str | None) -> etree._Element:
    paragraph = parent.makeelement("p", {})
    paragraph.text = text
    return paragraph


def split_double_breaks(root: etree._Element) -> None:
    """``<p>one<br><br>two</p>`` → ``<p>one</p><p>two</p>``: two line breaks end a paragraph.

    trafilatura folds the two breaks into one line break, which reads as a space.
    """
    for br in list(root.iter("br")):
        parent = br.getparent()
        following = br.getnext()
        if (
            parent is None
            or parent.tag not in ("p", "div")
            or parent.getparent() is None
            or following is None
            or following.tag != "br"
            or (br.tail or "").strip()
        ):
            continue
        rest = parent.makeelement(parent.tag, {k: v for k, v in parent.attrib.items() if k != "id"})
        rest.text = following.tail
        for sibling in list(following.itersiblings()):
            rest.append(sibling)
        rest.tail, parent.tail = parent.tail, None
        parent.addnext(rest)
        parent.remove(following)
        parent.remove(br)


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


def _plain(text: str | None) -> str | None:
    """Decoded page text with what reads as markup removed (``&lt;script&gt;`` decodes to a
    tag), as posted plain text is cleaned: the two paths store the same text."""
    if text is None or "<" not in text:
        return text
    return _SPACE.sub(" ", strip_markup(text)).strip() or None


def _text(element: etree._Element) -> str:
    return _SPACE.sub(" ", normalize("".join(element.itertext()))).strip()


def _squash(text: str) -> str:
    """Text compared without whitespace or case: glued and spaced renderings compare equal."""
    return _SPACE.sub("", text).casefold()


def _item_texts(item: etree._Element) -> list[str]:
    """An output element's text; a line break (``<lb/>``) reads as a space, never as glue."""
    for lb in item.iter("lb"):
        lb.tail = " " + (lb.tail or "")
    return [_text(item)]


def _main_blocks(main: etree._Element) -> list[tuple[str, bool]]:
    """trafilatura's ``<main>`` as (text, is a heading) blocks; labels and crumbs dropped."""
    blocks: list[tuple[str, bool]] = []
    for child in main:
        if child.tag in ("graphic", "table"):
            continue
        items = list(child.iter("item")) if child.tag == "list" else [child]
        for item in items:
            for text in _item_texts(item):
                if text and not is_label(text) and not is_crumb(text):
                    blocks.append((text, child.tag == "head"))
    return blocks


def _own_blocks(
    blocks: list[tuple[str, bool]], content: etree._Element | None
) -> list[tuple[str, bool]]:
    """Only blocks printed inside the article's own element, when the page has one."""
    if content is None:
        return blocks
    inside = _squash(normalize(" ".join(content.itertext())))  # as the blocks were cleaned
    own = [block for block in blocks if _squash(block[0]) in inside]
    kept = sum(len(text) for text, _ in own)
    # a wrong guess of the article's element must not cost the body: keep most of it or nothing
    return own if kept >= _MAJORITY * sum(len(text) for text, _ in blocks) else blocks


def _without_title_and_teaser(
    blocks: list[tuple[str, bool]],
    title: str | None,
    teaser: str | None,
    root: etree._Element,
) -> tuple[list[tuple[str, bool]], str | None]:
    """Drop the headline and the standfirst when the body repeats them at its start.

    A first paragraph equal to the page's description is a standfirst (dropped from the body)
    when the page prints it as one (a standfirst class, or inside ``<header>``); otherwise it is
    the lead paragraph, which stays in the body, and the description is not kept as a teaser.
    """
    headlines = {_squash(text) for text in (title, *map(_text, root.iter("h1"))) if text}
    repeats = headlines | ({_squash(teaser)} if teaser else set())
    blocks = list(blocks)
    while blocks and _squash(blocks[0][0]) in repeats:
        if _squash(blocks[0][0]) in headlines:
            blocks.pop(0)
            continue
        if _printed_as_standfirst(blocks[0][0], root):
            blocks.pop(0)
        else:
            teaser = None
            break
    return blocks, teaser


def _printed_as_standfirst(text: str, root: etree._Element) -> bool:
    target = _squash(text)
    standfirst = furniture().standfirst
    for element in root.iter("p", "div", "h2", "span"):
        if _squash(_text(element)) != target:
            continue
        for node in (element, *element.iterancestors()):
            if node.tag == "header" or has_any_token(node, standfirst):
                return True
    return False


def _dateline(blocks: list[tuple[str, bool]]) -> tuple[str | None, list[str]]:
    """Remove the dateline opening the first paragraph (in place) → (place, agencies)."""
    for index, (text, head) in enumerate(blocks):
        if head:
            continue
        place, agencies, rest = split_dateline(text)
        if place is None or not rest:
            return None, []
        blocks[index] = (rest, False)
        return place, agencies
    return None, []


def _join(blocks: list[tuple[str, bool]]) -> tuple[str, tuple[tuple[int, int], ...]]:
    spans: list[tuple[int, int]] = []
    offset = 0
    for text, head in blocks:
        if head:
            spans.append((offset, offset + len(text)))
        offset += len(text) + 2
    return "\n\n".join(text for text, _ in blocks), tuple(spans)


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


def _figures(content: etree._Element) -> tuple[Image, ...]:
    """Captions of the figures inside the article's own element (galleries are gone by now).

    A part of the caption marked as a credit (class ``credit``, ``copyright``...) is the credit;
    otherwise a trailing "Photo: X" is split off as in plain text.
    """
    images: list[Image] = []
    for element in content.iter("figcaption"):
        credits: list[str] = []
        stack = list(element)
        while stack:
            part = stack.pop()
            if has_any_token(part, _CREDIT_TOKENS):
                credits.insert(0, _text(part))
                drop_keeping_tail(part)
            else:
                stack.extend(part)
        text = _caption_text(element)
        labelled = _LABELLED.fullmatch(text)
        if labelled and is_label(labelled["label"]):
            text = labelled["rest"]  # "Media caption, Leila Hassan says..." printed as one text
        if not text or is_label(text):
            continue
        caption, credit = split_credit(text)
        credit = " ".join(c for c in credits if c and not is_label(c)) or credit
        images.append(Image(caption=caption, credit=credit))
    return tuple(images)


def _caption_text(element: etree._Element) -> str:
    """A caption's text with its blocks and labels apart: never "LondonReuters"."""
    chunks: list[str] = [element.text or ""]
    for child in element:
        text = _text(child)
        separate = child.tag in _BLOCKS or child.tag in ("span", "small", "cite", "em")
        if text and not is_label(text):
            chunks.append(f" {text} " if separate else text)
        chunks.append(child.tail or "")
    return _SPACE.sub(" ", normalize("".join(chunks))).strip()


def _language(root: etree._Element) -> str | None:
    """The page's declared language (``<html lang>``), None when it declares none."""
    lang = (root.get("lang") or "").strip().lower()
    return lang.split("-")[0] if re.fullmatch(r"[a-z]{2,3}(?:-[a-z0-9]+)*", lang) else None


def _fallback(root: etree._Element, url: str | None) -> ParsedArticle:
    """The page's visible text, one line per block element, through ``parse_text``."""
    page_title = _plain(normalize(root.findtext(".//title") or "") or None)
    for element in list(root.iter(*_INVISIBLE, etree.Comment, etree.ProcessingInstruction)):
        if element.getparent() is not None:
            element.drop_tree()  # keeps the element's tail text
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag in _BLOCKS:
            element.tail = "\n\n" + (element.tail or "")
    parsed = parse_text(strip_markup(root.text_content()))
    name, domain = source_from_url(url)
    return replace(
        parsed,
        title=parsed.title or page_title,
        url=url or parsed.url,
        source_name=name or parsed.source_name,
        source_domain=domain or parsed.source_domain,
    )
