"""``EXTRACTOR_VERSION`` changes whenever what extraction produces changes.

The guard is a digest of extraction's output on shipped texts (the seed, the Wikinews fixtures
and a written text that exercises every extractor) and of the pattern files. Each version is
recorded once, with its digest, in ``tests/fixtures/extractor/versions.json``; a change to the
output under the same version fails here. After a deliberate change: bump ``EXTRACTOR_VERSION``
in ``app/extract/document.py``, then append the new version's digest with
``python -m tests.extract.test_version``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from app.extract.document import EXTRACTOR_VERSION

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ROOT / "tests" / "fixtures" / "extractor" / "versions.json"
PATTERNS = ROOT / "app" / "extract" / "patterns"
TEXTS = [
    ROOT / "seed" / "dw-2021-09-12-lukashenko-arms-deal.txt",
    *sorted((ROOT / "tests" / "fixtures" / "wikinews").glob("*.txt")),
]
WRITTEN = (
    "Storm cuts power to 200,000 homes\n\n"
    "LISBON (Reuters) - A storm cut power to 200,000 homes in Portugal on Monday, the grid "
    "operator REN said, and Prime Minister Ana Costa promised $50 million in aid by March.\n\n"
    '"We will rebuild," Costa told reporters in Lisbon. Costa said the army would help. Her '
    "husband, Rui Costa, a surgeon, said Mr. Costa's hospital had lost power."
)
# French goes through its own pipeline (app/extract/generic.py): guarded as well.
WRITTEN_FR = (
    "Une tempête prive 200 000 foyers d'électricité\n\n"
    "Une tempête a privé d'électricité 200 000 foyers au Portugal lundi 13 septembre 2021, a "
    "indiqué l'opérateur REN. La Première ministre Ana Costa a promis une aide de l'Allemagne.\n\n"
    "« Nous allons tout reconstruire », a déclaré Ana Costa à Lisbonne. « L'armée aidera les "
    "habitants », a-t-elle ajouté, selon les journalistes portugais."
)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def output_digest() -> str:
    """sha256 over the pattern files and the extraction of every guarded text."""
    from app.extract.parse import parse_text
    from app.extract.pipeline import extract_parsed, with_overrides

    digest = hashlib.sha256()
    for path in sorted(PATTERNS.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    published = datetime(2021, 9, 12, tzinfo=UTC)
    texts = [path.read_text("utf-8") for path in TEXTS] + [WRITTEN, WRITTEN_FR]
    articles = [with_overrides(parse_text(text), published_at=published) for text in texts]
    for article in extract_parsed(articles):
        plain = _plain(article)
        plain.pop("extractor_version")
        # ``ExtractedArticle.extra`` (always empty from extraction: the ingest door passes the
        # raw text typed now) was removed; its empty place keeps the recorded digests valid.
        plain.setdefault("extra", {})
        digest.update(json.dumps(plain, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def recorded() -> dict[str, str]:
    return dict(json.loads(VERSIONS.read_text("utf-8")))


def test_extraction_output_is_the_one_recorded_for_this_version() -> None:
    versions = recorded()
    assert EXTRACTOR_VERSION in versions, (
        f"EXTRACTOR_VERSION {EXTRACTOR_VERSION} is not recorded: run "
        "`python -m tests.extract.test_version` to record its digest"
    )
    assert output_digest() == versions[EXTRACTOR_VERSION], (
        "extraction output changed: bump EXTRACTOR_VERSION in app/extract/document.py and run "
        "`python -m tests.extract.test_version`"
    )


def test_every_recorded_version_has_its_own_digest() -> None:
    versions = recorded()
    assert len(set(versions.values())) == len(versions)


def test_digest_covers_the_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """Other output gives another digest, so the guard can fail."""
    before = output_digest()
    monkeypatch.setattr(f"{__name__}.WRITTEN", WRITTEN + " Costa flew to Madrid on Friday.")
    assert output_digest() != before


if __name__ == "__main__":
    versions = recorded() if VERSIONS.exists() else {}
    digest = output_digest()
    if versions.get(EXTRACTOR_VERSION, digest) != digest:
        raise SystemExit(
            f"{EXTRACTOR_VERSION} is recorded with another digest: bump EXTRACTOR_VERSION first"
        )
    versions[EXTRACTOR_VERSION] = digest
    VERSIONS.parent.mkdir(parents=True, exist_ok=True)
    VERSIONS.write_text(json.dumps(versions, indent=2) + "\n", "utf-8")
    print(f"recorded {EXTRACTOR_VERSION}: {digest}")
