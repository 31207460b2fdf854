"""Watchlist screening: a list of names against the people and organizations of the base."""

from fastapi import Request

from app.api.deps import JsonBody, SessionDep
from app.api.routers.prefixed import PrefixedRouter
from app.kb import screening as kb_screening
from app.schemas.common import PROBLEM_RESPONSES
from app.schemas.screening import MatchRequest, MatchResponse

router = PrefixedRouter(prefix="/v1/match", tags=["screening"], responses=PROBLEM_RESPONSES)


@router.post(
    "",
    response_model=MatchResponse,
    summary="Screen a list of names",
    dependencies=[JsonBody],
)
def match_names(body: MatchRequest, session: SessionDep, request: Request) -> MatchResponse:
    """Which entities each name may denote, with a score (0 to 1) and the reason, best first.

    A read sent as POST for its body: like a GET it needs no API key unless
    `NEWSKB_REQUIRE_KEY_FOR_READS` is set, and it writes nothing. It takes a turn of the
    list admission (`NEWSKB_CONCURRENT_LISTS`). The first screening after a change of the
    knowledge base builds the name index (about a second per 10,000 entities); the next ones
    reuse it.
    """
    screening = kb_screening.screen_names(
        session,
        [kb_screening.NameQuery(n.name, n.kind, n.country, tuple(n.aliases)) for n in body.names],
        limit=body.limit,
        threshold=body.threshold,
        cache=request.app.state.screening_cache,
    )
    return MatchResponse.of(screening)
