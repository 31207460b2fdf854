"""Currency symbols, codes and names → ISO 4217 codes (pycountry plus a small synonym table)."""

from __future__ import annotations

import re
from functools import lru_cache

import pycountry

# Prefix symbols; a bare "$" is read as US dollars (the usual reading in English-language news).
SYMBOLS = {
    "US$": "USD", "U.S.$": "USD", "$": "USD", "A$": "AUD", "AU$": "AUD", "C$": "CAD",
    "CA$": "CAD", "CAD$": "CAD", "HK$": "HKD", "NZ$": "NZD", "S$": "SGD", "SG$": "SGD",
    "R$": "BRL", "NT$": "TWD", "Mex$": "MXN", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR",
    "Rs.": "INR", "Rs": "INR", "₽": "RUB", "₩": "KRW", "₪": "ILS", "₺": "TRY", "₴": "UAH",
    "₦": "NGN", "₱": "PHP", "฿": "THB", "₫": "VND", "RMB": "CNY",
}  # fmt: skip
# Codes common enough in news to be trusted before or after a number ("USD 5 million").
CODES = (
    "USD EUR GBP JPY CNY CHF AUD CAD HKD NZD SGD INR RUB KRW BRL ZAR MXN SEK NOK DKK PLN TRY "
    "ILS UAH NGN EGP PKR AED SAR BYN KZT IDR THB MYR PHP VND TWD ARS CLP COP CZK HUF RON KES "
    "GHS BDT LKR QAR KWD IRR IQD"
).split()
# A currency word with no country before it: the most likely reading.
DEFAULT_NAMES = {
    "dollar": "USD", "euro": "EUR", "pound": "GBP", "sterling": "GBP", "pound sterling": "GBP",
    "yen": "JPY", "yuan": "CNY", "renminbi": "CNY", "ruble": "RUB", "rouble": "RUB",
    "rupee": "INR", "won": "KRW", "franc": "CHF", "peso": "MXN", "real": "BRL", "reais": "BRL",
    "rand": "ZAR", "naira": "NGN", "lira": "TRY", "shekel": "ILS", "hryvnia": "UAH",
    "zloty": "PLN", "krona": "SEK", "kronor": "SEK", "krone": "NOK", "kroner": "NOK",
    "dirham": "AED", "riyal": "SAR", "rial": "IRR", "ringgit": "MYR", "baht": "THB",
    "rupiah": "IDR", "dong": "VND", "forint": "HUF", "koruna": "CZK", "tenge": "KZT",
    "taka": "BDT", "cedi": "GHS", "lei": "RON", "leu": "RON",
}  # fmt: skip
# Country words that qualify a currency name, when pycountry's own name differs.
QUALIFIED = {
    "us dollar": "USD", "u.s. dollar": "USD", "american dollar": "USD", "british pound": "GBP",
    "chinese yuan": "CNY", "japanese yen": "JPY", "russian rouble": "RUB",
    "south korean won": "KRW", "korean won": "KRW", "indian rupee": "INR",
    "pakistani rupee": "PKR", "swiss franc": "CHF",
    "belarusian rouble": "BYN", "belarusian ruble": "BYN", "ukrainian hryvnia": "UAH",
    "turkish lira": "TRY", "israeli shekel": "ILS", "polish zloty": "PLN", "taiwan dollar": "TWD",
    "taiwanese dollar": "TWD", "new taiwan dollar": "TWD", "hong kong dollar": "HKD",
}  # fmt: skip
_PLURAL = {"reais": "real", "kronor": "krona", "kroner": "krone", "lei": "leu"}


@lru_cache(maxsize=1)
def _pycountry_names() -> dict[str, str]:
    """ "australian dollar" → AUD, from pycountry's currency names."""
    names: dict[str, str] = {}
    for currency in pycountry.currencies:
        name = currency.name.lower()
        if len(name.split()) >= 2 and not name.startswith(("sdr", "bond", "gold", "silver")):
            names.setdefault(name, currency.alpha_3)
    return names


def singular(word: str) -> str:
    word = word.lower()
    if word in _PLURAL:
        return _PLURAL[word]
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def currency_from_name(phrase: str) -> str | None:
    """ISO code for "euros", "Australian dollars", "pounds sterling"; None if not a currency."""
    words = re.sub(r"\s+", " ", phrase.strip().lower()).split(" ")
    if not words or not words[0]:
        return None
    if words[-1] == "sterling":
        return "GBP"
    head = singular(words[-1])
    if head not in DEFAULT_NAMES:
        return None
    for size in (3, 2):
        if len(words) >= size:
            qualified = " ".join([*words[-size:-1], head])
            code = QUALIFIED.get(qualified) or _pycountry_names().get(qualified)
            if code:
                return code
    return DEFAULT_NAMES[head]


def currency_from_code(code: str) -> str | None:
    if code in SYMBOLS:
        return SYMBOLS[code]
    if code in CODES and pycountry.currencies.get(alpha_3=code) is not None:
        return code
    return None


NAME_WORDS = sorted(
    {*DEFAULT_NAMES, *(n + "s" for n in DEFAULT_NAMES if not n.endswith(("s", "n", "i")))}
    | {"yen", "yuan", "won", "rand", "naira", "baht", "dong", "rupiah", "ringgit", "pesos"},
    key=len,
    reverse=True,
)
