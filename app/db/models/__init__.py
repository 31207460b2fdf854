"""Every ORM model, imported here so that ``Base.metadata`` knows the whole schema."""

from app.db.models.answers import (
    ArticleAnswer,
    ArticleAnswerShows,
    EntityAnswer,
    EntityAnswerShows,
    EventItem,
    EventItemShows,
)
from app.db.models.articles import Article, Source
from app.db.models.changes import Change
from app.db.models.duplicates import ArticleBand, ArticleDuplicate, ArticleSignature, ArticleVersion
from app.db.models.entities import (
    Entity,
    EntityAlias,
    EntityArticle,
    EntityEvent,
    EntityStats,
    Mention,
    Role,
)
from app.db.models.events import Event, EventEvidence, EventParticipant
from app.db.models.facts import Amount, Quote, Timex
from app.db.models.jobs import Job
from app.db.models.watches import Watch, WatchDelivery, WatchMatch

__all__ = [
    "Amount",
    "Article",
    "ArticleAnswer",
    "ArticleAnswerShows",
    "ArticleBand",
    "ArticleDuplicate",
    "ArticleSignature",
    "ArticleVersion",
    "Change",
    "Entity",
    "EntityAlias",
    "EntityAnswer",
    "EntityAnswerShows",
    "EntityArticle",
    "EntityEvent",
    "EntityStats",
    "Event",
    "EventEvidence",
    "EventItem",
    "EventItemShows",
    "EventParticipant",
    "Job",
    "Mention",
    "Quote",
    "Role",
    "Source",
    "Timex",
    "Watch",
    "WatchDelivery",
    "WatchMatch",
]
