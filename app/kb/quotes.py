"""Quote reads, optionally by speaker."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.db.models import Quote
from app.kb.sql.pagination import CursorCodec, Page, SortKey, keyset_page


def list_quotes(
    session: Session,
    *,
    speaker_id: int | None,
    limit: int,
    cursor: str | None,
    codec: CursorCodec,
) -> Page[Quote]:
    query = select(Quote).options(selectinload(Quote.speaker))
    if speaker_id is not None:
        query = query.where(Quote.speaker_id == speaker_id)
    return keyset_page(
        session,
        query,
        scope=f"quotes:id:{speaker_id}",
        keys=[SortKey(Quote.id)],
        row_values=lambda q: (q.id,),
        limit=limit,
        cursor=cursor,
        codec=codec,
    )
