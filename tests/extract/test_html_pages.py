"""Whole news pages through ``parse_html``: only the article's own content, read robustly.

The pages in ``tests/fixtures/html/`` are invented articles laid out like real publishers' pages
(a wire story, a broadsheet with an "in pictures" gallery and a related rail, a tabloid with
share buttons and a newsletter box, a tech site with an author bio and comments, a drop cap, an
XHTML page with an XML declaration, a windows-1252 page). Each ``NAME.json`` holds the body a
careful reader would keep and the furniture (``without``) that must never reach the article.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from app.extract.html import decode_html, flatten_nesting, parse_html
from app.extract.types import ParsedArticle

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "html"
NAMES = sorted(path.stem for path in PAGES.glob("*.html"))
PARAGRAPH = (
    "<p>The harbour board met on Tuesday to discuss the plan for a new breakwater, and its "
    "chairman said work could start in the spring if the money is found.</p>"
)
PARAGRAPHS = (  # distinct paragraphs: trafilatura drops repeated ones
    PARAGRAPH
    + "<p>Fishing crews have asked for the breakwater since a storm wrecked the old pier in "
    "2019, leaving boats exposed to the winter swell for three seasons.</p>"
    "<p>The regional government has promised to pay for half of the work, but the rest must "
    "come from a bond that the council hopes to sell to local investors.</p>"
)


def gold(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def parsed_page(name: str) -> ParsedArticle:
    return parse_html(decode_html((PAGES / f"{name}.html").read_bytes()), url=gold(name)["url"])


def leaks(snippets: list[str], text: str) -> list[str]:
    """Furniture snippets found in ``text`` as whole words ("urkey" is not in "Turkey")."""
    return [s for s in snippets if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", text)]


@pytest.fixture(scope="module")
def pages() -> dict[str, ParsedArticle]:
    return {name: parsed_page(name) for name in NAMES}


def test_every_page_kind_has_a_fixture() -> None:
    assert len(NAMES) >= 8


@pytest.mark.parametrize("name", NAMES)
def test_body_is_the_gold_body(pages: dict[str, ParsedArticle], name: str) -> None:
    assert pages[name].body == gold(name)["body"]


@pytest.mark.parametrize("name", NAMES)
def test_no_furniture_in_body_or_captions(pages: dict[str, ParsedArticle], name: str) -> None:
    parsed = pages[name]
    captions = " | ".join(f"{i.caption} {i.credit or ''}" for i in parsed.images)
    assert leaks(gold(name)["without"], parsed.body) == []
    assert leaks(gold(name)["without"], captions) == []


@pytest.mark.parametrize("name", NAMES)
def test_title_dateline_and_agencies(pages: dict[str, ParsedArticle], name: str) -> None:
    expected = gold(name)
    parsed = pages[name]
    assert parsed.title == expected["title"]
    assert parsed.dateline == expected["dateline"]
    assert set(expected["agencies"]) <= set(parsed.agencies)


@pytest.mark.parametrize("name", NAMES)
def test_captions_only_from_the_articles_own_figures(
    pages: dict[str, ParsedArticle], name: str
) -> None:
    captions = [[image.caption, image.credit] for image in pages[name].images]
    assert captions == gold(name)["captions"]


@pytest.mark.parametrize("name", NAMES)
def test_headline_and_teaser_not_repeated_in_body(
    pages: dict[str, ParsedArticle], name: str
) -> None:
    parsed = pages[name]
    first = parsed.body.split("\n\n")[0]
    assert first != parsed.title
    assert parsed.teaser is None or first != parsed.teaser


def test_gallery_captions_are_not_glued_to_their_credits(pages: dict[str, ParsedArticle]) -> None:
    wire = pages["wire"]
    assert wire.images[0].credit == "WIRE SERVICE/Maria Ortega"
    assert not wire.images[0].caption.endswith("WIRE SERVICE/Maria Ortega")


def test_xml_declaration_page_has_its_body() -> None:
    html = (PAGES / "xmldecl.html").read_text(encoding="utf-8")
    assert html.startswith("<?xml")
    parsed = parse_html(html)
    assert parsed.body.startswith("The Senate passed a short-term spending bill")


def test_windows_1252_page_decoded_from_its_meta_charset(pages: dict[str, ParsedArticle]) -> None:
    raw = (PAGES / "legacy.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "François Dupont" in pages["legacy"].body
    assert "€90" in pages["legacy"].body


@pytest.mark.parametrize(
    ("declaration", "encoding"),
    [
        ('<meta charset="windows-1252">', "cp1252"),
        ('<meta charset="ISO-8859-1">', "cp1252"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=shift_jis">', "shift_jis"),
        ('<?xml version="1.0" encoding="iso-8859-15"?>', "iso-8859-15"),
    ],
)
def test_legacy_encodings_declared_in_the_page(declaration: str, encoding: str) -> None:
    text = "Zoë met 東京 officials" if encoding == "shift_jis" else "Zoë paid €5 – “fine”"
    if encoding == "iso-8859-15":
        text = "Zoë paid €5"
    page = f"<html><head>{declaration}</head><body><p>{text}</p></body></html>"
    if encoding == "shift_jis":
        text = "met 東京 officials"
        page = page.replace("Zoë ", "")
    assert text in decode_html(page.encode(encoding))


def test_charset_from_the_caller_wins_over_a_guess() -> None:
    assert decode_html("<p>Zoë</p>".encode("iso-8859-15"), "iso-8859-15") == "<p>Zoë</p>"


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("\ufeff<p>Zoë</p>".encode(), "<p>Zoë</p>"),
        ("<p>Zoë</p>".encode("utf-16"), "<p>Zoë</p>"),
        ("<p>Zoë</p>".encode("utf-16-be").join([b"\xfe\xff", b""]), "<p>Zoë</p>"),
    ],
)
def test_byte_order_marks(data: bytes, text: str) -> None:
    assert decode_html(data) == text


def test_byte_order_mark_in_text_input() -> None:
    parsed = parse_html("\ufeff<!DOCTYPE html><html><body><article>" + PARAGRAPHS + "</article>")
    assert parsed.body.startswith("The harbour board met")


def test_utf8_declared_as_latin1_stays_utf8() -> None:
    page = '<meta charset="iso-8859-1"><p>Zoë</p>'
    assert "Zoë" in decode_html(page.encode("utf-8"))


@pytest.mark.parametrize("depth", [300, 5000, 50_000])
def test_deeply_nested_divs(depth: int) -> None:
    html = (
        "<html><head><title>Deep</title></head><body><article>"
        + "<div>" * depth
        + PARAGRAPHS
        + "</div>" * depth
        + "</article></body></html>"
    )
    started = time.perf_counter()
    parsed = parse_html(html)
    assert "The harbour board met on Tuesday" in parsed.body
    assert time.perf_counter() - started < 20


@pytest.mark.parametrize("tag", ["section", "x-card", "details", "font"])
def test_deeply_nested_elements_of_any_kind(tag: str) -> None:
    html = article(f"<{tag}>" * 3000, PARAGRAPHS, f"</{tag}>" * 3000)
    assert "The harbour board met on Tuesday" in parse_html(html).body


def test_flatten_nesting_keeps_text_and_shallow_pages() -> None:
    shallow = "<div><p>a</p></div>"
    assert flatten_nesting(shallow) is shallow
    deep = "<div>" * 300 + "x" + "</div>" * 300
    flat = flatten_nesting(deep, limit=10)
    assert flat.count("<div>") == 10 and flat.count("</div>") == 10 and "x" in flat


def article(*inner: str) -> str:
    return (
        "<html><head><title>Harbour plan</title></head><body><article>"
        + "".join(inner)
        + "</article></body></html>"
    )


def test_paragraph_breaks_survive_nested_markup() -> None:
    html = article(
        "<div><p>First, the board met on Tuesday to discuss the breakwater plan.</p>",
        "<div><p>Second, the chairman said the work could start in the spring.</p></div></div>",
        "<p>Third, the money has not been found yet.<br><br>Fourth, a vote is due in May.</p>",
        "<p>Fifth, the <span>mayor</span> <b>backed</b> the plan.</p>",
        PARAGRAPH,
    )
    paragraphs = parse_html(html).body.split("\n\n")
    assert paragraphs[:5] == [
        "First, the board met on Tuesday to discuss the breakwater plan.",
        "Second, the chairman said the work could start in the spring.",
        "Third, the money has not been found yet.",
        "Fourth, a vote is due in May.",
        "Fifth, the mayor backed the plan.",
    ]


def test_single_line_break_is_a_space_not_glue() -> None:
    html = article("<p>Reported from the port of London<br>Reuters staff said more.</p>", PARAGRAPH)
    assert "London Reuters" in parse_html(html).body


@pytest.mark.parametrize(
    "drop_cap",
    [
        '<p><span class="dropcap">T</span>urkey, Poland and Hungary agreed to a plan.</p>',
        '<div class="first-letter">T</div><p>urkey, Poland and Hungary agreed to a plan.</p>',
        "<p><span><b>T</b></span>urkey, Poland and Hungary agreed to a plan.</p>",
    ],
)
def test_drop_cap_stays_whole(drop_cap: str) -> None:
    body = parse_html(article(drop_cap, PARAGRAPHS)).body
    assert body.startswith("Turkey, Poland and Hungary agreed to a plan.")


def test_one_letter_word_is_not_a_drop_cap() -> None:
    body = parse_html(article("<p><b>I</b> think the plan is good, she said.</p>", PARAGRAPH)).body
    assert body.startswith("I think the plan is good")


def test_headline_printed_as_first_paragraph_is_dropped() -> None:
    html = article("<p>Harbour plan</p>", PARAGRAPHS)
    assert parse_html(html).body.startswith("The harbour board met")


def test_standfirst_equal_to_the_description_is_not_in_the_body() -> None:
    standfirst = "A new breakwater could be built within two years."
    html = (
        f'<html><head><title>Harbour plan</title><meta name="description" content="{standfirst}">'
        f'</head><body><article><p class="standfirst">{standfirst}</p>{PARAGRAPHS}'
        "</article></body></html>"
    )
    parsed = parse_html(html)
    assert parsed.teaser == standfirst
    assert not parsed.body.startswith(standfirst)


def test_lead_paragraph_equal_to_the_description_stays_in_the_body() -> None:
    lead = "The harbour board approved a new breakwater on Tuesday after a long debate."
    html = (
        f'<html><head><title>Harbour plan</title><meta name="description" content="{lead}">'
        f"</head><body><article><p>{lead}</p>{PARAGRAPHS}</article></body></html>"
    )
    parsed = parse_html(html)
    assert parsed.body.startswith(lead)
    assert parsed.teaser is None  # not stored twice


@pytest.mark.parametrize(
    ("lead", "place", "agency"),
    [
        ("LOS ANGELES (Reuters) - The studio said", "LOS ANGELES", "Reuters"),
        ("WASHINGTON (AP) — The Senate voted", "WASHINGTON", "AP"),
        ("LONDON, Jan 5 (Reuters) - Prices rose", "LONDON", "Reuters"),
    ],
)
def test_dateline_read_and_removed(lead: str, place: str, agency: str) -> None:
    parsed = parse_html(article(f"<p>{lead} on Monday, officials said.</p>", PARAGRAPHS))
    assert parsed.dateline == place
    assert agency in parsed.agencies
    assert parsed.body.startswith(lead.split(" - ")[-1].split(" — ")[-1])


def test_headline_from_h1_not_repeated_when_the_title_differs() -> None:
    html = (
        "<html><head><title>Breakwater approved | Harbour Gazette | Local news</title>"
        '<meta property="og:title" content="Breakwater approved | Harbour Gazette">'
        "</head><body><article><h1>Board backs new breakwater for the old port</h1>"
        f"<p>Board backs new breakwater for the old port</p>{PARAGRAPHS}</article></body></html>"
    )
    assert parse_html(html).body.startswith("The harbour board met")


def test_a_wrong_article_element_does_not_cost_the_body() -> None:
    body = "".join(
        f"<div class='text'>Paragraph {i} of the report says the harbour board met again "
        f"and talked about the breakwater for a long time without a vote.<br><br></div>"
        for i in range(8)
    )
    html = (
        "<html><head><title>Harbour plan</title></head><body>"
        "<div class='story'><article><p>The harbour board met on Tuesday and, after a long "
        "debate, approved the plan for a new breakwater at the old port. Fishing crews, who "
        "have asked for it since a storm wrecked the pier in 2019, cheered from the public "
        "gallery, and the chairman said that work could start in the spring if the regional "
        "government pays its half.</p></article>"
        f"{body}</div></body></html>"
    )
    parsed = parse_html(html)
    assert "Paragraph 7 of the report" in parsed.body


def test_loose_text_beside_paragraphs_is_a_paragraph_of_its_own() -> None:
    html = article(
        "<div>The board met on Tuesday in the old customs house by the port."
        "<p>The chairman said the work could start in the spring next year.</p>"
        "Fishing crews <b>cheered</b> the decision from the public gallery."
        "<p>The money has not been found yet, the treasurer warned them.</p></div>",
        PARAGRAPHS,
    )
    assert parse_html(html).body.split("\n\n")[:4] == [
        "The board met on Tuesday in the old customs house by the port.",
        "The chairman said the work could start in the spring next year.",
        "Fishing crews cheered the decision from the public gallery.",
        "The money has not been found yet, the treasurer warned them.",
    ]


def test_paragraph_in_decomposed_unicode_stays_in_the_body() -> None:
    html = article("<p>The board met in Cre\u0301teil and the chair spoke first.</p>", PARAGRAPHS)
    assert parse_html(html).body.split("\n\n")[0] == (
        "The board met in Cr\u00e9teil and the chair spoke first."
    )
