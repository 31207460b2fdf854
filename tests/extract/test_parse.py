"""parse_text: the seed page's furniture, and ordinary article text kept whole."""

import re
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

import pytest

from app.corpora import iter_bbc, iter_wikinews, read_text
from app.extract.parse import parse_date_line, parse_text, source_from_url
from app.extract.types import ParsedArticle
from tests.corpus import corpus_path, fixture_texts

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seed" / "dw-2021-09-12-lukashenko-arms-deal.txt"
FIXTURES = ROOT / "tests" / "fixtures" / "wikinews"


def folded(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed(seed_text: str) -> ParsedArticle:
    return parse_text(seed_text)


def test_seed_title(seed: ParsedArticle) -> None:
    assert seed.title == "Lukashenko plans $1bn arms deal with Russia"


def test_seed_published_at_is_aware_midnight_utc(seed: ParsedArticle) -> None:
    assert seed.published_at == datetime(2021, 9, 12, tzinfo=UTC)
    assert seed.published_at is not None
    assert seed.published_at.utcoffset() is not None


def test_seed_url(seed: ParsedArticle) -> None:
    assert seed.url == "https://p.dw.com/p/40DrA"


def test_seed_source(seed: ParsedArticle) -> None:
    assert (seed.source_name, seed.source_domain) == ("DW", "dw.com")


def test_seed_section_and_tag_are_split(seed: ParsedArticle) -> None:
    assert seed.section == "Politics"
    assert seed.tags == ("Belarus",)


def test_seed_teaser(seed: ParsedArticle) -> None:
    assert seed.teaser is not None
    assert seed.teaser.startswith("Belarusian state news showed President Alexander Lukashenko")
    assert seed.teaser.endswith("could include the state-of-the-art S-400 missile system.")
    assert "state news showed" not in seed.body


def test_seed_first_image_caption_and_credit(seed: ParsedArticle) -> None:
    first = seed.images[0]
    assert first.caption.startswith("Belarusian strongman Alexander Lukashenko used the Zapad")
    assert first.caption.endswith("purchase of Russian arms")
    assert first.credit == "BelTA/AP Photo/picture alliance"


def test_seed_has_both_images_with_credits(seed: ParsedArticle) -> None:
    assert [image.credit for image in seed.images] == [
        "BelTA/AP Photo/picture alliance",
        "Mikhail Voskresensky/Sputnik/REUTERS",
    ]


def test_seed_alt_text_is_not_duplicated(seed: ParsedArticle) -> None:
    alt = "dressed in fatigues, and senior Russian and Belarusian officers attend"
    assert alt not in seed.body
    assert all(alt not in image.caption for image in seed.images)
    assert "Image:" not in seed.body


def test_seed_subheads_in_order(seed: ParsedArticle) -> None:
    assert seed.subheads == (
        "Massive military exercise on NATO's eastern border",
        "Belarus and Russia deepen integration",
    )


def test_seed_subhead_spans_slice_body(seed: ParsedArticle) -> None:
    assert len(seed.subhead_spans) == len(seed.subheads)
    for (start, end), subhead in zip(seed.subhead_spans, seed.subheads, strict=True):
        assert seed.body[start:end] == subhead
        assert seed.zone_of(start) == "subhead"


def test_seed_credit_line_gives_authors_and_agencies(seed: ParsedArticle) -> None:
    assert seed.authors == ("ar", "mm")
    assert seed.agencies == ("AFP", "Reuters")
    assert "ar/mm" not in seed.body


def test_seed_navigation_crumbs_gone(seed: ParsedArticle) -> None:
    assert "Skip to" not in seed.body
    assert "DW sites" not in seed.body
    assert "PoliticsBelarus" not in seed.body


def test_seed_orphan_heading_gone(seed: ParsedArticle) -> None:
    assert "Authoritarian brain drain" not in seed.body
    assert seed.body.endswith("returned to their bases by mid-October.")


def test_seed_body_starts_with_first_paragraph(seed: ParsedArticle) -> None:
    assert seed.body.startswith("Belarusian President Alexander Lukashenko, clad in military")


def test_seed_body_paragraphs_joined_by_blank_line(seed: ParsedArticle) -> None:
    paragraphs = seed.body.split("\n\n")
    assert len(paragraphs) == 12
    assert all(paragraph == paragraph.strip() and "\n" not in paragraph for paragraph in paragraphs)


def test_seed_nbsp_becomes_a_space(seed: ParsedArticle) -> None:
    assert "\u00a0" not in seed.body
    assert "Belarusian President Alexander" in seed.body


def test_seed_crlf_gives_the_same_article(seed_text: str, seed: ParsedArticle) -> None:
    assert parse_text(seed_text.replace("\n", "\r\n")) == seed


def test_plain_text_states_no_language(seed: ParsedArticle) -> None:
    """Plain text declares no language: extraction detects it (tests/extract/test_languages.py)."""
    assert seed.language is None


def test_bbc_style_title_then_body() -> None:
    parsed = parse_text("Markets rally on rate hopes\n\nShares rose on Monday.\n\nBonds fell.\n")
    assert parsed.title == "Markets rally on rate hopes"
    assert parsed.body == "Shares rose on Monday.\n\nBonds fell."


def test_text_without_title_is_all_body() -> None:
    text = "Shares rose sharply on Monday in Tokyo.\n\nBonds fell as investors moved to risk."
    parsed = parse_text(text)
    assert parsed.title is None
    assert parsed.body == text


def test_single_line_is_body_not_title() -> None:
    assert parse_text("Putin visits Minsk on Monday").body == "Putin visits Minsk on Monday"


def test_wikinews_date_header() -> None:
    parsed = parse_text("Storm hits coast\nDate: 2019-03-04\n\nA storm hit the coast on Monday.")
    assert parsed.published_at == datetime(2019, 3, 4, tzinfo=UTC)
    assert parsed.body == "A storm hit the coast on Monday."


def test_whitespace_is_folded_and_typography_kept() -> None:
    parsed = parse_text("Title here\r\n\r\n  “Quoted”  text\t– with\u2009dashes…  \r\n")
    assert parsed.body == "“Quoted” text – with dashes…"


def test_unicode_is_nfc() -> None:
    parsed = parse_text("Cafe\u0301 owner speaks to the press today.")
    assert parsed.body == "Caf\u00e9 owner speaks to the press today."


def test_byline_gives_authors() -> None:
    text = "Ministers meet in Rome\nBy Jane Doe and John Roe\n\nMinisters met in Rome on Friday."
    parsed = parse_text(text)
    assert parsed.authors == ("Jane Doe", "John Roe")
    assert parsed.body == "Ministers met in Rome on Friday."


def test_breadcrumb_line_gives_section_and_tags() -> None:
    parsed = parse_text("World > Europe > France\n\nStrikes close Paris metro\n\nThe metro shut.")
    assert (parsed.section, parsed.tags) == ("World", ("Europe", "France"))
    assert parsed.title == "Strikes close Paris metro"


def test_photo_credit_marker_on_caption() -> None:
    caption = "Firefighters at the scene Photo: Jane Doe/AFP"
    text = f"Big fire\n\nA fire broke out.\n\n{caption}\n\nIt ended."
    parsed = parse_text(text)
    assert [(i.caption, i.credit) for i in parsed.images] == [
        ("Firefighters at the scene", "Jane Doe/AFP")
    ]
    assert parsed.body == "A fire broke out.\n\nIt ended."


def test_reporting_by_credit_line() -> None:
    text = "Oil falls\n\nOil prices fell.\n\n(Reporting by Jane Doe; Editing by John Roe)"
    parsed = parse_text(text)
    assert parsed.authors == ("Jane Doe",)
    assert parsed.body == "Oil prices fell."


def test_hard_wrapped_lines_are_joined() -> None:
    text = "Title\n\nThe company said on Monday that\nprofits rose by ten percent in the\nquarter."
    assert parse_text(text).body == (
        "The company said on Monday that profits rose by ten percent in the quarter."
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("September 12, 2021", datetime(2021, 9, 12, tzinfo=UTC)),
        ("12 September 2021", datetime(2021, 9, 12, tzinfo=UTC)),
        ("Published: 2021-09-12", datetime(2021, 9, 12, tzinfo=UTC)),
        ("Sunday, 12 Sep 2021 14:30 UTC", datetime(2021, 9, 12, 14, 30, tzinfo=UTC)),
        ("Lukashenko met Putin in 2021", None),
        ("September 2021", None),
    ],
)
def test_parse_date_line(line: str, expected: datetime | None) -> None:
    assert parse_date_line(line) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.bbc.co.uk/news/world-1", ("BBC", "bbc.co.uk")),
        ("https://bbc.in/3xYz", ("BBC", "bbc.co.uk")),
        ("https://www.reuters.com/world/x", ("Reuters", "reuters.com")),
        ("https://news.example.org/a/b", ("example.org", "example.org")),
        (None, (None, None)),
    ],
)
def test_source_from_url(url: str | None, expected: tuple[str | None, str | None]) -> None:
    assert source_from_url(url) == expected


def test_fixture_caption_with_credit_leaves_body() -> None:
    path = (
        FIXTURES
        / "2017-07-21_after-visa-snags-all-girl-afghan-team-honored-for-courageous-achieveme.txt"
    )
    parsed = parse_text(path.read_text(encoding="utf-8"))
    assert parsed.images[0].credit == "United States Navy"
    assert "Image:" not in parsed.body


# ---- real corpora: ordinary articles must come through whole ----


@pytest.fixture(scope="module")
def bbc_sample() -> list[tuple[str, ParsedArticle]]:
    docs = islice(iter_bbc(corpus_path("bbc")), 0, None, 37)  # ~60 files across all topics
    return [(doc.text, parse_text(doc.text)) for doc in docs]


@pytest.fixture(scope="module")
def wikinews_sample() -> list[tuple[str, ParsedArticle]]:
    paths = fixture_texts()
    return [(read_text(path), parse_text(read_text(path))) for path in paths]


@pytest.mark.corpus
def test_bbc_sample_is_large_enough(bbc_sample: list[tuple[str, ParsedArticle]]) -> None:
    assert len(bbc_sample) >= 50


@pytest.mark.corpus
def test_bbc_title_is_first_line(bbc_sample: list[tuple[str, ParsedArticle]]) -> None:
    for text, parsed in bbc_sample:
        assert parsed.title == folded(text.split("\n", 1)[0])


@pytest.mark.corpus
def test_bbc_body_is_file_body(bbc_sample: list[tuple[str, ParsedArticle]]) -> None:
    for text, parsed in bbc_sample:
        assert parsed.body
        assert folded(parsed.body) == folded(text.split("\n", 1)[1])


@pytest.mark.corpus
def test_bbc_latin1_file_parses() -> None:
    path = corpus_path("bbc", "sport", "199.txt")
    parsed = parse_text(read_text(path))
    assert parsed.title
    assert len(parsed.body) > 500


def test_wikinews_title_and_date(wikinews_sample: list[tuple[str, ParsedArticle]]) -> None:
    assert len(wikinews_sample) >= 50
    for text, parsed in wikinews_sample:
        title, date_line = text.split("\n")[:2]
        assert parsed.title == folded(title)
        assert parsed.published_at == datetime.fromisoformat(date_line[6:]).replace(tzinfo=UTC)


def test_wikinews_prose_paragraphs_all_kept(
    wikinews_sample: list[tuple[str, ParsedArticle]],
) -> None:
    for text, parsed in wikinews_sample:
        body_paragraphs = text.split("\n\n")[1:]
        prose = [
            p for p in body_paragraphs if p.rstrip().endswith((".", '"', "”")) and "Image:" not in p
        ]
        for paragraph in prose:
            assert folded(paragraph) in parsed.body


def test_wikinews_captions_become_images(wikinews_sample: list[tuple[str, ParsedArticle]]) -> None:
    for text, parsed in wikinews_sample:
        body_text = text.split("\n\n", 1)[1]
        captioned = re.findall(r"^[^\n]*\S[^\n]*Image: [^\n]*$", body_text, re.MULTILINE)
        assert len(parsed.images) == len(captioned)
        assert "Image:" not in parsed.body


@pytest.mark.corpus
def test_all_wikinews_corpus_dates_parse() -> None:
    docs = list(iter_wikinews(corpus_path("wikinews")))
    for doc in docs:
        assert parse_text(read_text(Path(doc.path))).published_at == doc.published_at


@pytest.mark.parametrize(
    ("lead", "place", "agencies"),
    [
        ("LOS ANGELES (Reuters) - The studio delayed its film.", "LOS ANGELES", ("Reuters",)),
        ("WASHINGTON (AP) — The Senate passed the bill.", "WASHINGTON", ("AP",)),
        ("LONDON, Jan 5 (Reuters) - Prices rose sharply.", "LONDON", ("Reuters",)),
        ("SALVADOR, Feb 26 - Showers continued in the region.", "SALVADOR", ()),
        ("KYIV, Ukraine (AFP) – Drones struck the city.", "KYIV, Ukraine", ("AFP",)),
        ("NEW YORK, 5 March (CNN) - Stocks fell.", "NEW YORK", ("CNN",)),
    ],
)
def test_dateline_gives_place_and_agency_and_leaves_the_body(
    lead: str, place: str, agencies: tuple[str, ...]
) -> None:
    parsed = parse_text(f"Headline of the story\n\n{lead}\n\nA second paragraph follows here.")
    assert parsed.dateline == place
    assert parsed.agencies == agencies
    first = parsed.body.split("\n\n")[0]
    assert place not in first
    assert first == re.split(r" [-–—] ", lead, maxsplit=1)[1]


@pytest.mark.parametrize(
    "lead",
    [
        "U.S. - China talks resumed on Monday.",
        "The UN - which met on Monday - said little.",
        "NATO said on Monday it would send more troops.",
        "Officials in LONDON (the capital) - said nothing.",
    ],
)
def test_no_dateline_without_a_place_in_capitals(lead: str) -> None:
    parsed = parse_text(f"Headline of the story\n\n{lead}")
    assert parsed.dateline is None
    assert parsed.body == lead


def test_capitalised_subject_before_a_dash_is_not_a_dateline() -> None:
    lead = "The IAAF - athletics' world governing body - has met officials."
    assert parse_text(f"Headline of the story\n\n{lead}").dateline is None


@pytest.mark.corpus
def test_reuters_datelines_are_read() -> None:
    from app.corpora import iter_reuters

    docs = list(islice(iter_reuters(corpus_path("reuters21578")), 200))
    parsed = [parse_text(doc.text) for doc in docs]
    assert sum(p.dateline is not None for p in parsed) >= 195
    for doc, p in zip(docs, parsed, strict=True):
        if p.dateline:
            assert not p.body.startswith(p.dateline), doc.path


def test_title_printed_again_above_the_body_is_dropped() -> None:
    parsed = parse_text(
        "Storm hits coast\n\nStorm hits coast\n\nA powerful storm hit the coast of Portugal on "
        "Monday. The government said repairs would take several days."
    )
    assert parsed.title == "Storm hits coast"
    assert parsed.body.startswith("A powerful storm")


def test_widget_labels_pasted_with_the_text_are_dropped() -> None:
    parsed = parse_text(
        "Awards night\n\nThe film won the top prize on Sunday, beating two favourites.\n\n"
        "Slideshow ( 15 images )\n\nMedia caption\n\n"
        "The director thanked the cast from the stage in Los Angeles."
    )
    assert parsed.body == (
        "The film won the top prize on Sunday, beating two favourites.\n\n"
        "The director thanked the cast from the stage in Los Angeles."
    )
