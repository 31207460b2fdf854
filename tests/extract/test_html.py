"""parse_html: trafilatura's main text and metadata, never markup or scripts in the body."""

import html as html_lib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.corpora import iter_wikinews
from app.extract.html import parse_html
from app.extract.markup import strip_markup
from app.extract.types import ParsedArticle

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wikinews"

NEWS_PAGE = """<!DOCTYPE html>
<html lang="en-GB"><head>
<title>Ministers agree new grain corridor | Example News</title>
<meta property="og:title" content="Ministers agree new grain corridor">
<meta property="og:site_name" content="Example News">
<meta name="description" content="Three countries agreed on Tuesday to reopen a grain corridor.">
<meta property="article:published_time" content="2022-07-19T08:30:00+00:00">
<meta name="author" content="Jane Doe">
<meta property="article:section" content="World">
<meta property="article:tag" content="Ukraine">
<style>body { color: red; } .secret-style { display: none }</style>
<script>var trackingSecret = "do-not-show";</script>
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World news menu</a></li></ul></nav>
<article>
<h1>Ministers agree new grain corridor</h1>
<p>Ministers from Turkey, Ukraine and Russia agreed on Tuesday to reopen a grain corridor
through the Black Sea, officials said after talks in Istanbul that lasted most of the day.</p>
<figure><img src="/ship.jpg" alt="A ship in port">
<figcaption>A cargo ship waits in the port of Odesa. Photo: John Roe/AP</figcaption></figure>
<p>The agreement allows ships to leave three Ukrainian ports under inspection by a joint
centre in Istanbul, and it will be reviewed after four months, the ministry said.</p>
<h2>Prices fall on the news</h2>
<p>Wheat futures fell by more than five percent in Chicago after the announcement, traders
said, as markets expected millions of tonnes of grain to reach buyers in Africa.</p>
<script>document.write("injected script text");</script>
<p>Critics warned that the deal could collapse if fighting resumed near the coast, and aid
groups urged all sides to keep the corridor open through the winter months.</p>
</article>
<footer><p>Copyright Example News 2022. All rights reserved.</p></footer>
</body></html>"""


@pytest.fixture(scope="module")
def page() -> ParsedArticle:
    return parse_html(NEWS_PAGE, url="https://www.example.com/world/grain-corridor")


def test_title_from_metadata(page: ParsedArticle) -> None:
    assert page.title == "Ministers agree new grain corridor"


def test_published_time_from_meta(page: ParsedArticle) -> None:
    assert page.published_at == datetime(2022, 7, 19, 8, 30, tzinfo=UTC)


def test_body_paragraphs_in_order(page: ParsedArticle) -> None:
    paragraphs = page.body.split("\n\n")
    assert paragraphs[0].startswith("Ministers from Turkey, Ukraine and Russia agreed")
    assert paragraphs[-1].endswith("open through the winter months.")
    assert "corridor through the Black Sea" in paragraphs[0]  # the source line break is folded


def test_no_script_style_or_markup_in_body(page: ParsedArticle) -> None:
    for leak in ("trackingSecret", "injected script", "secret-style", "color: red", "<", ">"):
        assert leak not in page.body


def test_no_navigation_or_footer_in_body(page: ParsedArticle) -> None:
    assert "World news menu" not in page.body
    assert "All rights reserved" not in page.body


def test_title_heading_not_repeated_in_body(page: ParsedArticle) -> None:
    assert not page.body.startswith("Ministers agree")


def test_h2_is_a_subhead_in_place(page: ParsedArticle) -> None:
    assert page.subheads == ("Prices fall on the news",)
    (start, end) = page.subhead_spans[0]
    assert page.body[start:end] == "Prices fall on the news"
    assert page.body[:start].endswith("the ministry said.\n\n")


def test_metadata_fields(page: ParsedArticle) -> None:
    assert page.authors == ("Jane Doe",)
    assert page.section == "World"
    assert page.tags == ("Ukraine",)
    assert page.teaser == "Three countries agreed on Tuesday to reopen a grain corridor."
    assert page.url == "https://www.example.com/world/grain-corridor"


def test_unknown_publisher_uses_site_name(page: ParsedArticle) -> None:
    assert (page.source_name, page.source_domain) == ("Example News", "example.com")


def test_known_publisher_from_url() -> None:
    parsed = parse_html(NEWS_PAGE, url="https://www.dw.com/en/grain/a-1")
    assert (parsed.source_name, parsed.source_domain) == ("DW", "dw.com")


def test_figcaption_with_credit(page: ParsedArticle) -> None:
    assert [(i.caption, i.credit) for i in page.images] == [
        ("A cargo ship waits in the port of Odesa.", "John Roe/AP")
    ]


def test_language_from_html_lang(page: ParsedArticle) -> None:
    assert page.language == "en"


@pytest.mark.parametrize("bad", ["", "   ", "<html></html>", "<!-- only a comment -->", "\x00"])
def test_empty_or_invalid_html_gives_empty_body(bad: str) -> None:
    assert parse_html(bad, url="https://example.com/x").body.strip("\ufffd") == ""


def test_tiny_page_falls_back_to_visible_text() -> None:
    tiny = (
        "<html><head><title>Tiny</title><script>bad()</script><style>p{}</style></head>"
        "<body><h1>Mayor resigns</h1><p>The mayor resigned on Friday.</p></body></html>"
    )
    parsed = parse_html(tiny)
    assert parsed.title == "Mayor resigns"
    assert parsed.body == "The mayor resigned on Friday."


def test_fallback_keeps_paragraphs_apart() -> None:
    parsed = parse_html("<div><p>First short line here.</p><p>Second one follows.</p></div>")
    assert parsed.body == "First short line here.\n\nSecond one follows."


def wikinews_page(title: str, paragraphs: list[str]) -> str:
    body = "\n".join(f"<p>{html_lib.escape(p)}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{html_lib.escape(title)} - Wikinews</title>"
        f'<meta property="og:title" content="{html_lib.escape(title)}">'
        "<script>var wgPageName = 'do-not-show';</script></head>"
        f"<body><div id='mw-navigation'><a href='/'>Main Page</a></div>"
        f"<div id='content'><h1>{html_lib.escape(title)}</h1>{body}</div></body></html>"
    )


@pytest.fixture(scope="module")
def wikinews_pages() -> list[tuple[list[str], ParsedArticle]]:
    pages = []
    for doc in iter_wikinews(FIXTURES):
        paragraphs = [p for p in doc.text.split("\n\n")[1:] if "Image:" not in p]
        html = wikinews_page(doc.title or "", paragraphs)
        pages.append((paragraphs, parse_html(html, url="https://en.wikinews.org/wiki/X")))
    return pages


def test_wikinews_html_body_keeps_every_paragraph(
    wikinews_pages: list[tuple[list[str], ParsedArticle]],
) -> None:
    assert len(wikinews_pages) == 5
    for paragraphs, parsed in wikinews_pages:
        assert parsed.body.split("\n\n") == paragraphs


def test_wikinews_html_title_and_source(
    wikinews_pages: list[tuple[list[str], ParsedArticle]],
) -> None:
    titles = {doc.title for doc in iter_wikinews(FIXTURES)}
    for _, parsed in wikinews_pages:
        assert parsed.title in titles
        assert parsed.source_name == "Wikinews"
        assert "do-not-show" not in parsed.body


ESCAPED_MARKUP_PAGE = """<html><head>
<title>Port &lt;script&gt;alert(1)&lt;/script&gt;reopens</title></head>
<body><article><h1>Port &lt;script&gt;alert(1)&lt;/script&gt;reopens</h1>
<p>The harbour at Dunmore reopened on Monday &lt;script&gt;alert(2)&lt;/script&gt;after
the storm, the port authority said, and the &lt;b&gt;ferry&lt;/b&gt; timetable returns to
normal next week.</p>
<p>Officials said the repairs to the main quay had cost less than expected and that the
fishing fleet would be back at sea by the weekend, weather permitting.</p>
<p>Traders in the town said the closure had cost them a week of business at the height of
the season, and asked the council for help with their losses.</p>
</article></body></html>"""


def test_markup_decoded_from_entities_is_stripped_as_in_plain_text() -> None:
    """``&lt;script&gt;`` in a page decodes to ``<script>``: it goes, as in posted text."""
    parsed = parse_html(ESCAPED_MARKUP_PAGE)
    for field in (parsed.title or "", parsed.body):
        assert "<" not in field and "alert(" not in field, field
    assert parsed.title == "Port reopens"
    assert "ferry timetable" in parsed.body
    plain = "The harbour reopened <script>alert(2)</script>after the <b>ferry</b> storm."
    assert "<" not in strip_markup(plain) and "alert(" not in strip_markup(plain)
