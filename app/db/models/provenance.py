"""Columns every extracted fact carries: where it was read, by which extractor, how sure."""

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column


class SpanMixin:
    """``[start, end)`` in the text of ``zone`` (body/subhead: the body; caption N: its caption)."""

    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    zone: Mapped[str] = mapped_column(String(16), default="body")
    zone_index: Mapped[int] = mapped_column(Integer, default=0)
    sentence: Mapped[int] = mapped_column(Integer, default=0)
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    extractor_version: Mapped[str] = mapped_column(String(32))
