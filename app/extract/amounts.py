"""Money, percentages, quantities and counts of things, with the amounts that restate each other
("$1 billion (€850 million)") sharing a ``same_as_group`` number."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace

from spacy.tokens import Doc, Token
from spacy.tokens import Span as SpacySpan

from app.extract.currencies import (
    CODES,
    NAME_WORDS,
    SYMBOLS,
    currency_from_code,
    currency_from_name,
    singular,
)
from app.extract.failures import guard
from app.extract.nlp import ZoneDoc
from app.extract.numbers import HEDGES, MULTIPLIERS, VAGUE, parse_number
from app.extract.types import Amount

_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_WORD_NUMBER = r"(?i:a|an|one|two|three|four|five|six|seven|eight|nine|ten|twenty|fifty|hundred)"
_MULT = r"(?:\s?(?:thousand|million|billion|trillion|crores?|lakhs?|bn|mn|mln|tn|m|b|k)\b)?"
_SYMBOL = "|".join(re.escape(s) for s in sorted(SYMBOLS, key=len, reverse=True))
_CODE = "|".join(CODES)
_COUNTRY_WORD = r"(?:[A-Z][a-z]+\.?\s|U\.S\.\s|US\s|New\s[A-Z][a-z]+\s|Hong\sKong\s)?"
_NAME = "|".join(NAME_WORDS)
MONEY = re.compile(
    rf"(?P<prefix>{_SYMBOL}|\b(?:{_CODE})\b)\s?(?P<num>{_NUMBER}{_MULT})"
    rf"|(?P<num2>(?:{_NUMBER}|{_WORD_NUMBER}){_MULT}(?:\s(?:thousand|million|billion|trillion))?)"
    rf"\s(?P<name>{_COUNTRY_WORD}(?:{_NAME})\b(?:\ssterling)?|(?:{_CODE})\b)",
)
PERCENT = re.compile(
    rf"(?P<num>{_NUMBER})\s?(?P<unit>%|per\s?cent\b|percent\b|percentage[\s-]points?\b|pct\b)",
    re.IGNORECASE,
)
# Parenthesized restatements and "or about": "$1 billion (€850 million)".
_SAME_GAP = re.compile(
    r"\s*(?:\(\s*|,?\s+or\s+|/\s*|;\s*)(?:about|around|approximately|roughly|some|c\.|~)?\s*$"
)
_PHONE = re.compile(r"\+?\(?\d{2,4}\)?[\s.-]\d{3,4}[\s.-]\d{3,4}")
_SCORE = re.compile(r"\d+\s?[-–]\s?\d+")
_LABEL_WORDS = {
    "article", "section", "chapter", "no", "no.", "number", "resolution", "page", "room",
    "flight", "route", "highway", "paragraph", "clause", "rule", "amendment", "version",
    "episode", "season", "level", "grade", "phase", "stage", "category", "class", "type",
    "model", "item", "gate", "platform", "line", "bus", "channel", "unit", "act", "bill",
    "district", "ward", "precinct", "lot", "vol", "vol.", "p.", "pp.", "#", "top",
}  # fmt: skip
_NAME_LABELS = {
    "PERSON", "ORG", "GPE", "NORP", "FAC", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW",
    "LANGUAGE", "DATE", "TIME", "ORDINAL", "MONEY", "PERCENT",
}  # fmt: skip
_TIME_UNITS = {"second", "minute", "hour", "day", "week", "month", "year", "decade", "century"}
_REFERRING = {"the", "these", "those", "both", "all", "its", "their", "his", "her", "our"}


def extract_amounts(docs: Sequence[ZoneDoc]) -> list[Amount]:
    """Every amount of the article's zones, in zone and text order, with restatements grouped."""
    amounts: list[Amount] = []
    for zone_doc in docs:
        found: list[Amount] = []
        for finder in (_money, _percents, _quantities, _counts):
            taken = [(a.span.start, a.span.end) for a in found]
            found.extend(
                a for a in finder(zone_doc) if _storable(a) and not _overlaps_any(a, taken)
            )
        rates = [_as_rate(a, zone_doc) for a in sorted(found, key=lambda a: a.span.start)]
        taken = [(a.span.start, a.span.end) for a in rates if a.kind == "rate"]
        amounts.extend(
            _flag_approximate(a, zone_doc)
            for a in rates
            if (a.kind == "rate" or not _inside_any(a, taken)) and _storable(a)
        )
    return _group(amounts, docs)


_APPROXIMATING = re.compile(
    r"\b(?:about|around|approximately|roughly|nearly|almost|some|an estimated|estimated|"
    r"close to|circa|or so)\s+\Z",
    re.IGNORECASE,
)


def _flag_approximate(amount: Amount, zone_doc: ZoneDoc) -> Amount:
    """ "hundreds of thousands of customers", "dozens", "about 300": not an exact figure."""
    words = amount.text.lower().split()
    vague = any(w in VAGUE for w in words) or any(
        f"{a} of {b}" in VAGUE for a, b in zip(words, words[2:], strict=False)
    )
    window = max(amount.span.start - 20, 0)
    hedge = _APPROXIMATING.search(zone_doc.text[window : amount.span.start])
    if hedge is not None:
        word = _token_at(zone_doc, window + hedge.start())
        if word is not None and word.lower_ in ("about", "around") and word.pos_ == "ADP":
            hedge = None  # "a drama about two boys", "around the 40 towns"
    return replace(amount, approximate=True) if vague or hedge else amount


def _inside_any(amount: Amount, taken: list[tuple[int, int]]) -> bool:
    """An amount swallowed by a rate's base ("per 100,000 people")."""
    return any(start < amount.span.start and amount.span.end <= end for start, end in taken)


# "25.9 cases per 100,000 people", "$3 a gallon", "5 per cent a year": one amount per base.
_RATE_HEAD = re.compile(r"\s+(per|a|an|each|every)\s+(?=\w)")
_RATE_WORD = re.compile(rf"(?:{_NUMBER}|[a-z]+(?:-[a-z]+)*)(?= |\b)")
_RATE_BASES = {
    "second", "minute", "hour", "day", "night", "week", "fortnight", "month", "quarter",
    "year", "decade", "gallon", "litre", "liter", "barrel", "tonne", "ton", "kilo", "kilogram",
    "kg", "pound", "lb", "ounce", "share", "head", "person", "passenger", "unit", "mile",
    "kilometre", "kilometer", "km", "ticket", "dose", "visit", "capita", "household", "pupil",
    "student", "patient", "resident", "adult", "child", "vehicle", "car", "kwh", "piece",
}  # fmt: skip
_BASE_POS = {"NUM", "ADJ", "NOUN", "PROPN"}
_CLOCK_UNITS = {"hour", "minute", "second"}
_NOT_AFTER_RATE = {"ago", "earlier", "later", "before", "after", "old"}
_SPEED_UNITS = {"mile", "miles", "kilometre", "kilometres", "kilometer", "kilometers", "km"}
_SPEED_UNITS |= {"metre", "metres", "meter", "meters", "foot", "feet", "knot", "knots"}


def _as_rate(amount: Amount, zone_doc: ZoneDoc) -> Amount:
    """The amount as a rate when "per", "a" or "each" and a base follow it; else unchanged.

    After "per" the base is a noun phrase of up to three words ("per 100,000 people", "per
    capita"); after "a"/"an"/"each"/"every" one unit of time or of measure ("$3 a gallon",
    "5% a year"), so that "5% a year ago" stays a percentage. Speeds ("75 miles per hour")
    are units, not rates.
    """
    text = zone_doc.text
    head = _RATE_HEAD.match(text, amount.span.end)
    if head is None or amount.kind == "rate":
        return amount
    per = head[1]
    base_end = None
    for end in _word_ends(text, head.end(), 3 if per == "per" else 1):
        word = _token_at(zone_doc, end - 1)
        if word is None or word.lower_ == "cent" or word.pos_ not in _BASE_POS:
            break  # "per day of carbon": the base stops before "of"
        if per == "per" and (word.pos_ in ("NOUN", "PROPN") or word.lower_ in _RATE_BASES):
            base_end = end
        if per != "per" and singular(word.lower_) in _RATE_BASES:
            base_end = end
    if base_end is None:
        return amount
    following = text[base_end : base_end + 12].split()
    if following and following[0].strip(".,;:").lower() in _NOT_AFTER_RATE:
        return amount  # "5% a year ago"
    base = text[head.end() : base_end].lower()
    if per != "per":
        base = singular(base)
    if amount.unit.split()[-1] in _SPEED_UNITS and singular(base) in _CLOCK_UNITS:
        return amount  # "74 miles per hour": a speed, a unit of its own
    return replace(
        amount,
        text=text[amount.span.start : base_end],
        span=zone_doc.span(amount.span.start, base_end),
        unit=f"{amount.unit} per {base}",
        kind="rate",
    )


def _word_ends(text: str, start: int, most: int) -> list[int]:
    """Where each of up to ``most`` words from ``start`` on ends (single spaces between)."""
    window = text[start : start + 80].lower()
    ends: list[int] = []
    position = 0
    while len(ends) < most:
        word = _RATE_WORD.match(window, position)
        if word is None:
            break
        ends.append(start + word.end())
        if window[word.end() : word.end() + 1] != " ":
            break
        position = word.end() + 1
    return ends


def _token_at(zone_doc: ZoneDoc, char: int) -> Token | None:
    tokens = zone_doc.doc.char_span(char, char + 1, alignment_mode="expand")
    return tokens[0] if tokens is not None and len(tokens) else None


def _storable(amount: Amount) -> bool:
    """A finite value ("$1e300 billion" is not), and a text and unit of sane length: a longer
    one is a run of digits or a table row, and would not fit the store (500 and 200)."""
    return math.isfinite(amount.value) and len(amount.text) <= 200 and len(amount.unit) <= 100


def _overlaps_any(amount: Amount, taken: list[tuple[int, int]]) -> bool:
    return any(amount.span.start < end and start < amount.span.end for start, end in taken)


def _money(zone_doc: ZoneDoc) -> Iterator[Amount]:
    text = zone_doc.text
    for match in MONEY.finditer(text):
        with guard("amounts", zone_doc, match.start(), match.end()):
            if match["prefix"]:
                currency = currency_from_code(match["prefix"])
                number = match["num"]
            else:
                name = match["name"]
                currency = currency_from_code(name) or currency_from_name(name)
                number = match["num2"]
                if name.lower() == "won" and not re.search(r"[a-z]\Z", number):
                    continue  # "3 won" is a verb; "1.2 trillion won" is money
                if _is_weight(name, number):
                    continue
            value = parse_number(number)
            if currency is None or value is None:
                continue
            start, end = match.start(), match.end()
            later = _RANGE_MULTIPLIER.match(text, end)
            if later and not re.search(r"[a-z]\s*\Z", number):
                value *= MULTIPLIERS[later[1].lower()]  # "between $300 and 400 billion"
            if match["prefix"] and _inside_word(text, start, end):
                continue
            confidence = 0.9 if match["prefix"] == "$" else 1.0
            yield Amount(text[start:end], zone_doc.span(start, end), value, currency, "money",
                         confidence=confidence)  # fmt: skip


_RANGE_MULTIPLIER = re.compile(
    rf"\s*(?:-|–|to|and)\s*(?:{_SYMBOL})?{_NUMBER}\s?(thousand|million|billion|trillion|bn|m)\b"
)


def _is_weight(name: str, number: str) -> bool:
    """ "82 pounds" weighs; "10 million pounds" or "5 pounds sterling" is money."""
    words = name.lower().split()
    if singular(words[-1]) != "pound" or len(words) > 1:
        return False
    return not re.search(r"[a-z]\s*\Z", number.lower())


def _inside_word(text: str, start: int, end: int) -> bool:
    """ "S$" in "UAS$5" or a number running on into letters ("$5million" is fine)."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return before.isalnum() or (after.isdigit())


def _percents(zone_doc: ZoneDoc) -> Iterator[Amount]:
    text = zone_doc.text
    for match in PERCENT.finditer(text):
        with guard("amounts", zone_doc, match.start(), match.end()):
            value = parse_number(match["num"])
            if value is None:
                continue
            unit = "percentage points" if "point" in match["unit"].lower() else "%"
            yield Amount(
                match[0], zone_doc.span(match.start(), match.end()), value, unit, "percent"
            )
    for ent in zone_doc.doc.ents:
        if ent.label_ != "PERCENT" or any(c.isdigit() for c in ent.text):
            continue
        with guard("amounts", zone_doc, ent.start_char, ent.end_char):
            words = re.sub(
                r"\b(?:per\s?cent|percent|percentage points?)\b", "", ent.text, flags=re.I
            )
            value = parse_number(words.strip())
            if value is not None:
                unit = "percentage points" if "point" in ent.text.lower() else "%"
                yield Amount(ent.text, zone_doc.span(ent.start_char, ent.end_char), value, unit,
                             "percent")  # fmt: skip


def _quantities(zone_doc: ZoneDoc) -> Iterator[Amount]:
    """Measures ("300 kilometres", "5,000 tonnes") from spaCy QUANTITY entities."""
    for ent in zone_doc.doc.ents:
        if ent.label_ != "QUANTITY":
            continue
        with guard("amounts", zone_doc, ent.start_char, ent.end_char):
            number_end = ent.start
            while number_end < ent.end and _is_number_word(ent.doc[number_end]):
                number_end += 1
            value = (
                parse_number(ent.doc[ent.start : number_end].text)
                if number_end > ent.start
                else None
            )
            unit = ent.doc[number_end : ent.end].text.lower().strip()
            if value is None or not unit or not re.search(r"[a-z]", unit):
                continue
            span = zone_doc.span(ent.start_char, ent.end_char)
            yield Amount(ent.text, span, value, unit, "quantity")


def _is_number_word(token: Token) -> bool:
    word = token.lower_
    return token.like_num or word in MULTIPLIERS or HEDGES.match(word + " ") is not None


def _counts(zone_doc: ZoneDoc) -> Iterator[Amount]:
    """Numbers that count something: "200,000 military personnel", "thousands of protesters"."""
    doc = zone_doc.doc
    for start, end in _number_phrases(doc):
        with guard("amounts", zone_doc, doc[start].idx, doc[end - 1].idx + len(doc[end - 1])):
            number = doc[start:end]
            if _skip_number(number, zone_doc.text):
                continue
            unit_tokens = _unit_of(number)
            if unit_tokens is None:
                continue
            words = number.text
            vague = words.lower() in VAGUE or (len(number) > 1 and doc[end - 1].lower_ in VAGUE)
            value = parse_number(words)
            if value is None or value <= 0:
                continue
            if value != 1 and unit_tokens[-1].tag_ == "NN" and number[-1].like_num:
                continue  # a label, not a count: "Falcon 9 rocket", "Boeing 737 jet"
            if start > 0 and doc[start - 1].lower_ in _REFERRING and value < 10:
                continue  # "the two countries" refers back, it does not count
            if value == 1 and not number[0].is_digit and not _enumerates(number):
                continue  # "One group of organizers", "one man": an indefinite, not a count
            if _names_a_model(number):
                continue  # "RTX 3080 cards", "iPhone 12 sales", "Boeing 737 jets"
            first, last = number[0], unit_tokens[-1]
            unit = " ".join(t.text for t in unit_tokens).lower().replace(" - ", "-")
            kind = "quantity" if singular(unit_tokens[-1].lower_) in _TIME_UNITS else "count"
            span = zone_doc.span(first.idx, last.idx + len(last))
            confidence = 0.5 if vague else (0.7 if value < 10 else 1.0)
            text = zone_doc.text[first.idx : last.idx + len(last)]
            yield Amount(text, span, value, unit, kind, confidence=confidence)  # type: ignore[arg-type]


def _number_phrases(doc: Doc) -> Iterator[tuple[int, int]]:
    """Runs of number words ("1.2 million", "two hundred"), and vague plurals ("thousands")."""
    i = 0
    while i < len(doc):
        token = doc[i]
        if i + 2 < len(doc) and doc[i + 1].lower_ == "of" and _vague_of(token, doc[i + 2]):
            yield i, i + 3  # "hundreds of thousands": one vague number, not 100 "of thousands"
            i += 3
            continue
        if token.like_num or token.lower_ in VAGUE or token.lower_ == "dozen":
            start = i
            if start > 0 and doc[start - 1].lower_ in ("a", "an") and token.lower_ == "dozen":
                start -= 1
            while i + 1 < len(doc) and (
                (doc[i + 1].lower_ in MULTIPLIERS and doc[i + 1].lower_ != "m")
                or (doc[i + 1].like_num and not doc[i + 1].is_punct)
            ):
                i += 1
            yield start, i + 1
        i += 1


def _enumerates(number: SpacySpan) -> bool:
    """ "one MP of the PPC, one of the CCF and 8 independents": "one" among other counts."""
    return any(
        t.like_num
        and t.ent_type_ not in ("DATE", "TIME", "ORDINAL")
        and (t.i < number.start or t.i >= number.end)
        for t in number.sent
    )


def _names_a_model(number: SpacySpan) -> bool:
    """A number that ends a name ("RTX 3080", "iPhone 12", "Boeing 737") is part of it.

    The word before is a proper name or written with capitals inside ("RTX", "iPhone"), joined
    to the number by one space, and the number is bare digits (no "3,000" or "2.5").
    """
    first = number[0]
    if first.i == 0 or not re.fullmatch(r"\d+", number.text):
        return False
    name = first.doc[first.i - 1]
    if not name.whitespace_ or name.lower_ in _LABEL_WORDS:
        return False
    inner_capitals = any(c.isupper() for c in name.text[1:])
    return inner_capitals or (name.pos_ == "PROPN" and name.text[:1].isupper())


def _vague_of(first: Token, second: Token) -> bool:
    return f"{first.lower_} of {second.lower_}" in VAGUE

    return f"{first.lower_} of {second.lower_}" in VAGUE


def _skip_number(number: SpacySpan, text: str) -> bool:
    """``text``: the Doc's text, read once by the caller (``Doc.text`` rebuilds it per call)."""
    doc = number.doc
    first, last = number[0], number[-1]
    if any(t.ent_type_ in _NAME_LABELS for t in number):
        return True
    previous = doc[first.i - 1] if first.i > 0 else None
    if previous is not None and (previous.lower_ in _LABEL_WORDS or previous.lower_ == "per"):
        return True  # "Article 5", "per 100,000 people"
    if last.i + 1 < len(doc) and doc[last.i + 1].text in ("-", "–"):
        return True  # "five-storey", "25-year-old"
    around = text[max(first.idx - 6, 0) : last.idx + len(last) + 6]
    if _PHONE.search(around) or any(_SCORE.fullmatch(t.text) for t in number):
        return True
    if re.search(r"\d\s?[-–]\s?$", text[max(first.idx - 4, 0) : first.idx]):
        return True  # the second half of a score or a range handled elsewhere
    return bool(last.i + 1 < len(doc) and re.match(r"[-–]\d", text[last.idx + len(last) :][:2]))


def _unit_of(number: SpacySpan) -> list[Token] | None:
    """The counted noun with its modifiers between the number and it ("military personnel")."""
    doc = number.doc
    last = number[-1]
    root = number.root
    head = root.head
    if root.dep_ in ("nummod", "quantmod", "amod", "compound") and head.i > last.i:
        if head.pos_ == "NOUN" and head.i - last.i <= 4:
            tokens = list(doc[last.i + 1 : head.i + 1])
            if tokens and not any(t.is_punct or t.is_space for t in tokens):
                return tokens
        return None
    nxt = doc[last.i + 1] if last.i + 1 < len(doc) else None
    if nxt is not None and nxt.lower_ == "of" and (last.lower_ in VAGUE or last.lower_ == "dozen"):
        objects = [c for c in nxt.children if c.dep_ == "pobj"]
        if objects and objects[0].pos_ in ("NOUN", "PROPN"):
            noun = objects[0]
            left = min((c.i for c in noun.lefts if c.dep_ in ("amod", "compound")), default=noun.i)
            tokens = list(doc[left : noun.i + 1])
            if not any(t.is_punct or t.is_space for t in tokens):
                return tokens
    return None


def _group(amounts: list[Amount], docs: Sequence[ZoneDoc]) -> list[Amount]:
    """Union restatements: a parenthesized conversion, and the same money or big count repeated."""
    parent = list(range(len(amounts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    texts = {(d.zone, d.zone_index): d.text for d in docs}
    for i in range(len(amounts) - 1):
        a, b = amounts[i], amounts[i + 1]
        same_zone = (a.span.zone, a.span.zone_index) == (b.span.zone, b.span.zone_index) or {
            a.span.zone,
            b.span.zone,
        } == {"body", "subhead"}
        if same_zone and a.kind == b.kind and a.kind in ("money", "quantity"):
            zone = "body" if a.span.zone == "subhead" else a.span.zone
            gap = texts.get((zone, a.span.zone_index), "")[a.span.end : b.span.start]
            if len(gap) <= 20 and _SAME_GAP.fullmatch(gap):
                parent[find(i)] = find(i + 1)
    by_key: dict[tuple[str, str, float], int] = {}
    for i, amount in enumerate(amounts):
        if amount.kind == "percent" or amount.confidence < 0.6:
            continue
        if amount.kind == "count" and amount.value < 100:
            continue
        key = (amount.kind, amount.unit, amount.value)
        if key in by_key:
            parent[find(i)] = find(by_key[key])
        else:
            by_key[key] = i
    sizes: dict[int, int] = {}
    for i in range(len(amounts)):
        sizes[find(i)] = sizes.get(find(i), 0) + 1
    numbers: dict[int, int] = {}
    out = []
    for i, amount in enumerate(amounts):
        root = find(i)
        if sizes[root] > 1:
            numbers.setdefault(root, len(numbers))
            amount = replace(amount, same_as_group=numbers[root])
        out.append(amount)
    return out
