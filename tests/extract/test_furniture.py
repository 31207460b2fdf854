"""strip_furniture: each structural signal of page furniture, on the construction it exists for."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from app.extract.furniture import (
    class_tokens,
    furniture,
    is_label,
    main_content,
    merge_drop_caps,
    strip_furniture,
    text_of,
)
from app.extract.html import parse_html

ARTICLE = (
    "<p>The harbour board approved a new breakwater on Tuesday after a debate that lasted "
    "most of the afternoon, its chairman said.</p>"
    "<p>Fishing crews have asked for the breakwater since a storm wrecked the old pier in 2019, "
    "leaving boats exposed to the winter swell for three seasons.</p>"
    "<p>The regional government will pay for half of the work; the rest must come from a bond "
    "that the council hopes to sell to local investors next year.</p>"
)
FURNITURE = "Volcano erupts near Reykjavik as Iceland declares emergency"


def page(furniture_html: str, article_class: str = "story") -> str:
    return (
        "<html><head><title>Harbour plan</title></head><body>"
        f"<div class='{article_class}'>{ARTICLE}{furniture_html}</div></body></html>"
    )


def stripped_text(html: str) -> str:
    root = lxml_html.document_fromstring(html)
    strip_furniture(root)
    return text_of(root)


@pytest.mark.parametrize(
    ("construction", "furniture_html"),
    [
        ("aside element", f"<aside><p>{FURNITURE}</p></aside>"),
        ("nav element", f"<nav><a href='/x'>{FURNITURE}</a></nav>"),
        ("ARIA complementary role", f"<div role='complementary'><p>{FURNITURE}</p></div>"),
        ("hidden attribute", f"<div hidden><p>{FURNITURE}</p></div>"),
        ("display none", f"<div style='display: none'><p>{FURNITURE}</p></div>"),
        ("gallery class token", f"<div class='photoGallery'><p>{FURNITURE}</p></div>"),
        ("related class token", f"<div class='article__related-links'><p>{FURNITURE}</p></div>"),
        ("in-pictures tokens", f"<section class='block--in-pictures'><p>{FURNITURE}</p></section>"),
        ("newsletter id", f"<div id='newsletter-box'><p>{FURNITURE}</p></div>"),
        ("author bio class", f"<div class='author-bio'><p>{FURNITURE}</p></div>"),
        ("comments id", f"<section id='comments'><p>{FURNITURE}</p></section>"),
        ("promo class", f"<div class='promo'><p>{FURNITURE}</p></div>"),
        ("component name", f"<div data-component='links-related'><p>{FURNITURE}</p></div>"),
        ("ARIA label", f"<section aria-label='Most read'><p>{FURNITURE}</p></section>"),
        (
            "heading with a date after the label",
            f"<div><h2>In pictures: 22 September 2020</h2><p>{FURNITURE}</p></div>",
        ),
        (
            "block headed 'In pictures'",
            f"<section><h2>In pictures</h2><figure><figcaption>{FURNITURE}</figcaption></figure>"
            "</section>",
        ),
        (
            "block headed 'Related stories'",
            f"<div><h3>Related stories</h3><p>{FURNITURE}</p></div>",
        ),
        (
            "helpline box heading",
            f"<div><h4>If you have been affected by this story</h4><p>{FURNITURE}</p></div>",
        ),
        (
            "link rail without classes",
            f"<ul><li><a href='/1'>{FURNITURE}</a></li><li><a href='/2'>Second story</a></li>"
            "<li><a href='/3'>Third story about something else</a></li></ul>",
        ),
        (
            "image-heavy block with little text",
            "<div>"
            + "".join(f"<img src='/{i}.jpg'><span>{FURNITURE} {i}</span>" for i in range(4))
            + "</div>",
        ),
    ],
)
def test_furniture_block_removed(construction: str, furniture_html: str) -> None:
    text = stripped_text(page(furniture_html))
    assert FURNITURE not in text, construction
    assert "The harbour board approved" in text and "local investors next year" in text


@pytest.mark.parametrize(
    "row",
    [
        "<ul><li><a href='#'>Facebook</a></li><li><a href='#'>Twitter</a></li>"
        "<li><a href='#'>WhatsApp</a></li></ul>",
        "<p>Share: <a href='#'>Twitter</a> | <a href='#'>Email</a></p>",
    ],
)
def test_share_buttons_without_classes_removed(row: str) -> None:
    text = stripped_text(page(row))
    for name in ("Facebook", "Twitter", "WhatsApp", "Email"):
        assert name not in text


@pytest.mark.parametrize(
    "label",
    [
        "Media caption",
        "Image caption,",
        "Image source, Getty Images",
        "Slideshow ( 15 images )",
        "Gallery (8 photos)",
        "Hide caption",
        "Share this article",
        "213 comments",
        "Image 3 of 12",
    ],
)
def test_labels(label: str) -> None:
    assert is_label(label)
    assert label.strip(",") not in stripped_text(page(f"<p><span>{label}</span></p>"))


@pytest.mark.parametrize(
    "sentence",
    [
        "The caption competition drew 40 entries.",
        "Twitter said on Monday it would change its rules.",
        "Comments by the minister angered farmers.",
    ],
)
def test_prose_is_not_a_label(sentence: str) -> None:
    assert not is_label(sentence)


def test_furniture_signal_on_the_articles_own_container_keeps_the_article() -> None:
    text = stripped_text(page("", "article-body has-share-bar related-enabled"))
    assert "The harbour board approved" in text and "local investors next year" in text


def test_social_word_in_a_sentence_is_kept() -> None:
    html = page("<p>The mayor posted the plan on <a href='#'>Twitter</a> late on Monday.</p>")
    assert "posted the plan on Twitter" in stripped_text(html)


def test_class_tokens_split_camel_case_and_separators() -> None:
    assert class_tokens("relatedStories block--in-pictures") == [
        "related",
        "stories",
        "block",
        "in",
        "pictures",
    ]


def test_tokens_match_whole_tokens_only() -> None:
    # "shared" and "sharepoint" are not "share"; "biology" is not "bio"
    html = page(f"<div class='shared-content biology'><p>{FURNITURE}</p></div>")
    assert FURNITURE in stripped_text(html)


def test_tables_are_data() -> None:
    table = furniture()
    assert ("in", "pictures") in table.tokens
    assert "complementary" in table.roles
    assert "whatsapp" in table.social


def test_drop_cap_merge_in_tree() -> None:
    root = lxml_html.document_fromstring(
        "<div><span class='dropcap'>T</span></div><p>\n urkey agreed.</p>"
    )
    merge_drop_caps(root)
    assert text_of(root) == "Turkey agreed."


def test_main_content_is_the_article_holding_most_text() -> None:
    root = lxml_html.document_fromstring(
        f"<html><body><main><article>{ARTICLE}</article>"
        "<article><p>A teaser card for another story.</p></article></main></body></html>"
    )
    content = main_content(root)
    assert content is not None and content.tag == "article"
    assert "harbour board" in text_of(content)


def test_captions_only_from_figures_inside_the_article() -> None:
    html = (
        "<html><head><title>Harbour plan</title></head><body><main><article>"
        "<figure><img src='/a.jpg'><figcaption>The old pier after the 2019 storm</figcaption>"
        f"</figure>{ARTICLE}</article>"
        "<div class='picture-rail'><figure><img src='/b.jpg'>"
        f"<figcaption>{FURNITURE}</figcaption></figure></div></main></body></html>"
    )
    parsed = parse_html(html)
    assert [image.caption for image in parsed.images] == ["The old pier after the 2019 storm"]


def test_text_line_of_a_label_between_paragraphs_is_dropped() -> None:
    html = (
        "<html><head><title>Harbour plan</title></head><body><article><div>"
        f"Share this article{ARTICLE}</div></article></body></html>"
    )
    assert "Share this" not in parse_html(html).body


def test_caption_blocks_are_not_glued() -> None:
    html = (
        "<html><head><title>Harbour plan</title></head><body><article>"
        "<figure><img src='/a.jpg'><figcaption><p>The old pier after the storm in London</p>"
        f"<p>Harbour Trust</p></figcaption></figure>{ARTICLE}</article></body></html>"
    )
    (image,) = parse_html(html).images
    assert "LondonHarbour" not in image.caption
    assert image.caption == "The old pier after the storm in London Harbour Trust"


def test_caption_printed_after_its_label_loses_the_label() -> None:
    html = (
        "<html><head><title>Harbour plan</title></head><body><article>"
        "<figure><img src='/a.jpg'><figcaption>Media caption, The chairman explains the plan"
        f"</figcaption></figure>{ARTICLE}</article></body></html>"
    )
    (image,) = parse_html(html).images
    assert image.caption == "The chairman explains the plan"


def test_caption_with_a_comma_keeps_its_words() -> None:
    html = (
        "<html><head><title>Harbour plan</title></head><body><article>"
        "<figure><img src='/a.jpg'><figcaption>Dover, the old pier after the storm"
        f"</figcaption></figure>{ARTICLE}</article></body></html>"
    )
    (image,) = parse_html(html).images
    assert image.caption == "Dover, the old pier after the storm"


@pytest.mark.parametrize("wrapper", ["article-body__hidden is-collapsed", "paywall-content"])
def test_collapsed_or_metered_second_half_is_article_text(wrapper: str) -> None:
    html = (
        "<html><head><title>Harbour plan</title></head><body><div class='story'>"
        f"{ARTICLE}{ARTICLE.replace('<p>', '<p>Later, ')}"
        f"<div class='{wrapper}'><p>The chairman also said the old lighthouse would be kept.</p>"
        "</div></div></body></html>"
    )
    assert "old lighthouse would be kept" in stripped_text(html)
