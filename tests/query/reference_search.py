"""The full-text condition as it was before migration 0017: the reference the current one is
compared with (``test_search_reference.py``) on the fixture corpus.

It bound each reading's language codes as parameters, so the planner could not prove the
predicate of a per-language partial index from them (``relevance.Match.condition``)."""

from sqlalchemy import ColumnElement, and_, or_

from app.db.models import Article
from app.kb.search.relevance import _VECTOR, Match


def reference_condition(self: Match) -> ColumnElement[bool]:
    listed = [code for codes, _ in self.readings for code in codes or []]
    return or_(
        *(
            and_(
                Article.language.in_(codes) if codes else Article.language.not_in(listed),
                _VECTOR.op("@@")(tsquery),
            )
            for codes, tsquery in self.readings
        )
    )
