"""What the knowledge base holds, in one cheap summary."""

from app.api.deps import SessionDep
from app.api.routers.prefixed import PrefixedRouter
from app.kb.stats import collect_stats
from app.schemas.stats import Stats

router = PrefixedRouter(prefix="/v1/stats", tags=["monitoring"])


@router.get("", response_model=Stats, summary="Counts by kind, date range, extractor versions")
def get_stats(session: SessionDep) -> Stats:
    """Articles, entities by type, mentions, events by type, quotes, amounts and date
    expressions; the newest and oldest article by publication and by ingest; and how many
    articles each extractor version read (articles on an older one can be re-extracted).
    """
    return collect_stats(session)
