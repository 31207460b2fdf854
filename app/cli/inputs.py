"""What ``newskb ingest`` reads: paths, folders and globs expanded to files, files to documents.

Every document goes through the same checks as ``POST /v1/articles`` (``ArticleCreate`` and
``clean_article``), so the CLI and the API accept and refuse the same things. A file or line
that cannot be read becomes a ``Failure`` with its reason; the others are still ingested.
"""

from __future__ import annotations

import glob
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from app.errors import NewsKBError
from app.extract.encoding import UndecodableText, decode_document
from app.kb.intake import Document, clean_article, document_from
from app.schemas.articles import ArticleCreate

SUFFIXES = (".txt", ".html", ".htm", ".json", ".jsonl")
SUFFIX_LIST = ".txt, .html, .json or .jsonl"


@dataclass(frozen=True)
class Failure:
    """An input that yields no document: a missing path, an unreadable file, a bad JSON line."""

    name: str
    reason: str


def expand_paths(arguments: list[str]) -> tuple[list[Path], list[Failure]]:
    """Files to read, in argument order (folders recursively and globs sorted), each once.

    A file named explicitly must have a known suffix; folders and globs skip other files.
    """
    files: list[Path] = []
    failures: list[Failure] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            files.append(path)

    for argument in arguments:
        path = Path(argument)
        if path.is_file():
            if path.suffix.lower() in SUFFIXES:
                add(path)
            else:
                failures.append(Failure(argument, f"not a {SUFFIX_LIST} file"))
        elif path.is_dir():
            found = _files_under(path)
            if not found:
                failures.append(Failure(argument, f"no {SUFFIX_LIST} files in this folder"))
            for file in found:
                add(file)
        elif glob.has_magic(argument):
            found = []
            for match in sorted(glob.glob(argument, recursive=True)):
                candidate = Path(match)
                if candidate.is_dir():
                    found.extend(_files_under(candidate))
                elif candidate.suffix.lower() in SUFFIXES:
                    found.append(candidate)
            if not found:
                failures.append(Failure(argument, f"no {SUFFIX_LIST} file matches this pattern"))
            for file in found:
                add(file)
        else:
            failures.append(Failure(argument, "no such file or folder"))
    return files, failures


def _files_under(folder: Path) -> list[Path]:
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.suffix.lower() in SUFFIXES
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def load_file(path: Path) -> list[Document | Failure]:
    """The documents one file holds (one for .txt/.html, any number for .json/.jsonl)."""
    name = str(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".txt", ".html", ".htm"):  # as POST /v1/articles reads text and HTML
            kind: Literal["text", "html"] = "text" if suffix == ".txt" else "html"
            return [_document(name, {kind: decode_document(path.read_bytes(), kind)})]
        content = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        return [Failure(name, f"cannot read the file: {exc.strerror or exc}")]
    except UndecodableText as exc:
        return [Failure(name, str(exc))]
    except UnicodeDecodeError as exc:
        return [Failure(name, f"not UTF-8 (byte {exc.start})")]
    items = list(_jsonl_items(name, content) if suffix == ".jsonl" else _json_items(name, content))
    return items or [Failure(name, "holds no article")]


def _json_items(name: str, content: str) -> Iterator[Document | Failure]:
    try:
        payload: Any = json.loads(content)
    except json.JSONDecodeError as exc:
        yield Failure(name, f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
        return
    except RecursionError:
        yield Failure(name, "not valid JSON: nested too deeply")
        return
    if not isinstance(payload, list):
        yield _document(name, payload)
        return
    for index, item in enumerate(payload, start=1):
        document = _document(f"{name}[{index}]", item)
        if isinstance(document, Failure):
            document = Failure(document.name, f"item {index}: {document.reason}")
        yield document


def _jsonl_items(name: str, content: str) -> Iterator[Document | Failure]:
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        item_name = f"{name}:{number}"
        try:
            payload: Any = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Failure(item_name, f"line {number}: not valid JSON: {exc.msg}")
            continue
        except RecursionError:
            yield Failure(item_name, f"line {number}: not valid JSON: nested too deeply")
            continue
        document = _document(item_name, payload)
        if isinstance(document, Failure):
            document = Failure(item_name, f"line {number}: {document.reason}")
        yield document


def _document(name: str, payload: Any) -> Document | Failure:
    if not isinstance(payload, dict):
        kind = type(payload).__name__
        return Failure(name, f"expected an object with `text` or `html`, not {kind}")
    try:
        article = clean_article(ArticleCreate.model_validate(payload))
    except ValidationError as exc:
        return Failure(name, _validation_reason(exc))
    except NewsKBError as exc:
        return Failure(name, exc.detail)
    return document_from(article, name)


def _validation_reason(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(part) for part in error["loc"])
        message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"`{where}`: {message}" if where else message)
    return "invalid article: " + "; ".join(parts)
