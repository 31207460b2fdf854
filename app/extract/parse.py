"""Plain text → ``ParsedArticle``: strip page furniture from scraped news text, keep the article.

The input is what a user pastes: anything from a clean "title, blank line, body" file to a whole
news page copied as text. Every rule below is a general heuristic about news pages, never a rule
for one site, and each one is conservative, because losing body text is worse than keeping a crumb:

* **Normalization**: Unicode NFC, any line break (CRLF, CR, U+2028...) → ``\\n``, runs of spaces
  (NBSP, thin spaces, tabs) → one space, zero-width spaces/BOM and control characters dropped.
  Letters, quotes and dashes are never rewritten.
* **Crumbs**: whole lines that are navigation ("1. Skip to content", "Skip to main menu",
  "Advertisement", "Share this article", "Back to top"...) or widget labels ("Media caption",
  "Slideshow ( 15 images )", "4 min read": ``patterns/furniture.txt``) are dropped anywhere.
* **Head** (the first lines, until the body starts): an optional section line before the title
  (breadcrumbs "World > Europe", or a glued "PoliticsBelarus" split at lower→upper case), the
  title (the first short line without a final full stop), a date line (any format dateparser reads
  with day, month and year, optionally after "Date:", "Published:", "Updated:"...), a byline
  ("By Jane Doe and John Roe") and a URL-only line (the short link). Prose found *between* two of
  these metadata lines is the teaser; prose after the last one is body.
* **Images**: a line ending in a credit marker ("…Image: AP", "Photo: Reuters", "Credit: X") is an
  image caption with its credit; the line just before it in the same block (no blank line between)
  is the image's alt text, which pages print twice, so it is dropped.
* **Tail**: trailing credit lines ("ar/mm (AFP, Reuters)", "(AFP, dpa)", "Reporting by X; Editing by
  Y", a lone "Reuters") give authors and agencies; on pages with furniture, headings left with no
  paragraph after them (a related-content box) are dropped.
* **Subheads**: a single short line (≤ 12 words, no final . , ; : or quote) between paragraphs and
  followed by prose stays in the body; its ``[start, end)`` goes into ``subhead_spans``.
* **Dateline**: "LOS ANGELES (Reuters) -", "WASHINGTON (AP) —", "LONDON, Jan 5 (Reuters) -" or
  "SALVADOR, Feb 26 -" opening the first paragraph gives the article's place (``dateline``) and
  agency, and is removed from the body so that it never joins the first sentence's entities.
* **Repeats**: a first body paragraph that repeats the title or the teaser is dropped.
* **Paragraphs**: blank lines separate paragraphs; inside a block, hard-wrapped lines (every line
  short, few ending a sentence) are joined with a space, other lines are paragraphs of their own.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import urlsplit

from tld import get_fld

from app.extract.furniture import is_label
from app.extract.types import Image, ParsedArticle

# Known publishers by registered domain; short-link hosts map to their publisher's domain.
# fmt: off
PUBLISHERS: dict[str, str] = {
    "dw.com": "DW", "bbc.co.uk": "BBC", "bbc.com": "BBC", "reuters.com": "Reuters",
    "apnews.com": "AP", "afp.com": "AFP", "aljazeera.com": "Al Jazeera",
    "theguardian.com": "The Guardian", "nytimes.com": "The New York Times",
    "washingtonpost.com": "The Washington Post", "wsj.com": "The Wall Street Journal",
    "ft.com": "Financial Times", "bloomberg.com": "Bloomberg", "economist.com": "The Economist",
    "cnn.com": "CNN", "npr.org": "NPR", "france24.com": "France 24", "euronews.com": "Euronews",
    "rferl.org": "RFE/RL", "politico.com": "Politico", "politico.eu": "Politico Europe",
    "kyivindependent.com": "The Kyiv Independent", "themoscowtimes.com": "The Moscow Times",
    "tass.com": "TASS", "wikinews.org": "Wikinews",
}
# fmt: on
# Short-link hosts → their publisher's domain ("" for shorteners shared by many publishers).
# fmt: off
SHORT_LINK_HOSTS: dict[str, str] = {
    "bbc.in": "bbc.co.uk", "reut.rs": "reuters.com", "apne.ws": "apnews.com",
    "aje.io": "aljazeera.com", "cnn.it": "cnn.com", "nyti.ms": "nytimes.com",
    "wapo.st": "washingtonpost.com", "on.ft.com": "ft.com", "econ.st": "economist.com",
    "gu.com": "theguardian.com", "trib.al": "",
}
# fmt: on
AGENCIES: dict[str, str] = {
    name.casefold(): name
    for name in (
        "AFP",
        "AP",
        "Reuters",
        "dpa",
        "EFE",
        "ANSA",
        "Xinhua",
        "TASS",
        "Interfax",
        "KNA",
        "epd",
        "UPI",
        "PA",
        "Bloomberg",
        "Kyodo",
        "Yonhap",
        "PTI",
        "ANI",
        "IANS",
        "Anadolu",
        "AAP",
        "Belta",
        "Ukrinform",
        "RIA Novosti",
        "Sputnik",
        "APA",
        "CTK",
        "PAP",
        "MTI",
    )
} | {"reuter": "Reuters", "associated press": "AP", "agence france-presse": "AFP"}  # fmt: skip

_CONTROL = re.compile(r"[\u0000-\u0008\u000e-\u001f\u007f\u200b\ufeff]")
_BREAKS = re.compile(r"\r\n?|[\u000b\u000c\u0085\u2028\u2029]")
_SPACES = re.compile(r"[^\S\n]+")
_CRUMB = re.compile(
    r"(?:\d{1,2}[.)]|[-*•·])?\s*(?:skip to [\w ]{2,40}|jump to [\w ]{2,30}|back to top|"
    r"advertisement|advertising|sponsored|share (?:this )?(?:article|story|page|on \w+)|"
    r"print (?:this )?(?:article|page)|close|menu|main menu|toggle navigation|search|"
    r"sign in|log in|subscribe|newsletter|accept (?:all )?cookies|cookie settings)",
    re.IGNORECASE,
)
_URL_LINE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
_DATE_PREFIX = re.compile(
    r"^(?:date|dated|published|posted|updated|last updated|first published|created)"
    r"(?:\s+(?:on|at))?\s*[:\-–]?\s*",
    re.IGNORECASE,
)
_DATE_SETTINGS: dict[str, object] = {
    "RETURN_AS_TIMEZONE_AWARE": True,
    "TIMEZONE": "UTC",
    "TO_TIMEZONE": "UTC",
    "REQUIRE_PARTS": ["day", "month", "year"],
    "PREFER_DATES_FROM": "past",
}
_BYLINE = re.compile(r"(?:by|written by|words by)\s+(?P<names>[A-Z][^.!?:;]{1,80})", re.IGNORECASE)
_NAME_SPLIT = re.compile(r"\s*(?:,|&|\band\b|/)\s*")
_CAPTION = re.compile(
    r"(?P<caption>.*?)\s*\(?\s*(?:Images?|Photos?|Photograph|Pictures?|Credits?|Foto|Bild)\s*:\s*"
    r"(?P<credit>[^:]{2,120}?)\s*\)?\.?"
)
_INITIALS_CREDIT = re.compile(
    r"(?P<authors>[A-Za-z]{1,4}(?:\s?/\s?[A-Za-z]{1,4})*)\s*\((?P<agencies>[^()]{2,80})\)\.?"
    r"|(?P<slashed>[A-Za-z]{1,4}(?:/[A-Za-z]{1,4})+)"
)
_AGENCY_CREDIT = re.compile(
    r"(?:[-–—]\s*)?\(?(?:(?:with|sources?|material from)\s*:?\s*)?"
    r"(?P<agencies>[^()]{2,80})\)?\.?",
    re.IGNORECASE,
)
_REPORTING = re.compile(r"\(?\s*(?:additional )?(?:reporting|writing) by\s+(?P<names>.+)", re.I)
_SENTENCE_END = ('.', '!', '?', '"', '”', '’', "'", ')', ':', ';', ',', '…')  # fmt: skip
_PROSE_ENDS = (".", "!", "?", '"', "”", "’", "'", ")", "…")
_HEADING_NEVER_ENDS = tuple(end for end in _SENTENCE_END if end != "?")  # "What next?" is one
# A title may end in "...", an abbreviation ("TO U.S.") or be all capitals (wire headlines).
_TITLE_STOP = re.compile(r"(?:\.\.\.|(?:\b[A-Z]\.){2,}|^[^a-z]+)$")
_GLUED = re.compile(r"(?<=[a-z])(?=[A-Z])")
# A dateline: a place (optionally ", Region"), an optional date ("Jan 5", "5 Jan", "FEb 26"),
# an optional agency in brackets, then a dash. ``split_dateline`` says which places count.
_MONTH = r"(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-zA-Z]{0,6}\.?"
_NAME_WORDS = r"[A-Z][A-Za-z.'’]*(?:[ -][A-Z][A-Za-z.'’]*)*"
_DATELINE = re.compile(
    rf"(?P<place>{_NAME_WORDS}(?:\s*,\s*{_NAME_WORDS})?)"
    rf"(?P<date>,?\s+(?:{_MONTH}\s+\d{{1,2}}|\d{{1,2}}\s+{_MONTH}))?"
    r"\s*(?:\((?P<agency>[^()]{2,40})\))?\s*(?:-+|–|—)\s+(?=\S)"
)
_AGENCY_NAME = re.compile(r"[A-Z][\w&.'’-]*(?: [A-Z][\w&.'’-]*){0,3}")
_BREADCRUMB_SEP = re.compile(r"\s+(?:>|›|»|\||/|·|•)\s+")


@dataclass(slots=True)
class _Line:
    text: str
    block: int
    indented: bool
    used: bool = False  # consumed as metadata or furniture


def normalize(text: str) -> str:
    """NFC, ``\\n`` line breaks, one space for any run of horizontal whitespace, stripped lines."""
    text = _CONTROL.sub("", _BREAKS.sub("\n", unicodedata.normalize("NFC", text)))
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n")).strip()


def source_from_url(url: str | None) -> tuple[str | None, str | None]:
    """(publisher name, registered domain) for a URL: a known publisher, else the domain."""
    if not url:
        return None, None
    host = (urlsplit(url if "//" in url else f"//{url}").hostname or "").removeprefix("www.")
    if host in SHORT_LINK_HOSTS:
        domain = SHORT_LINK_HOSTS[host] or None
    else:
        domain = get_fld(f"http://{host}", fail_silently=True) or host or None
    if domain is None:
        return None, None
    return PUBLISHERS.get(domain, domain), domain


def parse_date_line(line: str) -> datetime | None:
    """A line that is only a date (with day, month, year; optional time): aware, UTC."""
    candidate = _DATE_PREFIX.sub("", line).strip(" |·•,")
    if not candidate or len(candidate) > 60 or not _YEAR.search(candidate):
        return None
    return _parse_date(candidate)


@lru_cache(maxsize=1024)
def _parse_date(candidate: str) -> datetime | None:
    import dateparser  # slow to import: read-only API processes never parse dates

    parsed = dateparser.parse(candidate, languages=["en"], settings=_DATE_SETTINGS)
    if parsed is None:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _lines(text: str) -> list[_Line]:
    """Normalized non-blank lines, numbered by block (blocks are separated by blank lines)."""
    raw = _CONTROL.sub("", _BREAKS.sub("\n", unicodedata.normalize("NFC", text)))
    lines: list[_Line] = []
    block = 0
    for raw_line in raw.split("\n"):
        clean = _SPACES.sub(" ", raw_line).strip()
        if not clean:
            block += 1
            continue
        lines.append(_Line(clean, block, raw_line[:1].isspace()))
    return lines


def is_crumb(line: str) -> bool:
    """Navigation or a widget label ("Media caption", "Slideshow (15 images)") alone on a line."""
    return (len(line) <= 60 and _CRUMB.fullmatch(line) is not None) or is_label(line)


def _is_title_like(line: str) -> bool:
    words = line.split()
    return (
        0 < len(words) <= 30
        and len(line) <= 200
        and (not line.endswith((".", ",", ";", ":")) or _TITLE_STOP.search(line) is not None)
        and _URL_LINE.fullmatch(line) is None
        and any(ch.isalpha() for ch in line)
    )


def _section_parts(line: str) -> list[str] | None:
    """Breadcrumbs ("World > Europe") or glued labels ("PoliticsBelarus") → their parts."""
    if len(line) > 80 or line.endswith(_SENTENCE_END):
        return None
    parts = [p.strip() for p in _BREADCRUMB_SEP.split(line) if p.strip()]
    if len(parts) < 2:
        parts = [p for p in _GLUED.split(line) if p.strip()]
        if len(parts) < 2 or any(len(p) < 3 or not p[0].isupper() for p in parts):
            return None
    if len(parts) > 6 or any(len(p.split()) > 4 for p in parts):
        return None
    return [p for p in parts if p.casefold() not in {"home", "news"}] or None


def split_names(names: str) -> tuple[list[str], list[str]]:
    """Names from a byline or credit → (people, agencies)."""
    people: list[str] = []
    agencies: list[str] = []
    for name in _NAME_SPLIT.split(names.strip(" .()")):
        name = name.strip(" .")
        if not name:
            continue
        agency = AGENCIES.get(name.casefold())
        (agencies if agency else people).append(agency or name)
    return people, agencies


def _agency_list(text: str) -> list[str] | None:
    """``text`` as a list of agency names, or None when any item is not a known agency."""
    items = [i.strip(" .") for i in re.split(r"\s*(?:,|/|&|\band\b)\s*", text) if i.strip(" .")]
    agencies = [AGENCIES.get(i.casefold()) for i in items]
    return [a for a in agencies if a] if items and all(agencies) else None


def split_dateline(paragraph: str) -> tuple[str | None, list[str], str]:
    """A paragraph opening with a dateline → (place, agencies, the paragraph without it).

    "LONDON, Jan 5 (Reuters) - Prices rose" → ("LONDON", ["Reuters"], "Prices rose"). The place
    is in capitals (with a word of three or more: "U.S." alone is an abbreviation, "The IAAF"
    is not a place), or is followed
    by a date ("Toronto, Feb 26 -") or by a known agency ("London (Reuters) -"). The bracket
    must name an agency, or after a place in capitals a short proper name ("(CNN)").
    """
    match = _DATELINE.match(paragraph)
    if match is None or len(match["place"]) > 60:
        return None, [], paragraph
    place = re.sub(r"\s+,", ",", match["place"])
    head = place.split(",")[0]
    capitals = re.search(r"[A-Z]{3}", head) is not None and not re.search(r"[a-z]", head)
    bracket = (match["agency"] or "").strip()
    known = _agency_list(bracket) if bracket else None
    if bracket and known is None and not (capitals and _AGENCY_NAME.fullmatch(bracket)):
        return None, [], paragraph
    if not (capitals or match["date"] or known):
        return None, [], paragraph
    agencies = known if known is not None else [bracket] if bracket else []
    return place, agencies, paragraph[match.end() :]


@dataclass(slots=True)
class _Head:
    title: str | None = None
    teaser: str | None = None
    published_at: datetime | None = None
    url: str | None = None
    section: str | None = None
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()


def _read_head(lines: list[_Line], window: int = 15) -> _Head:
    """Metadata at the top of the page; marks the lines it consumes as used."""
    head = _Head()
    pending: list[_Line] = []  # prose after the title, not yet known to be teaser or body
    meta_before_pending = False
    candidates = [line for line in lines if not line.used][:window]
    for index, line in enumerate(candidates):
        text = line.text
        url = text if head.url is None and _URL_LINE.fullmatch(text) else None
        date = None if url or head.published_at else parse_date_line(text)
        byline = None if url or date or head.authors else _BYLINE.fullmatch(text)
        if byline is not None and len(text.split()) > 12:
            byline = None
        if url or date or byline:
            if pending and not meta_before_pending:
                break  # a date or link after body prose belongs to the body
            if url:
                head.url = url if "//" in url else f"https://{url}"
            elif date:
                head.published_at = date
            elif byline:
                head.authors = tuple(split_names(byline["names"])[0])
            if pending:
                head.teaser = " ".join(p.text for p in pending)
                for p in pending:
                    p.used = True
                pending = []
            line.used = True
            meta_before_pending = head.title is not None
            continue
        if head.title is None:
            following = candidates[index + 1] if index + 1 < len(candidates) else None
            parts = _section_parts(text)
            if parts and following is not None and _is_title_like(following.text):
                head.section, head.tags = parts[0], tuple(parts[1:])
                line.used = True
                continue
            if not _is_title_like(text):
                break  # the text starts with body prose: no title
            head.title, line.used = text, True
            continue
        pending.append(line)
        if len(pending) > 2 or not meta_before_pending:
            break
    return head


def split_credit(caption: str) -> tuple[str, str | None]:
    """A caption with a trailing credit ("… Photo: AP") → (caption, credit)."""
    text = normalize(caption).replace("\n", " ")
    match = _CAPTION.fullmatch(text)
    if match is None or len(match["credit"].split()) > 12 or not match["caption"].strip():
        return text, None
    return match["caption"].strip(), match["credit"].strip()


def _read_images(lines: list[_Line]) -> list[Image]:
    """Caption lines ending in a credit marker; drops the alt-text line printed just before."""
    images: list[Image] = []
    for index, line in enumerate(lines):
        match = None if line.used or len(line.text) > 500 else _CAPTION.fullmatch(line.text)
        if match is None or len(match["credit"].split()) > 12:
            continue
        caption = match["caption"].strip()
        previous = lines[index - 1] if index else None
        same_block = previous is not None and previous.block == line.block and not previous.used
        if same_block and previous is not None and len(previous.text) <= 300:
            previous.used = True  # the alt text, or the caption when the credit has its own line
            caption = caption or previous.text
        if caption:
            images.append(Image(caption=caption, credit=match["credit"].strip() or None))
        line.used = True  # a credit with no caption at all is furniture too
    return images


def _read_tail(lines: list[_Line]) -> tuple[list[str], list[str]]:
    """Trailing credit lines → (authors, agencies); marks them used."""
    authors: list[str] = []
    agencies: list[str] = []
    for line in reversed([line for line in lines if not line.used]):
        text = line.text
        if len(text) > 120:
            break
        if (match := _INITIALS_CREDIT.fullmatch(text)) and (
            match["slashed"] or _agency_list(match["agencies"]) is not None
        ):
            authors[:0] = re.split(r"\s?/\s?", match["authors"] or match["slashed"])
            agencies[:0] = _agency_list(match["agencies"] or "") or []
        elif (match := _REPORTING.fullmatch(text)) is not None:
            names = re.split(r";\s*(?:editing|edited) by", match["names"], flags=re.I)[0]
            names = re.sub(r";?\s*(?:additional )?(?:reporting|writing) by", ",", names, flags=re.I)
            authors[:0] = split_names(names.rstrip(")"))[0]
        elif (match := _AGENCY_CREDIT.fullmatch(text)) and (
            found := _agency_list(match["agencies"])
        ):
            agencies[:0] = found
        else:
            break
        line.used = True
    return list(dict.fromkeys(authors)), list(dict.fromkeys(agencies))


def _paragraphs(lines: list[_Line]) -> list[str]:
    """Unused lines regrouped into paragraphs (see the module docstring)."""
    blocks: dict[int, list[_Line]] = {}
    for line in lines:
        if not line.used:
            blocks.setdefault(line.block, []).append(line)
    paragraphs: list[str] = []
    for block in blocks.values():
        inner = block[:-1]
        wrapped = (
            len(block) > 1
            and max(len(line.text) for line in block) <= 100
            and sum(line.text.endswith(_SENTENCE_END) for line in inner) * 2 < len(inner)
        )
        if not wrapped:
            paragraphs.extend(line.text for line in block)
            continue
        current: list[str] = []
        for line in block:
            if line.indented and current:
                paragraphs.append(" ".join(current))
                current = []
            current.append(line.text)
        paragraphs.append(" ".join(current))
    return paragraphs


def _is_subhead(paragraph: str) -> bool:
    words = paragraph.split()
    return (
        0 < len(words) <= 12
        and len(paragraph) <= 100
        and (paragraph[0].isupper() or paragraph[0].isdigit())
        and not paragraph.endswith(_HEADING_NEVER_ENDS)
        and _URL_LINE.fullmatch(paragraph) is None
    )


def _is_prose(paragraph: str) -> bool:
    return paragraph.endswith(_PROSE_ENDS) and not _is_subhead(paragraph)


def parse_text(text: str) -> ParsedArticle:
    """Parse pasted article text (see the module docstring for every heuristic)."""
    lines = [line for line in _lines(text) if not is_crumb(line.text)]
    had_crumbs = len(lines) < len(_lines(text))
    head = _read_head(lines)
    images = _read_images(lines)
    authors, agencies = _read_tail(lines)
    paragraphs = _paragraphs(lines)
    furnished = had_crumbs or bool(images or head.url or head.section)
    if (
        furnished
        and len(paragraphs) > 1
        and _is_subhead(paragraphs[-1])
        and _is_prose(paragraphs[-2])
    ):
        paragraphs.pop()  # one heading with nothing under it, after prose: a related-content box
    repeated = {_folded(text) for text in (head.title, head.teaser) if text}
    while len(paragraphs) > 1 and _folded(paragraphs[0]) in repeated:
        paragraphs.pop(0)  # the headline or teaser printed again above the body
    dateline, agencies = _take_dateline(paragraphs, agencies)
    body_parts: list[str] = []
    subheads: list[str] = []
    spans: list[tuple[int, int]] = []
    offset = 0
    for index, paragraph in enumerate(paragraphs):
        following = paragraphs[index + 1] if index + 1 < len(paragraphs) else None
        if following is not None and _is_subhead(paragraph) and _is_prose(following):
            subheads.append(paragraph)
            spans.append((offset, offset + len(paragraph)))
        body_parts.append(paragraph)
        offset += len(paragraph) + 2
    if not body_parts and head.title and not images:
        body_parts, head.title = [head.title], None  # a one-line text is a body, not a title
    source_name, source_domain = source_from_url(head.url)
    return ParsedArticle(
        body="\n\n".join(body_parts),
        title=head.title,
        teaser=head.teaser,
        published_at=head.published_at,
        url=head.url,
        source_name=source_name,
        source_domain=source_domain,
        section=head.section,
        tags=head.tags,
        authors=tuple(dict.fromkeys((*head.authors, *authors))),
        agencies=tuple(agencies),
        images=tuple(images),
        subheads=tuple(subheads),
        subhead_spans=tuple(spans),
        dateline=dateline,
    )


def _folded(text: str) -> str:
    return _SPACES.sub(" ", text).strip().casefold()


def _take_dateline(paragraphs: list[str], agencies: list[str]) -> tuple[str | None, list[str]]:
    """Remove the dateline opening the first paragraph (in place) → (place, agencies)."""
    if not paragraphs:
        return None, agencies
    place, found, rest = split_dateline(paragraphs[0])
    if place is None:
        return None, agencies
    paragraphs[0] = rest
    return place, list(dict.fromkeys([*found, *agencies]))
