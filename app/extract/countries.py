"""Countries: names and ISO codes from pycountry, demonyms and capitals from a small table.

pycountry knows official and common names ("Iran", "Bolivia") but not "Russia", "Britain" or
"America", and has no demonyms or capitals; ``patterns/countries.tsv`` adds those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pycountry

COUNTRIES_TSV = Path(__file__).parent / "patterns" / "countries.tsv"

_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
# Names that pycountry.lookup matches but news almost never means as a country.
_NOT_COUNTRY_WORDS = frozenset({"jersey", "chad", "jordan", "guinea", "niger", "georgia", "israel"})


@dataclass(frozen=True, slots=True)
class Country:
    code: str  # ISO 3166-1 alpha-2
    name: str  # the common English name ("Russia", "United States")


@dataclass(frozen=True, slots=True)
class _Tables:
    by_name: dict[str, Country]
    by_demonym: dict[str, Country]
    by_capital: dict[str, Country]
    seats: frozenset[str]


def _key(text: str) -> str:
    """Lookup key: casefolded, no leading "the", no dots, single spaces."""
    text = _LEADING_THE.sub("", text.strip())
    return " ".join(text.replace(".", "").replace("’", "'").split()).casefold()


def _common_name(code: str) -> str | None:
    record = pycountry.countries.get(alpha_2=code)
    if record is None:
        return None
    return str(getattr(record, "common_name", None) or record.name)


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    by_name: dict[str, Country] = {}
    by_demonym: dict[str, Country] = {}
    by_capital: dict[str, Country] = {}
    seats: set[str] = set()
    overrides: dict[str, tuple[str, list[str], list[str], list[str]]] = {}
    for line in COUNTRIES_TSV.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, name, alias_cell, demonym_cell, capital_cell = (line.split("\t") + [""] * 5)[:5]
        overrides[code] = (name, _split(alias_cell), _split(demonym_cell), _split(capital_cell))

    codes = {c.alpha_2 for c in pycountry.countries} | set(overrides)
    for code in sorted(codes):
        name, other_names = overrides.get(code, ("", [], [], []))[:2]
        canonical = name or _common_name(code)
        if canonical is None:
            continue
        country = Country(code, canonical)
        record = pycountry.countries.get(alpha_2=code)
        names = [canonical, *other_names]
        if record is not None:
            names += [record.name, getattr(record, "official_name", "")]
            names.append(getattr(record, "common_name", ""))
        for alias in names:
            if alias:
                by_name.setdefault(_key(alias), country)

    seen_demonyms: dict[str, int] = {}
    for code, (_name, _aliases, demonyms, capitals) in overrides.items():
        found = by_name.get(_key(overrides[code][0] or _common_name(code) or ""))
        if found is None:
            continue
        country = found
        for demonym in demonyms:
            seen_demonyms[_key(demonym)] = seen_demonyms.get(_key(demonym), 0) + 1
            by_demonym[_key(demonym)] = country
        for capital in capitals:
            if capital.startswith("@"):
                capital = capital[1:]
                seats.add(_key(capital))
            by_capital[_key(capital)] = country
    for demonym, count in seen_demonyms.items():  # "Dominican": two countries, so neither
        if count > 1:
            del by_demonym[demonym]
    return _Tables(by_name, by_demonym, by_capital, frozenset(seats))


def _split(column: str) -> list[str]:
    return [item.strip() for item in column.split("|") if item.strip()]


def country_by_name(text: str) -> Country | None:
    """The country a name denotes ("Russia", "the UK", "Republic of Korea"), else None."""
    key = _key(text)
    if len(key) <= 3 and not _LEADING_THE.sub("", text.strip()).replace(".", "").isupper():
        return None  # "us", "Chad"-like short lowercase words are not country codes
    return _tables().by_name.get(key)


def country_by_demonym(text: str) -> Country | None:
    """The country of a demonym or adjective ("Belarusian", "Poles", "British"), else None."""
    tables = _tables()
    key = _key(text)
    if key.endswith("'s"):
        key = key[:-2]
    found = tables.by_demonym.get(key)
    if found is None and key.endswith("s"):
        found = tables.by_demonym.get(key[:-1])
    return found


def country_by_capital(text: str) -> Country | None:
    """The country whose capital or seat of government this is ("Moscow", "the Kremlin")."""
    return _tables().by_capital.get(_key(text))


def is_seat_of_government(text: str) -> bool:
    """A building or street that names a government ("the Kremlin", "Downing Street")."""
    return _key(text) in _tables().seats


def is_ambiguous_country_word(text: str) -> bool:
    """Country names that are also common words or given names ("Jordan", "Chad", "Turkey")."""
    return _key(text) in _NOT_COUNTRY_WORDS


@lru_cache(maxsize=1)
def _nations() -> frozenset[str]:
    """Names of the nations inside a state (ISO 3166-2 types "Country" and "Nation", and the
    "Province" Northern Ireland): England, Scotland, Wales."""
    kinds = {"country", "nation", "province"}
    return frozenset(
        _key(name)
        for sub in pycountry.subdivisions
        if sub.type.casefold() in kinds and sub.country_code == "GB"
        for name in re.split(r"[;\[]", sub.name)
        if name.strip()
    )


def is_nation(text: str) -> bool:
    """ "England", "Scotland", "Wales": a nation that is not a state of its own."""
    return _key(text) in _nations()


def country_by_code(code: str) -> Country | None:
    """The country of an ISO 3166-1 alpha-2 code, with its common English name."""
    return _by_code().get(code.upper())


@lru_cache(maxsize=1)
def _by_code() -> dict[str, Country]:
    return {country.code: country for country in _tables().by_name.values()}


@lru_cache(maxsize=8)
def local_country_names(language: str) -> dict[str, str]:
    """Lookup key → ISO code of every country name in ``language``, from pycountry's gettext
    catalogue ("Allemagne" → DE). Names that read as "Russie, Fédération de" are left out:
    the language's pattern file adds the names news uses."""
    import gettext

    try:
        catalogue = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
    except OSError:
        return {}
    names: dict[str, str] = {}
    for record in pycountry.countries:
        for english in (record.name, getattr(record, "common_name", "")):
            local = catalogue.gettext(english) if english else ""
            if local and "," not in local:
                names.setdefault(_key(local), record.alpha_2)
    return names


def lookup_key(text: str) -> str:
    """The key the name tables use ("the U.K." → "uk")."""
    return _key(text)
