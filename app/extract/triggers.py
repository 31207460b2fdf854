"""The event trigger lexicon: which words, in which syntactic company, announce which event type.

Each trigger is a token of the spaCy parse. Ambiguous words need company: "exercise" only in a
military context, "strike" only with a military target, "buy" only when arms are bought, "sign"
only with an agreement as object. Being conservative here is the point: a false event is worse
than a missed one.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Token

from app.extract.other_triggers import other_noun_trigger, other_verb_trigger
from app.extract.types import EventType

MEETING_NOUNS = frozenset({"meeting", "summit", "talks"})
VISIT_NOUNS = frozenset({"visit", "trip"})
EXERCISE_NOUNS = frozenset({"exercise", "drill", "maneuver", "manoeuvre", "maneuvers", "wargame"})
ACQUIRE_VERBS = frozenset({"buy", "purchase", "acquire", "procure", "import", "order"})
SELL_VERBS = frozenset({"sell", "supply", "deliver", "export"})
DEAL_NOUNS = frozenset({"deal", "purchase", "acquisition", "sale", "contract", "order", "delivery"})
BUY_NOUNS = frozenset({"purchase", "acquisition", "order"})
AGREEMENT_NOUNS = frozenset(
    {"agreement", "treaty", "deal", "accord", "pact", "memorandum", "contract", "protocol"}
)
SIGN_VERBS = frozenset({"sign", "ink", "conclude"})
DECLARE_VERBS = frozenset({"announce", "declare", "proclaim", "impose", "introduce"})
DEPLOY_VERBS = frozenset({"deploy", "station", "send", "dispatch"})
ATTACK_VERBS = frozenset({"attack", "bomb", "shell", "strike", "invade", "raid"})
ATTACK_NOUNS = frozenset(
    {"attack", "airstrike", "bombing", "shelling", "assault", "invasion", "raid", "strike"}
)
ELECTION_NOUNS = frozenset({"election", "referendum", "runoff", "by-election"})
ELECTION_QUALIFIERS = frozenset({"presidential", "parliamentary", "general", "local", "national"})
PROTEST_NOUNS = frozenset({"protest", "rally", "demonstration", "sit-in"})
PROTEST_VERBS = frozenset({"protest", "rally", "demonstrate"})
SANCTION_NOUNS = frozenset({"sanction", "embargo"})

MILITARY_WORDS = frozenset(
    "military army naval navy air joint war troop soldier force defense defence combat "
    "tactical strategic nuclear missile tank live-fire fire warship nato artillery "
    "battalion brigade marine personnel".split()
)
ARMS_WORDS = frozenset(
    "weapon arms missile tank jet fighter aircraft helicopter drone submarine warship "
    "frigate howitzer ammunition munition rifle artillery rocket s-400 defense defence".split()
)
TROOP_WORDS = frozenset(
    "troop soldier force forces army warship marine battalion brigade unit peacekeeper "
    "missile jet aircraft".split()
)
TARGET_WORDS = frozenset(
    "city town village base target position convoy hospital school building border "
    "compound camp facility airport port infrastructure".split()
)


@dataclass(frozen=True, slots=True)
class Trigger:
    token: Token
    type: EventType
    # "buy": the subject buys; "sell": the subject sells; "" otherwise.
    direction: str = ""
    # Families of ``other_triggers`` ("legal", "office", "vote", "award", "disaster"), else "".
    family: str = ""


def _lemma(token: Token) -> str:
    return token.lemma_.lower()


def _words(tokens: list[Token] | Token) -> set[str]:
    items = [tokens] if isinstance(tokens, Token) else tokens
    return {_lemma(t) for t in items} | {t.lower_ for t in items}


def _np_modifiers(token: Token) -> list[Token]:
    return [c for c in token.children if c.dep_ in ("amod", "compound", "nmod", "npadvmod")]


def _objects(verb: Token) -> list[Token]:
    """Direct objects, looking through "a host of X", "$1 billion worth of X"."""
    out: list[Token] = []
    for child in verb.children:
        if child.dep_ in ("dobj", "nsubjpass", "attr"):
            out.append(child)
            out.extend(child.conjuncts)
    for obj in list(out):
        for prep in obj.children:
            if prep.dep_ == "prep" and prep.lower_ == "of":
                out.extend(p for p in prep.children if p.dep_ == "pobj")
    return out


def _military_context(token: Token) -> bool:
    if _words(_np_modifiers(token)) & MILITARY_WORDS:
        return True
    if any(t.ent_type_ in ("EVENT",) for t in _np_modifiers(token)):
        return True
    return bool(_words(list(token.sent)) & MILITARY_WORDS)


def _arms_in(tokens: list[Token]) -> bool:
    return any((_words(list(t.subtree)) & ARMS_WORDS) or t.ent_type_ == "WEAPON" for t in tokens)


def _noun_trigger(token: Token) -> Trigger | None:
    lemma, lower = _lemma(token), token.lower_
    modifiers = _np_modifiers(token)
    if lower in MEETING_NOUNS or lemma in ("meeting", "summit"):
        return Trigger(token, "meeting")
    if lemma in VISIT_NOUNS:
        return Trigger(token, "visit")
    if lemma in EXERCISE_NOUNS or lower in EXERCISE_NOUNS:
        if _military_context(token):
            return Trigger(token, "military_exercise")
        return None
    if lower == "games" and any(_lemma(m) == "war" for m in modifiers):
        return Trigger(token, "military_exercise")
    if lemma in DEAL_NOUNS and _arms_in([token]):
        return Trigger(token, "arms_deal", "buy" if lemma in BUY_NOUNS else "")
    if lemma == "state" and any(
        p.lower_ == "of" and any(_lemma(o) == "emergency" for o in p.children)
        for p in token.children
    ):
        return Trigger(token, "state_of_emergency")
    if lemma == "law" and any(_lemma(m) == "martial" for m in modifiers):
        return Trigger(token, "state_of_emergency")
    if lemma == "deployment" and _military_context(token):
        return Trigger(token, "deployment")
    if lemma in ATTACK_NOUNS:
        if lemma == "strike" and not (_words(modifiers) & {"air", "missile", "drone", "military"}):
            return None
        if lemma in ("attack", "assault", "raid") and not _violent_context(token):
            return None
        return Trigger(token, "attack")
    if lemma in ELECTION_NOUNS or (
        lemma in ("poll", "vote") and _words(modifiers) & ELECTION_QUALIFIERS
    ):
        return Trigger(token, "election")
    if lemma in PROTEST_NOUNS:
        bare = not any(c.dep_ in ("det", "poss", "amod", "compound") for c in token.children)
        if bare and token.head.lower_ == "in" and lemma == "protest":
            return None  # "resigned in protest": a manner, not a demonstration
        return Trigger(token, "protest")
    if lemma in SANCTION_NOUNS and (lemma == "embargo" or lower == "sanctions"):
        return Trigger(token, "sanction")
    return None


def _violent_context(token: Token) -> bool:
    """'attack' as violence, not 'verbal attack' or 'heart attack'."""
    modifiers = _words(_np_modifiers(token))
    if modifiers & {"heart", "verbal", "panic", "asthma", "cyber", "personal", "political"}:
        return False
    violent = {
        "kill",
        "wound",
        "injure",
        "dead",
        "bomb",
        "gunman",
        "militant",
        "missile",
        "rocket",
        "terrorist",
        "shoot",
        "explosion",
        "troop",
        "soldier",
        "drone",
        "armed",
        "suicide",
        "military",
        "army",
        "insurgent",
        "rebel",
        "police",
        "casualty",
    }
    return bool(_words(list(token.sent)) & violent)


def _verb_trigger(token: Token) -> Trigger | None:
    lemma = _lemma(token)
    objects = _objects(token)
    object_words = _words(objects)
    if lemma == "meet" and token.pos_ == "VERB":
        if object_words & {
            "demand",
            "requirement",
            "target",
            "standard",
            "need",
            "criterion",
            "expectation",
            "deadline",
            "goal",
            "obligation",
            "condition",
            "death",
            "end",
            "fate",
        }:
            return None
        return Trigger(token, "meeting")
    if lemma == "visit":
        return Trigger(token, "visit")
    if lemma == "travel" and any(c.lower_ == "to" for c in token.children):
        return Trigger(token, "visit")
    if lemma in ACQUIRE_VERBS and _arms_in(objects):
        return Trigger(token, "arms_deal", "buy")
    if lemma in SELL_VERBS and _arms_in(objects):
        return Trigger(token, "arms_deal", "sell")
    if lemma in SIGN_VERBS and (object_words & AGREEMENT_NOUNS):
        return Trigger(token, "agreement")
    if lemma in DECLARE_VERBS and any(_noun_trigger(o) for o in objects):
        return None  # "declared a state of emergency": the object is the event
    if lemma in ("announce", "declare", "proclaim") and objects:
        inner = [t for o in objects for t in o.subtree]
        if any(find_trigger(t) for t in inner):
            return None  # "announced plans to buy arms": the inner event is the news
        return Trigger(token, "statement")
    if lemma in DEPLOY_VERBS and object_words & TROOP_WORDS:
        return Trigger(token, "deployment")
    if lemma in ATTACK_VERBS:
        if lemma in ("attack", "invade", "bomb", "shell") and _violent_context(token):
            return Trigger(token, "attack")
        if object_words & TARGET_WORDS or any(o.ent_type_ in ("GPE", "FAC") for o in objects):
            return (
                Trigger(token, "attack") if lemma != "attack" or _violent_context(token) else None
            )
        return None
    if lemma == "elect" and token.tag_ == "VBN":
        return Trigger(token, "election")
    if lemma in PROTEST_VERBS and any(c.dep_ == "nsubj" for c in token.children):
        return Trigger(token, "protest")
    if lemma == "sanction" and objects:
        return Trigger(token, "sanction")
    return None


def is_negated(token: Token) -> bool:
    """ "did not meet", "never visited", "do not elect": the text says it did not happen
    (for a noun trigger, the verb it is the object or passive subject of)."""
    if any(c.dep_ == "neg" for c in token.children):
        return True
    head = token.head
    return (
        token.pos_ in ("NOUN", "PROPN")
        and token.dep_ in ("dobj", "nsubjpass")
        and any(c.dep_ == "neg" for c in head.children)
    )


def find_trigger(token: Token) -> Trigger | None:
    """The event a token announces, if any."""
    # The small model tags some verbs with particles as nouns ("shot down").
    if token.pos_ == "VERB" or any(c.dep_ == "prt" for c in token.children):
        other = other_verb_trigger(token)
        if other is not None and other[1] == "disaster":
            return Trigger(token, other[0], family=other[1])  # "the storm struck Florida"
        core = _verb_trigger(token)
        if core is not None or other is None:
            return core
        return Trigger(token, other[0], family=other[1])
    if token.pos_ in ("NOUN", "PROPN") or token.lower_ == "landfall":
        core = _noun_trigger(token)
        if core is not None:
            return core
        other = other_noun_trigger(token)
        return Trigger(token, other[0], family=other[1]) if other else None
    return None
