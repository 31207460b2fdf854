"""Find the examples of the README and docs/, and compare documented answers with real ones.

The convention this reads (also described in tests/docs/test_examples.py):

- A fenced block tagged ``sh``, ``bash``, ``shell`` or ``console`` is an example and is run.
- A ``json`` block right after an example block (blank lines only between) is the documented
  answer of that block's last command. ``…`` in it stands for what the docs leave out: other
  keys of an object, more items at the end of a list, or any value (``"score": …``).
- ``# → 404`` in a comment on a command's line, or on the comment lines right after it,
  announces its status (and ``Location: /path`` its redirect or new resource); without one,
  a request must answer 2xx and a ``newskb`` command must exit 0.
- ``<!-- example: skip (reason) -->`` on the line before a block leaves it out, with the
  reason; ``<!-- example: needs-extra NAME -->`` runs it only where ``newskb[NAME]`` is
  installed. A ``json`` block that answers no command needs the skip marker too.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
DOCS_BASE = "http://127.0.0.1:8000"
SHELL = frozenset({"sh", "bash", "shell", "console"})
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
MARKER = re.compile(r"^\s*<!--\s*example:\s*(?P<body>.*?)\s*-->\s*$")
STATUS = re.compile(r"→\s*(\d{3})\b")
LOCATION = re.compile(r"Location:\s*(\S+)")
ELLIPSIS = "…"
# Reads that send their question as a POST body (POST /v1/match): they change nothing.
READS_SENT_AS_POST = frozenset({"/v1/match"})


def pages() -> list[Path]:
    """The README and every page under docs/, found anew on every run."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@dataclass(frozen=True)
class Command:
    argv: tuple[str, ...]
    line: int  # in the page
    leading: tuple[str, ...] = ()  # comment lines right above it
    trailing: tuple[str, ...] = ()  # comments on its line and the lines right after it
    inline: str | None = None  # the comment on its own line

    @property
    def announced(self) -> bool:
        """Whether a comment above it or on its line says what it does."""
        return bool(self.leading) or bool(self.inline)

    @property
    def program(self) -> str:
        return self.argv[0]

    @property
    def status(self) -> int | None:
        found = [int(m.group(1)) for c in self.trailing for m in STATUS.finditer(c)]
        return found[0] if found else None

    @property
    def location(self) -> str | None:
        found = [m.group(1).rstrip(".,);") for c in self.trailing for m in LOCATION.finditer(c)]
        return found[0] if found else None

    @property
    def writes(self) -> bool:
        """Whether this command may change the knowledge base (judged from its text alone)."""
        if self.program == "curl":
            request = parse_curl(self.argv)
            if urlsplit(request.url).path in READS_SENT_AS_POST:
                return False
            return request.method not in {"GET", "HEAD"}
        if self.program == "newskb":
            words = [a for a in self.argv[1:] if not a.startswith("-")]
            reads = {"export", "stats", "match"}
            return not (words and words[0] in reads) and "--help" not in self.argv
        return True

    def __str__(self) -> str:
        return shlex.join(self.argv)


@dataclass(frozen=True)
class Example:
    page: Path
    line: int  # of the opening fence
    end: int  # of the closing fence
    language: str
    text: str
    commands: tuple[Command, ...] = ()
    answer: str | None = None  # the documented answer of the last command (json)
    answer_line: int | None = None
    skip: str | None = None
    needs_extra: str | None = None
    error: str | None = None  # why the block could not be read as commands

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def writes(self) -> bool:
        return any(command.writes for command in self.commands)


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, 1-based
    end: int  # of the closing fence
    language: str
    text: str
    marker: str | None


def blocks(markdown: str) -> list[Block]:
    """Fenced blocks with their language, lines and the example marker right above them."""
    found: list[Block] = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        before = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        marker = MARKER.match(before)
        end = index + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        body = [
            line[indent:] if line[:indent].isspace() else line for line in lines[index + 1 : end]
        ]
        language = opening["lang"].lower()
        found.append(
            Block(index + 1, end + 1, language, "\n".join(body), marker and marker["body"])
        )
        index = end + 1
    return found


def examples(page: Path) -> list[Example]:
    """The examples of one page, each with its documented answer when one follows it."""
    markdown = page.read_text(encoding="utf-8")
    lines = markdown.splitlines()
    found: list[Example] = []
    for block in blocks(markdown):
        last = found[-1] if found else None
        if (
            block.language == "json"
            and block.marker is None
            and last is not None
            and last.language in SHELL
            and last.answer is None
            and all(not text.strip() for text in lines[last.end : block.line - 1])
        ):
            found[-1] = replace(last, answer=block.text, answer_line=block.line)
            continue
        if block.language not in SHELL | {"json"}:
            continue
        commands: tuple[Command, ...] = ()
        skip = needs_extra = error = None
        try:
            skip, needs_extra = parse_marker(block.marker)
            if block.language != "json" and skip is None:
                commands = shell_commands(block.text, block.line + 1)
                for command in commands:
                    command.writes  # noqa: B018  (parses curl's options: a bad one is an error)
        except ValueError as problem:
            error = str(problem)
        found.append(
            Example(
                page,
                block.line,
                block.end,
                block.language,
                block.text,
                commands,
                skip=skip,
                needs_extra=needs_extra,
                error=error,
            )
        )
    return found


def parse_marker(marker: str | None) -> tuple[str | None, str | None]:
    if marker is None:
        return None, None
    if skip := re.fullmatch(r"skip\s*\((.+)\)", marker):
        return skip[1].strip(), None
    if extra := re.fullmatch(r"needs-extra\s+([\w-]+)", marker):
        return None, extra[1]
    raise ValueError(f"unknown example marker {marker!r}: use 'skip (reason)' or 'needs-extra X'")


def shell_commands(text: str, first_line: int) -> tuple[Command, ...]:
    """Split a shell block into commands, keeping the comment lines next to each.

    Quotes may span lines (a JSON body in ``-d '...'``), ``\\`` continues a line, and ``#`` at
    the start of a word begins a comment. Comment lines right after a command (no blank line
    between) trail it; comment lines right above one lead it.
    """
    commands: list[Command] = []
    leading: list[str] = []
    trailing_open = False  # comment lines may still trail the last command
    pending: list[str] = []  # a command spread over several lines
    pending_line = 0
    for number, raw in enumerate(text.splitlines(), start=first_line):
        if not pending:
            stripped = raw.strip()
            if not stripped:
                leading, trailing_open = [], False
                continue
            if stripped.startswith("#"):
                note = stripped[1:].strip()
                if trailing_open:
                    last = commands[-1]
                    commands[-1] = replace(last, trailing=(*last.trailing, note))
                leading.append(note)
                continue
            pending_line = number
        code, comment, continued = _split_line(raw, in_quote="".join(pending))
        pending.append(code + ("\n" if continued == "quote" else " " if continued else ""))
        if continued:
            continue
        argv = tuple(shlex.split("".join(pending)))
        pending = []
        trailing = (comment,) if comment is not None else ()
        commands.append(Command(argv, pending_line, tuple(leading), trailing, comment))
        leading, trailing_open = [], True
    if pending:
        raise ValueError(f"the command at line {pending_line} does not end")
    return tuple(commands)


def _split_line(raw: str, in_quote: str) -> tuple[str, str | None, str | None]:
    """One physical line: its code, its comment, and whether the command goes on.

    ``in_quote`` is the command so far, whose open quote (if any) this line continues.
    """
    quote = _open_quote(in_quote)
    for index, char in enumerate(raw):
        if quote is not None:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or raw[index - 1].isspace()):
            return raw[:index].rstrip(), raw[index + 1 :].strip(), None
    if quote is not None:
        return raw, None, "quote"
    if raw.rstrip().endswith("\\"):
        return raw.rstrip()[:-1], None, "backslash"
    return raw, None, None


def _open_quote(text: str) -> str | None:
    quote: str | None = None
    for char in text:
        if quote is not None:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
    return quote


@dataclass(frozen=True)
class CurlRequest:
    method: str
    url: str
    headers: dict[str, str]
    data: str | None  # the body as written
    data_file: str | None  # or the file it is read from (``--data-binary @file``)
    output: str | None


def parse_curl(argv: tuple[str, ...]) -> CurlRequest:
    """The request a documented ``curl`` command sends; options it does not know are an error."""
    method: str | None = None
    url: str | None = None
    headers: dict[str, str] = {}
    data: str | None = None
    data_file: str | None = None
    output: str | None = None
    args = list(argv[1:])
    while args:
        arg = args.pop(0)
        if arg in {"-s", "--silent", "-S", "--show-error", "-g", "--globoff", "-f", "--fail"}:
            continue
        if arg in {"-X", "--request"}:
            method = args.pop(0).upper()
        elif arg in {"-H", "--header"}:
            name, _, value = args.pop(0).partition(":")
            headers[name.strip().lower()] = value.strip()
        elif arg in {"-d", "--data", "--data-raw", "--data-binary"}:
            value = args.pop(0)
            if value.startswith("@") and arg != "--data-raw":
                data_file = value[1:]
            else:
                data = value
            headers.setdefault("content-type", "application/x-www-form-urlencoded")
        elif arg in {"-o", "--output", ">"}:
            output = args.pop(0)
        elif arg.startswith("-"):
            raise ValueError(f"curl option {arg} is not understood by the example runner")
        elif url is None:
            url = arg
        else:
            raise ValueError(f"a second URL {arg!r} in one curl command")
    if url is None or not url.startswith(DOCS_BASE):
        raise ValueError(f"curl examples address the quick start's server {DOCS_BASE}: {url}")
    sends = data is not None or data_file is not None
    return CurlRequest(
        method or ("POST" if sends else "GET"), url, headers, data, data_file, output
    )


# Documented answers: JSON in which … marks what the docs leave out.

ANY = "\x00any value"
MORE = "\x00more"


def parse_documented(text: str) -> Any:
    """Parse a documented JSON answer; each … outside strings becomes a marker.

    In an object, ``…`` as a member means other keys may follow; as a value (``"k": …``),
    any value. In a list it means more items may follow, and must come last.
    """
    out: list[str] = []
    stack: list[str] = []
    in_string = False
    last = ""  # the last significant character outside strings
    index = 0
    while index < len(text):
        char = text[index]
        if in_string:
            out.append(char)
            if char == "\\":
                out.append(text[index + 1])
                index += 1
            elif char == '"':
                in_string = False
                last = '"'
        elif char == '"':
            in_string = True
            out.append(char)
        elif char == ELLIPSIS:
            if last == ":":
                out.append(json.dumps(ANY))
            elif stack and stack[-1] == "{":
                out.append(f"{json.dumps(MORE)}: true")
            elif stack and stack[-1] == "[":
                out.append(json.dumps(MORE))
            else:
                raise ValueError(f"… at offset {index} is outside any object or list")
            last = "…"
        else:
            if char in "{[":
                stack.append(char)
            elif char in "}]":
                stack.pop()
            if not char.isspace():
                last = char
            out.append(char)
        index += 1
    return json.loads("".join(out))


def differences(documented: Any, served: Any, path: str = "$") -> list[str]:
    """Where the served answer departs from the documented one (empty: it matches)."""
    if documented == ANY:
        return []
    if isinstance(documented, dict):
        if not isinstance(served, dict):
            return [f"{path}: documented an object, served {json.dumps(served)[:80]}"]
        open_ended = documented.pop(MORE, False)
        found: list[str] = []
        for key, value in documented.items():
            if key not in served:
                found.append(f"{path}.{key}: documented, missing from the answer")
            else:
                found += differences(value, served[key], f"{path}.{key}")
        extra = sorted(set(served) - set(documented))
        if extra and not open_ended:
            found.append(f"{path}: served keys the docs do not show (add … if meant): {extra}")
        if open_ended:
            documented[MORE] = True
        return found
    if isinstance(documented, list):
        if not isinstance(served, list):
            return [f"{path}: documented a list, served {json.dumps(served)[:80]}"]
        open_ended = bool(documented) and documented[-1] == MORE
        items = documented[:-1] if open_ended else documented
        if MORE in items:
            return [f"{path}: … in a list must come last"]
        found = []
        if len(served) < len(items) or (not open_ended and len(served) != len(items)):
            found.append(f"{path}: documented {len(items)} items, served {len(served)}")
        for index, (doc, real) in enumerate(zip(items, served, strict=False)):
            found += differences(doc, real, f"{path}[{index}]")
        return found
    same_type = type(documented) is type(served) or (
        isinstance(documented, int | float)
        and isinstance(served, int | float)
        and not isinstance(documented, bool)
        and not isinstance(served, bool)
    )
    if not same_type or documented != served:
        return [f"{path}: documented {json.dumps(documented)}, served {json.dumps(served)}"]
    return []


def empty_lists(answer: Any) -> bool:
    """Whether an answer is an empty list (bare, or the ``items`` of a list envelope)."""
    if isinstance(answer, dict) and "items" in answer:
        answer = answer["items"]
    return isinstance(answer, list) and not answer
