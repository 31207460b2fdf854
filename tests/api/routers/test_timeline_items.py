"""A timeline's article items, serialized from typed fields without the models, are the bytes
``TimelineItem`` serializes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, get_type_hints

import pytest

from app.api.stored_lists import timeline_item as _timeline_item
from app.kb import timeline as kb_timeline
from app.kb.sql.pagination import CursorCodec
from app.schemas.events import (
    EventArticle,
    EventArticleFields,
    TimelineArticleFields,
    TimelineItem,
)


def test_the_typed_fields_are_the_models_fields_in_their_order() -> None:
    article = {name: field.annotation for name, field in EventArticle.model_fields.items()}
    assert list(get_type_hints(EventArticleFields).items()) == list(article.items())
    item = get_type_hints(TimelineArticleFields)
    assert list(item) == list(TimelineItem.model_fields)


ARTICLES: list[dict[str, Any]] = [
    {
        "id": 5,
        "title": "Lukashenko plans $1bn arms deal with Russia",
        "url": "https://p.dw.com/p/40DrA",
        "published_at": datetime(2021, 9, 12, tzinfo=UTC),
        "source": "DW",
    },
    {"id": 6, "title": None, "url": None, "published_at": None, "source": None},
    {
        "id": 2**31 - 1,
        "title": 'Quotes " and \\ and ünïcødé \u2028 and emoji \U0001f4f0',
        "url": "https://example.org/a?b=c&d=<e>",
        "published_at": datetime(1999, 12, 31, 23, 59, 59, 123456, tzinfo=UTC),
        "source": "Le Monde",
    },
    {  # another offset: read back in UTC
        "id": 7,
        "title": "t",
        "url": "u",
        "published_at": datetime(2024, 2, 29, 8, 0, tzinfo=timezone(timedelta(hours=5))),
        "source": "s",
    },
]


@pytest.mark.parametrize("article", ARTICLES)
def test_an_article_item_is_the_bytes_of_the_model(article: dict[str, Any]) -> None:
    """As the event loop reads it (``loop_page`` from its row): the dict's order is the JSON's."""
    published = article["published_at"]
    when = published.isoformat() if published else None
    row: tuple[Any, ...] = (1, "2021-09-12", article["id"], None, article["title"])
    row += (article["url"], when, article["source"])
    entity = (0, None, None, None, None, None, None, None)  # there, not merged
    codec = CursorCodec("k" * 32)
    page = kb_timeline.loop_page(1, [entity, row], 20, codec)
    assert page is not None
    [item] = page.items
    assert item.article is not None and item.article["id"] == article["id"]
    model = TimelineItem(
        kind="article",
        date=item.day,
        event=None,
        article=EventArticle.model_validate(item.article),
    )
    assert _timeline_item(item) == model.model_dump_json().encode("utf-8")
