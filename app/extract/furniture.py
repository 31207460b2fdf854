"""Page furniture in an HTML tree: what is on a news page but is not the article.

Galleries, "related stories" rails, share and follow buttons, newsletter and helpline boxes,
comment prompts and author bios are removed from the tree before the main text is extracted, by
structural signals only (the signals are data in ``patterns/furniture.txt``):

* landmark elements (``nav``, ``aside``, ``footer``, forms and buttons) and ARIA roles
  (``navigation``, ``complementary``...); ``hidden`` or ``display: none`` elements;
* class and id tokens (``gallery``, ``related``, ``share``, ``newsletter``, ``bio``...);
* blocks headed by a furniture heading ("In pictures", "Related stories", "Sign up to...");
* link rails (at least three links that make most of the block's text), rows of social-network
  links, and image-heavy blocks with little text per image (galleries);
* screen-reader and widget labels ("Media caption", "Slideshow (15 images)").

No rule removes an element that holds at least half of the page's paragraph text: a furniture
token on the article's own container ("article-body has-share-bar") never removes the article.
Drop caps printed as a separate element (``<span class="dropcap">T</span>urkey`` or a letter in
its own block before ``<p>urkey``) are merged back into the word they start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lxml import etree

FURNITURE_FILE = Path(__file__).parent / "patterns" / "furniture.txt"

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_LANDMARKS = frozenset(["nav", "aside", "footer", "form", "button", "dialog", "template", "menu"])
_NEVER = frozenset(["html", "head", "body", "title", "meta", "link"])
_CONTAINERS = frozenset(
    ["div", "section", "aside", "ul", "ol", "p", "header", "footer", "figure", "nav"]
)
# Attributes that name what an element is: classes, ids and the component names of templates.
_NAMING_ATTRIBUTES = ("class", "id", "data-component", "data-testid", "data-module", "data-type")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")
_SPACE = re.compile(r"\s+")
_MAJORITY = 0.5  # share of the page's paragraph text that no rule may remove
_RAIL_LINKS = 3  # links in a block before link density can make it a rail
_RAIL_DENSITY = 0.7  # share of a block's text in links that makes it a rail
_GALLERY_IMAGES = 3  # images in a block before it can be a gallery
_GALLERY_TEXT_PER_IMAGE = 200  # characters of text per image under which a block is a gallery
_LABEL_MAX = 80  # characters: longer elements are never a label


@dataclass(frozen=True, slots=True)
class Furniture:
    """The tables of ``patterns/furniture.txt``."""

    tokens: tuple[tuple[str, ...], ...]
    roles: frozenset[str]
    labels: re.Pattern[str]
    headings: re.Pattern[str]
    social: frozenset[str]
    standfirst: tuple[tuple[str, ...], ...]


@lru_cache(maxsize=1)
def furniture() -> Furniture:
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for raw in FURNITURE_FILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        else:
            current.append(line)

    def union(patterns: list[str]) -> re.Pattern[str]:
        return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)

    return Furniture(
        tokens=tuple(tuple(class_tokens(entry)) for entry in sections["tokens"]),
        roles=frozenset(sections["roles"]),
        labels=union(sections["labels"]),
        # "In pictures: 22 September 2020", "Related stories | World" name the block too
        headings=re.compile(
            f"(?:{union(sections['headings']).pattern})(?:\\s*[:|–—-]\\s*.{{0,60}})?", re.I
        ),
        social=frozenset(sections["social"]),
        standfirst=tuple(tuple(class_tokens(entry)) for entry in sections["standfirst"]),
    )


def class_tokens(value: str) -> list[str]:
    """``"relatedStories block--in-pictures"`` → ``["related", "stories", "block", "in", ...]``."""
    return [t for t in _TOKEN_SPLIT.split(_CAMEL.sub(" ", value).lower()) if t]


def _has_tokens(tokens: list[str], entry: tuple[str, ...]) -> bool:
    size = len(entry)
    return any(tuple(tokens[i : i + size]) == entry for i in range(len(tokens) - size + 1))


def has_any_token(element: etree._Element, entries: tuple[tuple[str, ...], ...]) -> bool:
    """The element's class, id or component name holds one of the token sequences."""
    names = " ".join(element.get(attribute) or "" for attribute in _NAMING_ATTRIBUTES)
    tokens = class_tokens(names)
    return bool(tokens) and any(_has_tokens(tokens, entry) for entry in entries)


def text_of(element: etree._Element) -> str:
    """The element's text with runs of whitespace folded."""
    return _SPACE.sub(" ", "".join(element.itertext())).strip()


def is_label(text: str) -> bool:
    """A screen-reader or widget label ("Media caption", "Slideshow ( 15 images )")."""
    text = text.strip(" ,:|·•")
    return 0 < len(text) <= _LABEL_MAX and furniture().labels.fullmatch(text) is not None


def _paragraph_chars(element: etree._Element) -> int:
    return sum(len(text_of(p)) for p in element.iter("p"))


def _is_hidden(element: etree._Element) -> bool:
    return element.get("hidden") is not None or bool(
        _HIDDEN_STYLE.search(element.get("style") or "")
    )


def _marked(element: etree._Element, table: Furniture) -> bool:
    """Tag, role or class/id tokens say furniture."""
    if element.tag in _LANDMARKS or _is_hidden(element):
        return True
    if (element.get("role") or "").strip().lower() in table.roles:
        return True
    return has_any_token(element, table.tokens)


def _first_heading(element: etree._Element) -> etree._Element | None:
    for child in element.iter(*_HEADINGS):
        return child
    return None


def _furniture_heading(element: etree._Element, table: Furniture) -> bool:
    """A block whose own first heading names a furniture block ("In pictures"), or that heading."""
    if element.tag in _HEADINGS:
        heading: etree._Element | None = element
    elif element.tag in ("section", "aside", "div", "nav", "ul"):
        label = (element.get("aria-label") or "").strip()
        if label and table.headings.fullmatch(label):
            return True
        heading = _first_heading(element)
    else:
        return False
    if heading is None:
        return False
    text = text_of(heading).strip(" :")
    return 0 < len(text) <= _LABEL_MAX and table.headings.fullmatch(text) is not None


def _link_rail(element: etree._Element, table: Furniture) -> bool:
    """Mostly links (related rails), or links that are only social networks (share rows)."""
    if element.tag not in _CONTAINERS and element.tag != "span":
        return False
    links = [text_of(a) for a in element.iter("a")]
    if not links:
        return False
    text = text_of(element)
    link_chars = sum(len(link) for link in links)
    social = [link for link in links if link.casefold() in table.social]
    if len(social) >= 2 and len(social) == len([link for link in links if link]):
        rest = text
        for link in social:
            rest = rest.replace(link, "", 1)
        return is_label(rest) or not rest.strip(" |·•,")
    return (
        element.tag in _CONTAINERS
        and len(links) >= _RAIL_LINKS
        and bool(text)
        and link_chars >= _RAIL_DENSITY * len(text)
    )


def _gallery(element: etree._Element) -> bool:
    """Many images with little text each: a gallery or a picture rail."""
    if element.tag not in ("div", "section", "ul", "ol", "aside"):
        return False
    images = sum(
        1
        for image in element.iter("figure", "picture", "img")
        if image.tag == "figure"
        or not any(a.tag in ("figure", "picture") for a in image.iterancestors())
    )
    if images < _GALLERY_IMAGES:
        return False
    return len(text_of(element)) < _GALLERY_TEXT_PER_IMAGE * images


def is_furniture(element: etree._Element, table: Furniture) -> bool:
    return (
        _marked(element, table)
        or _furniture_heading(element, table)
        or _link_rail(element, table)
        or _gallery(element)
    )


def strip_furniture(root: etree._Element) -> None:
    """Remove furniture from ``root`` in place (see the module docstring)."""
    table = furniture()
    paragraph_total = _paragraph_chars(root)
    text_total = 0 if paragraph_total else len(text_of(root))
    doomed: list[etree._Element] = []
    stack = list(reversed([child for child in root if isinstance(child.tag, str)]))
    while stack:  # iterative: pages can nest deeper than Python's recursion limit
        element = stack.pop()
        if element.tag == "head":
            continue
        if element.tag in _NEVER:
            stack.extend(reversed([c for c in element if isinstance(c.tag, str)]))
            continue
        small = len(text_of(element)) <= _LABEL_MAX
        if (small and len(element) <= 3 and is_label(text_of(element))) or (
            is_furniture(element, table)
            and not _holds_the_article(element, paragraph_total, text_total)
        ):
            doomed.append(element)
            continue
        stack.extend(reversed([c for c in element if isinstance(c.tag, str)]))
    for element in doomed:
        drop_keeping_tail(element)


def _holds_the_article(element: etree._Element, paragraph_total: int, text_total: int) -> bool:
    """The element holds half the page's paragraph text (or, without ``<p>``, of its text)."""
    if paragraph_total:
        return _paragraph_chars(element) >= _MAJORITY * paragraph_total
    return text_total > 0 and len(text_of(element)) >= _MAJORITY * text_total


def drop_keeping_tail(element: etree._Element) -> None:
    """Remove an element but keep its tail text, separated from what came before."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    previous = element.getprevious()
    if tail and tail.strip():
        if previous is not None:
            previous.tail = f"{previous.tail or ''} {tail}"
        else:
            parent.text = f"{parent.text or ''} {tail}"
    parent.remove(element)


def merge_drop_caps(root: etree._Element) -> None:
    """Join a drop cap printed as its own element to the rest of its word.

    A childless element whose text is one to three letters starting upper-case, followed
    directly (in document order) by text starting with a lower-case letter, is the first letter
    of that word: ``<span>T</span>urkey`` and ``<div>T</div><p>urkey`` both give "Turkey".
    """
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or len(element) or element.getparent() is None:
            continue
        letters = (element.text or "").strip()
        if not (1 <= len(letters) <= 3 and letters.isalpha() and letters[0].isupper()):
            continue
        following = element.xpath("following::text()[normalize-space()][1]")
        if not following:
            continue
        node = following[0]
        owner = node.getparent()
        if owner is None:
            continue
        rest = str(node).lstrip()
        text_block = _block(owner.getparent() if node.is_tail else owner)
        if not rest[:1].islower() or (
            rest != str(node) and text_block is not None and text_block is _block(element)
        ):
            continue  # "<b>I</b> think": a space after the letter in the same block ends a word
        if node.is_tail:
            owner.tail = letters + rest
        else:
            owner.text = letters + rest
        element.text = None
        drop_keeping_tail(element)


_BLOCK_TAGS = frozenset(
    "p div section article main aside header footer li td th blockquote figure figcaption "
    "h1 h2 h3 h4 h5 h6 body".split()
)


def _block(element: etree._Element | None) -> etree._Element | None:
    """The nearest block element at or above ``element``."""
    while element is not None and element.tag not in _BLOCK_TAGS:
        element = element.getparent()
    return element


def main_content(root: etree._Element) -> etree._Element | None:
    """The element that holds the article: the innermost ``<article>`` with most of the page's
    paragraph text, else ``itemprop="articleBody"``, else ``<main>``; None when there is none."""
    total = _paragraph_chars(root)
    if total == 0:
        return None
    for query in (
        "//article",
        '//*[@itemprop="articleBody"]',
        '//main | //*[@role="main"]',
    ):
        holding = [e for e in root.xpath(query) if _paragraph_chars(e) >= _MAJORITY * total]
        if holding:
            return min(holding, key=_paragraph_chars)
    return None
