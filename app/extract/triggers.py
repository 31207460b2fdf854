"""The event trigger lexicon: which words, in which syntactic company, announce which event type.

Each trigger is a token of the spaCy parse, decided by the rule tables ``NOUN_RULES`` and
``VERB_RULES`` (see ``trigger_rules``; the families beyond diplomacy and war are in
``other_triggers``). Ambiguous words need company: "exercise" only in a military context,
"strike" only with a military target, "buy" only when arms are bought, "sign" only with an
agreement as object. Being conservative here is the point: a false event is worse than a
missed one.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Token

from app.extract.other_triggers import (
    OTHER_NOUN_RULES,
    OTHER_VERB_RULES,
    PRE_VERB_RULES,
)
from app.extract.trigger_rules import (
    Check,
    Rule,
    RuleBook,
    form_in,
    has_subject,
    has_word_child,
    is_verb,
    lemma,
    modifiers_include,
    np_modifiers,
    rule,
    unless,
    words,
)
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
STATEMENT_VERBS = frozenset({"announce", "declare", "proclaim"})
DEPLOY_VERBS = frozenset({"deploy", "station", "send", "dispatch"})
ATTACK_VERBS = frozenset({"attack", "bomb", "shell", "strike", "invade", "raid"})
VIOLENT_VERBS = frozenset({"attack", "invade", "bomb", "shell"})
ATTACK_NOUNS = frozenset(
    {"attack", "airstrike", "bombing", "shelling", "assault", "invasion", "raid", "strike"}
)
MILITARY_STRIKES = frozenset({"air", "missile", "drone", "military"})
ELECTION_NOUNS = frozenset({"election", "referendum", "runoff", "by-election"})
ELECTION_QUALIFIERS = frozenset({"presidential", "parliamentary", "general", "local", "national"})
PROTEST_NOUNS = frozenset({"protest", "rally", "demonstration", "sit-in"})
PROTEST_VERBS = frozenset({"protest", "rally", "demonstrate"})
# "met the deadline", "met his death": what one meets that is no meeting.
MET_NON_EVENTS = frozenset(
    "demand requirement target standard need criterion expectation deadline goal obligation "
    "condition death end fate".split()
)
NOT_VIOLENT_ATTACKS = frozenset(
    {"heart", "verbal", "panic", "asthma", "cyber", "personal", "political"}
)
VIOLENT_WORDS = frozenset(
    "kill wound injure dead bomb gunman militant missile rocket terrorist shoot explosion troop "
    "soldier drone armed suicide military army insurgent rebel police casualty".split()
)
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
    rule: str = ""  # the name of the rule that fired


# --- checks on a trigger's company ---------------------------------------------------------


def _objects(verb: Token) -> list[Token]:
    """Direct objects, looking through "a host of X", "$1 billion worth of X"."""
    out: list[Token] = []
    for child in verb.children:
        if child.dep_ in ("dobj", "nsubjpass", "attr"):
            out.extend((child, *child.conjuncts))
    for obj in list(out):
        for prep in obj.children:
            if prep.dep_ == "prep" and prep.lower_ == "of":
                out.extend(p for p in prep.children if p.dep_ == "pobj")
    return out


def _objects_include(vocabulary: frozenset[str]) -> Check:
    return lambda token: bool(words(_objects(token)) & vocabulary)


def _has_objects(token: Token) -> bool:
    return bool(_objects(token))


def _military_context(token: Token) -> bool:
    """ "joint exercises", "Zapad exercises", or a military word in the sentence."""
    modifiers = np_modifiers(token)
    if words(modifiers) & MILITARY_WORDS or any(t.ent_type_ == "EVENT" for t in modifiers):
        return True
    return bool(words(token.sent) & MILITARY_WORDS)


def _arms_in(tokens: list[Token]) -> bool:
    return any((words(t.subtree) & ARMS_WORDS) or t.ent_type_ == "WEAPON" for t in tokens)


def _is_arms_deal(token: Token) -> bool:
    """ "the purchase of S-400 missiles": arms in the noun's own phrase."""
    return _arms_in([token])


def _arms_bought(token: Token) -> bool:
    """ "buy fighter jets": arms among the verb's objects."""
    return _arms_in(_objects(token))


def _violent_context(token: Token) -> bool:
    """'attack' as violence, not 'verbal attack' or 'heart attack'."""
    if words(np_modifiers(token)) & NOT_VIOLENT_ATTACKS:
        return False
    return bool(words(token.sent) & VIOLENT_WORDS)


def _of_emergency(token: Token) -> bool:
    """ "state of emergency"."""
    return any(
        p.lower_ == "of" and any(lemma(o) == "emergency" for o in p.children)
        for p in token.children
    )


def _in_protest(token: Token) -> bool:
    """ "resigned in protest": a bare "protest" after "in" is a manner, not a demonstration."""
    bare = not any(c.dep_ in ("det", "poss", "amod", "compound") for c in token.children)
    return bare and token.head.lower_ == "in"


def _object_is_event(token: Token) -> bool:
    """ "declared a state of emergency": the object is the event."""
    return any(_is_event_noun(o) for o in _objects(token))


def _is_event_noun(token: Token) -> bool:
    found = NOUNS.decide(token)
    return found is not None and found.type is not None


def _inner_event(token: Token) -> bool:
    """ "announced plans to buy arms": an event inside the object."""
    return any(find_trigger(t) for o in _objects(token) for t in o.subtree)


def _target_objects(token: Token) -> bool:
    """ "struck the base", "shelled Kharkiv": a target or a place as object."""
    objects = _objects(token)
    return bool(words(objects) & TARGET_WORDS) or any(
        o.ent_type_ in ("GPE", "FAC") for o in objects
    )


def _elected(token: Token) -> bool:
    return token.tag_ == "VBN"


# --- the tables ----------------------------------------------------------------------------

CORE_NOUN_RULES: tuple[Rule, ...] = (
    rule("meeting-noun", "meeting", {"meeting", "summit"}, forms=MEETING_NOUNS),
    rule("visit-noun", "visit", VISIT_NOUNS),
    rule(
        "military-exercise",
        "military_exercise",
        EXERCISE_NOUNS,
        forms=EXERCISE_NOUNS,
        when=[_military_context],
    ),
    rule("civil-exercise", None, EXERCISE_NOUNS, forms=EXERCISE_NOUNS),
    rule("war-games", "military_exercise", forms={"games"}, when=[modifiers_include({"war"})]),
    rule("arms-purchase-noun", "arms_deal", BUY_NOUNS, when=[_is_arms_deal], direction="buy"),
    rule("arms-deal-noun", "arms_deal", DEAL_NOUNS - BUY_NOUNS, when=[_is_arms_deal]),
    rule("state-of-emergency", "state_of_emergency", {"state"}, when=[_of_emergency]),
    rule("martial-law", "state_of_emergency", {"law"}, when=[modifiers_include({"martial"})]),
    rule("military-deployment-noun", "deployment", {"deployment"}, when=[_military_context]),
    rule("labour-strike", None, {"strike"}, when=[unless(modifiers_include(MILITARY_STRIKES))]),
    rule("nonviolent-attack", None, {"attack", "assault", "raid"}, when=[unless(_violent_context)]),
    rule("attack-noun", "attack", ATTACK_NOUNS),
    rule("election-noun", "election", ELECTION_NOUNS),
    rule(
        "qualified-poll",
        "election",
        {"poll", "vote"},
        when=[modifiers_include(ELECTION_QUALIFIERS)],
    ),
    rule("in-protest", None, {"protest"}, when=[_in_protest]),
    rule("protest-noun", "protest", PROTEST_NOUNS),
    rule("embargo", "sanction", {"embargo"}),
    rule("sanctions-noun", "sanction", {"sanction"}, when=[form_in("sanctions")]),
)

CORE_VERB_RULES: tuple[Rule, ...] = (
    rule("meet-a-demand", None, {"meet"}, when=[is_verb, _objects_include(MET_NON_EVENTS)]),
    rule("meet-verb", "meeting", {"meet"}, when=[is_verb]),
    rule("visit-verb", "visit", {"visit"}),
    rule("travel-to", "visit", {"travel"}, when=[has_word_child("to")]),
    rule("buy-arms", "arms_deal", ACQUIRE_VERBS, when=[_arms_bought], direction="buy"),
    rule("sell-arms", "arms_deal", SELL_VERBS, when=[_arms_bought], direction="sell"),
    rule("sign-agreement", "agreement", SIGN_VERBS, when=[_objects_include(AGREEMENT_NOUNS)]),
    rule("declare-an-event", None, DECLARE_VERBS, when=[_object_is_event]),
    rule("announce-inner-event", None, STATEMENT_VERBS, when=[_has_objects, _inner_event]),
    rule("announce-statement", "statement", STATEMENT_VERBS, when=[_has_objects]),
    rule("deploy-troops", "deployment", DEPLOY_VERBS, when=[_objects_include(TROOP_WORDS)]),
    rule("violent-attack-verb", "attack", VIOLENT_VERBS, when=[_violent_context]),
    rule("strike-a-target", "attack", ATTACK_VERBS - {"attack"}, when=[_target_objects]),
    rule("attack-verb-otherwise", None, ATTACK_VERBS),
    rule("elected", "election", {"elect"}, when=[_elected]),
    rule("protest-verb", "protest", PROTEST_VERBS, when=[has_subject]),
    rule("sanction-verb", "sanction", {"sanction"}, when=[_has_objects]),
)

NOUNS = RuleBook(CORE_NOUN_RULES + OTHER_NOUN_RULES)
# Disasters first ("the storm struck Florida" is no attack), then the core, then the families.
VERBS = RuleBook(PRE_VERB_RULES + CORE_VERB_RULES + OTHER_VERB_RULES)


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


def deciding_rule(token: Token) -> Rule | None:
    """The rule that decides on a token (a veto included), or None when no rule applies."""
    # The small model tags some verbs with particles as nouns ("shot down").
    if token.pos_ == "VERB" or any(c.dep_ == "prt" for c in token.children):
        return VERBS.decide(token)
    if token.pos_ in ("NOUN", "PROPN") or token.lower_ == "landfall":
        return NOUNS.decide(token)
    return None


def find_trigger(token: Token) -> Trigger | None:
    """The event a token announces, if any."""
    found = deciding_rule(token)
    if found is None or found.type is None:
        return None
    return Trigger(token, found.type, found.direction, found.family, found.name)
