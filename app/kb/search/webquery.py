"""Web-search query syntax, parsed once and rendered for SQLite FTS5 and PostgreSQL.

The syntax is PostgreSQL's ``websearch_to_tsquery``: words (all must match), ``"exact
phrase"``, ``OR`` between two terms, ``-word`` or ``-"phrase"`` to exclude. Parsing it
ourselves gives both databases the same meaning and makes every user string safe: each term is
re-quoted, so FTS5 keywords (``NEAR``, ``AND``, ``NOT``), ``*``, ``^``, column filters and
unbalanced quotes are plain words. English stop words are dropped on both sides, as
PostgreSQL's ``english`` configuration does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.errors import InvalidQuery

MAX_QUERY_CHARS = 2000
MAX_TERMS = 32

# PostgreSQL's english.stop (the Snowball list), so FTS5 ignores what tsvector ignores.
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what which who
    whom this that these those am is are was were be been being have has had having do does did
    doing a an the and but if or because as until while of at by for with about against between
    into through during before after above below to from up down in out on off over under again
    further then once here there when where why how all any both each few more most other some
    such no nor not only own same so than too very s t can will just don should now""".split()
)
_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]
    negated: bool = False


@dataclass(frozen=True)
class WebQuery:
    clauses: tuple[tuple[Term, ...], ...]  # all clauses must match; any term of a clause
    excluded: tuple[Term, ...]

    def fts5(self) -> str:
        """An FTS5 MATCH expression in which every term is a quoted string."""
        parts = [
            _fts5_term(c[0]) if len(c) == 1 else "(" + " OR ".join(map(_fts5_term, c)) + ")"
            for c in self.clauses
        ]
        text = " AND ".join(parts)
        for term in self.excluded:
            text += " NOT " + _fts5_term(term)
        return text

    def websearch(self) -> str:
        """The same query re-written for ``websearch_to_tsquery`` (quoted terms only)."""
        parts = [" or ".join(_web_term(t) for t in clause) for clause in self.clauses]
        parts += ["-" + _web_term(t) for t in self.excluded]
        return " ".join(parts)

    def cache_key(self) -> str:
        return self.fts5()


def _fts5_term(term: Term) -> str:
    return '"' + " ".join(term.words) + '"'


def _web_term(term: Term) -> str:
    return '"' + " ".join(term.words) + '"'


def _term(text: str, negated: bool) -> Term | None:
    """A term from a word or phrase; None when only stop words or punctuation remain."""
    words = [w.casefold() for w in _WORD.findall(text)]
    while words and words[0] in STOP_WORDS:
        words.pop(0)
    while words and words[-1] in STOP_WORDS:
        words.pop()
    return Term(tuple(words), negated) if words else None


def parse(query: str) -> WebQuery:
    """Parse web-search syntax; a query with nothing to look for is an ``InvalidQuery``."""
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidQuery(f"The query is longer than {MAX_QUERY_CHARS} characters.")
    items: list[Term | str] = []
    for match in _TOKEN.finditer(query):
        quoted_neg, phrase, word_neg, word = match.groups()
        if phrase is not None:
            term = _term(phrase, negated=bool(quoted_neg))
        elif word == "OR" and not word_neg:
            items.append("OR")
            continue
        else:
            term = _term(word, negated=bool(word_neg))
        if term is not None:
            items.append(term)
    clauses: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = last_positive = False
    for item in items:
        if isinstance(item, str):  # OR: a lone or leading one is ignored
            pending_or = last_positive
            continue
        if item.negated:  # an exclusion never joins an OR group
            excluded.append(item)
        elif pending_or:
            clauses[-1].append(item)
        else:
            clauses.append([item])
        last_positive, pending_or = not item.negated, False
    if not clauses:
        raise InvalidQuery(
            "The query has no word to look for: give at least one word or phrase that is not "
            "an operator, a stop word or an exclusion."
        )
    if sum(map(len, clauses)) + len(excluded) > MAX_TERMS:
        raise InvalidQuery(f"The query has more than {MAX_TERMS} terms.")
    return WebQuery(tuple(map(tuple, clauses)), tuple(excluded))
