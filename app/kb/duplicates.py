"""Near-duplicates: the same story at another URL, linked to its first copy with a similarity.

Each article's body is cut into word shingles (``SHINGLE_WORDS`` words each), summarised by a
MinHash signature (``datasketch``) and cut into LSH bands; each band is hashed to a 64-bit key
stored in ``article_bands``. A new article's candidates are the stored articles that share a
band key (one indexed ``IN`` look-up, whatever the size of the knowledge base); their stored
signatures estimate the Jaccard similarity of the shingle sets, and those at ``THRESHOLD`` or
above are copies. Everything lives in the database, so detection survives restarts and works
across processes; on PostgreSQL the band keys are also advisory-locked for the transaction, so
two copies ingested at once see each other (the second waits for the first to commit).

How ``THRESHOLD`` and ``SHINGLE_WORDS`` were chosen: ``docs/duplicates.md`` and
``benchmarks/duplicates.py``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from app.db.models import ArticleBand, ArticleDuplicate, ArticleSignature, ArticleVersion
from app.kb import changes
from app.kb.sql.dialect import insert_ignore, insert_rows, lock_names

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

# Words per shingle: 3-word shingles keep a rewritten first paragraph from mattering much and
# make unrelated texts share almost none.
SHINGLE_WORDS = 3
NUM_PERM = 128
SEED = 1
# Estimated Jaccard similarity of the shingle sets at or above which a text is a copy.
THRESHOLD = 0.5
# LSH bands x rows per band: datasketch's optimum for THRESHOLD and NUM_PERM (false positives
# and false negatives weighted alike), ``datasketch.lsh._optimal_param(0.5, 128, 0.5, 0.5)``.
BANDS, ROWS = 25, 5
# A text shorter than this many shingles is not compared: a two-line brief shares most of its
# shingles with any other brief built from the same template.
MIN_SHINGLES = 20
# Candidates (those sharing the most bands) whose signatures are read and compared.
MAX_CANDIDATES = 50

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Fingerprint:
    signature: bytes  # NUM_PERM little-endian uint32
    band_keys: tuple[int, ...]  # BANDS signed 64-bit keys


@dataclass(frozen=True)
class Link:
    original_id: int
    similarity: float


def shingles(text: str) -> set[str]:
    """The text's word ``SHINGLE_WORDS``-grams, case-folded, punctuation ignored."""
    words = _WORD.findall(text.casefold())
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def fingerprint(text: str) -> Fingerprint | None:
    """The signature and band keys of a text; None for a text too short to compare."""
    found = shingles(text)
    if len(found) < MIN_SHINGLES:
        return None
    from datasketch import MinHash  # only processes that ingest pay for the import

    minhash = MinHash(num_perm=NUM_PERM, seed=SEED)
    minhash.update_batch([shingle.encode("utf-8") for shingle in found])
    signature = minhash.hashvalues.astype("<u4").tobytes()
    return Fingerprint(signature, _band_keys(signature))


def _band_keys(signature: bytes) -> tuple[int, ...]:
    width = ROWS * 4
    keys = []
    for band in range(BANDS):
        chunk = signature[band * width : (band + 1) * width]
        digest = hashlib.blake2b(bytes([band]) + chunk, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "big", signed=True))
    return tuple(keys)


def _values(signature: bytes) -> npt.NDArray[np.uint32]:
    import numpy as np

    return np.frombuffer(signature, dtype="<u4")


def similarity(a: bytes, b: bytes) -> float:
    """The Jaccard similarity estimated from two signatures: the share of equal values."""
    return round(float((_values(a) == _values(b)).mean()), 4)


def link_copy(session: Session, article_id: int, text: str) -> Link | None:
    """Store the article's fingerprint; link it to the first copy it repeats, if any.

    Called inside the ingest's transaction, before the facts are stored (its advisory locks
    are taken before the events' ones, always in that order).
    """
    found = fingerprint(text)
    if found is None:
        return None
    lock_names(session, (f"band:{key}" for key in found.band_keys))
    link = _find_original(session, article_id, found)
    store_fingerprint(session, article_id, found)
    if link is not None:
        insert_rows(
            session,
            ArticleDuplicate.__table__,  # type: ignore[arg-type]
            [
                {
                    "article_id": article_id,
                    "original_id": link.original_id,
                    "similarity": link.similarity,
                }
            ],
        )
    return link


def store_fingerprint(session: Session, article_id: int, found: Fingerprint) -> None:
    insert_rows(
        session,
        ArticleSignature.__table__,  # type: ignore[arg-type]
        [{"article_id": article_id, "signature": found.signature}],
    )
    insert_ignore(
        session,
        ArticleBand.__table__,  # type: ignore[arg-type]
        [{"key": key, "article_id": article_id} for key in found.band_keys],
        ["key", "article_id"],
    )


def forget(session: Session, article_id: int) -> None:
    """Drop the article's fingerprint and its own link (its text is about to change)."""
    for model in (ArticleBand, ArticleSignature, ArticleDuplicate):
        session.execute(delete(model).where(model.article_id == article_id))


def _find_original(session: Session, article_id: int, found: Fingerprint) -> Link | None:
    """The most similar first copy among the stored articles that share a band."""
    shared = func.count()
    candidates = list(
        session.scalars(
            select(ArticleBand.article_id)
            .where(ArticleBand.key.in_(found.band_keys), ArticleBand.article_id != article_id)
            .group_by(ArticleBand.article_id)
            .order_by(shared.desc(), ArticleBand.article_id)
            .limit(MAX_CANDIDATES)
        )
    )
    if not candidates:
        return None
    signatures = _signatures(session, candidates)
    matches = [
        id_
        for id_ in candidates
        if id_ in signatures and similarity(found.signature, signatures[id_]) >= THRESHOLD
    ]
    if not matches:
        return None
    # A match that is itself a copy stands for its original: copies link to the first one.
    originals = {
        row.article_id: row.original_id
        for row in session.execute(
            select(ArticleDuplicate.article_id, ArticleDuplicate.original_id).where(
                ArticleDuplicate.article_id.in_(matches)
            )
        )
    }
    # An article's own copies never make it a copy (a new version of a first copy).
    roots = {originals.get(id_, id_) for id_ in matches} - {article_id}
    if not roots:
        return None
    signatures |= _signatures(session, [id_ for id_ in roots if id_ not in signatures])
    scored = [(similarity(found.signature, signatures[id_]), id_) for id_ in roots]
    best, original_id = max(scored, key=lambda pair: (pair[0], -pair[1]))
    return Link(original_id, best)


def _signatures(session: Session, ids: list[int]) -> dict[int, bytes]:
    if not ids:
        return {}
    query = select(ArticleSignature.article_id, ArticleSignature.signature).where(
        ArticleSignature.article_id.in_(ids)
    )
    return {id_: bytes(signature) for id_, signature in session.execute(query)}


def unlink_copies(session: Session, article_id: int) -> list[int]:
    """The first copy is being deleted: its copies lose their link (the cascade deletes it),
    so their answers change; the feed says so (and the read cache drops them). Returns them."""
    copies = session.scalars(
        select(ArticleDuplicate.article_id).where(ArticleDuplicate.original_id == article_id)
    ).all()
    for copy_id in copies:
        changes.record_article(session, copy_id, "updated", entity_ids=())
    return list(copies)


# The article answer's copy and version columns, as scalar subqueries of its article id
# (``:id``): the article page reads them with the article's own row.
LINEAGE_COLUMNS = (
    select(ArticleDuplicate.original_id)
    .where(ArticleDuplicate.article_id == bindparam("id"))
    .scalar_subquery()
    .label("duplicate_of"),
    select(ArticleDuplicate.similarity)
    .where(ArticleDuplicate.article_id == bindparam("id"))
    .scalar_subquery()
    .label("similarity"),
    select(func.count(ArticleVersion.id))
    .where(ArticleVersion.article_id == bindparam("id"))
    .scalar_subquery()
    .label("earlier"),
)


def lineage(row: Any) -> dict[str, Any]:
    """What the article answer shows of copies and versions, from a row that selected
    ``LINEAGE_COLUMNS``: the first copy this article repeats and their similarity (None for
    a first copy), and the number of its current text (``app.kb.versions``)."""
    return {
        "duplicate_of": row.duplicate_of,
        "similarity": row.similarity,
        "version": int(row.earlier) + 1,
    }


def link_of(session: Session, article_id: int) -> Link | None:
    """The first copy this article repeats, with their similarity; None for an original."""
    row = session.execute(
        select(ArticleDuplicate.original_id, ArticleDuplicate.similarity).where(
            ArticleDuplicate.article_id == article_id
        )
    ).first()
    return Link(row.original_id, row.similarity) if row else None


def count_copies(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ArticleDuplicate)) or 0
