"""Trigger families beyond diplomacy and war: courts and police, offices, votes and laws,
prizes and records, disasters and crashes, killings, restrictions on a country.

Most map to the taxonomy's ``other`` (DESIGN.md); killings and shoot-downs are attacks. Each
family needs syntactic company that makes the reading unambiguous ("charged with", a court as
subject of "ruled", a storm as subject of "hit", a prize as object of "won"), because a false
event is worse than a missed one. ``Trigger.family`` tells ``event_args`` how to read roles.
"""

from __future__ import annotations

from spacy.tokens import Token

from app.extract.types import EventType

LEGAL_VERBS = frozenset(
    "sentence convict indict acquit arrest detain jail imprison prosecute sue extradite "
    "investigate probe impeach".split()
)
LEGAL_NOUNS = frozenset(
    "investigation probe inquiry lawsuit indictment conviction arrest impeachment".split()
)
NOT_LEGAL_MODIFIERS = frozenset({"cardiac", "heart", "respiratory", "scientific", "clinical"})
COURT_WORDS = frozenset({"court", "judge", "justice", "tribunal", "jury", "magistrate"})
COURT_VERBS = frozenset({"rule", "overturn", "uphold", "dismiss", "reject", "order", "block"})
OFFICE_VERBS = frozenset({"resign", "abdicate", "inaugurate", "oust", "depose", "appoint"})
OFFICE_NOUNS = frozenset({"resignation", "inauguration", "coup"})
LAW_NOUNS = frozenset(
    {"bill", "law", "resolution", "motion", "legislation", "amendment", "budget", "referendum"}
)
LAW_VERBS = frozenset({"pass", "adopt", "approve", "reject", "enact", "veto"})
DISSOLVE_OBJECTS = frozenset({"parliament", "assembly", "legislature", "house", "congress"})
PRIZE_WORDS = frozenset(
    "prize award medal title championship trophy cup gold silver bronze race marathon final "
    "tournament match pennant".split()
)
WIN_VERBS = frozenset({"win", "receive", "award", "earn", "clinch", "share", "capture"})
RECORD_VERBS = frozenset({"set", "break", "smash", "beat", "shatter", "equal", "better"})
RUN_VERBS = frozenset({"run", "complete", "finish"})
ELECTION_RACES = frozenset(
    {"presidential", "leadership", "mayoral", "gubernatorial", "senate", "congressional"}
)
DISASTER_NOUNS = frozenset(
    "hurricane storm typhoon cyclone earthquake quake tsunami flood flooding wildfire bushfire "
    "tornado landslide mudslide avalanche eruption blizzard".split()
)
DISASTER_EVENT_NOUNS = frozenset(
    {"earthquake", "quake", "tsunami", "eruption", "landslide", "mudslide", "avalanche"}
)
DISASTER_VERBS = frozenset(
    "hit strike batter lash slam devastate ravage pound sweep flood kill destroy damage "
    "inundate".split()
)
VEHICLE_WORDS = frozenset(
    "plane jet aircraft airliner helicopter train bus flight drone ferry boat ship".split()
)
AIRCRAFT_WORDS = frozenset("plane jet aircraft airliner helicopter flight drone".split())
ATTACKER_WORDS = frozenset(
    "bomb bomber gunman gunmen militant attacker explosion blast airstrike strike attack "
    "shooting sniper shelling rocket missile insurgent".split()
)
KILL_NOUNS = frozenset({"killing", "assassination", "murder"})
ACTOR_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP"})
RESTRICTION_NOUNS = frozenset({"restriction", "ban"})


def _lemma(token: Token) -> str:
    return token.lemma_.lower()


def _lemmas(tokens: list[Token]) -> set[str]:
    return {_lemma(t) for t in tokens} | {t.lower_ for t in tokens}


def _modifiers(token: Token) -> list[Token]:
    return [c for c in token.children if c.dep_ in ("amod", "compound", "nmod", "npadvmod")]


def _subjects(verb: Token) -> list[Token]:
    return [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]


def _objects(verb: Token) -> list[Token]:
    out = [c for c in verb.children if c.dep_ in ("dobj", "attr", "dative")]
    if any(c.dep_ == "nsubjpass" for c in verb.children):
        out.extend(c for c in verb.children if c.dep_ == "nsubjpass")
    return [t for o in out for t in (o, *o.conjuncts)]


def _particle(verb: Token, word: str) -> bool:
    return any(c.dep_ == "prt" and c.lower_ == word for c in verb.children)


def _is_disaster(token: Token) -> bool:
    """A storm or quake: the noun itself, or a named one ("Hurricane Dorian")."""
    words = _lemmas([token, *_modifiers(token)])
    return bool(words & DISASTER_NOUNS)


def _is_actor(token: Token) -> bool:
    return token.ent_type_ in ACTOR_LABELS or any(
        c.ent_type_ in ACTOR_LABELS for c in token.children if c.dep_ in ("compound", "poss")
    )


def other_verb_trigger(token: Token) -> tuple[EventType, str] | None:
    """(type, family) of a verb outside the diplomatic core, or None."""
    lemma = _lemma(token)
    subjects, objects = _subjects(token), _objects(token)
    object_words = _lemmas(objects)
    if lemma in DISASTER_VERBS and any(_is_disaster(s) for s in subjects):
        return "other", "disaster"
    if lemma == "crash" and _lemmas(subjects) & VEHICLE_WORDS:
        return "other", "disaster"
    if lemma in ("shoot", "shot", "down") and (lemma == "down" or _particle(token, "down")):
        if object_words & AIRCRAFT_WORDS:
            return "attack", ""
        return None
    if lemma == "assassinate":
        return "attack", ""
    if lemma == "kill" and objects:
        agents = [o for c in token.children if c.dep_ == "agent" for o in c.children]
        doers = [s for s in subjects if s.dep_ == "nsubj"] + agents
        if any(_lemmas([d]) & ATTACKER_WORDS or _is_actor(d) for d in doers):
            return "attack", ""
        return None
    if lemma in LEGAL_VERBS:
        return "other", "legal"
    if lemma == "charge" and any(c.dep_ == "prep" and c.lower_ == "with" for c in token.children):
        return "other", "legal"
    if lemma == "plead" and any(c.lower_ == "guilty" for c in token.subtree):
        return "other", "legal"
    if lemma in COURT_VERBS and any(_lemmas([s]) & COURT_WORDS for s in subjects):
        return "other", "legal"
    if lemma in OFFICE_VERBS or (lemma == "step" and _particle(token, "down")):
        return "other", "office"
    if lemma == "swear" and _particle(token, "in"):
        return "other", "office"
    if lemma in ("take", "assume", "leave") and "office" in object_words:
        return "other", "office"
    if lemma in LAW_VERBS and object_words & LAW_NOUNS:
        return "other", "vote"
    if lemma == "vote" and any(c.dep_ == "nsubj" for c in token.children):
        if any(c.dep_ == "xcomp" and _lemma(c) == "elect" for c in token.children):
            return "election", ""  # "members voted to elect X as leader"
        return "other", "vote"
    if lemma == "dissolve" and object_words & DISSOLVE_OBJECTS:
        return "other", "office"
    if lemma in WIN_VERBS and object_words & (PRIZE_WORDS | {"contest"}):
        modifiers = _lemmas([m for o in objects for m in _modifiers(o)])
        if modifiers & ELECTION_RACES:
            return "election", ""  # "won the leadership contest"
        if object_words & PRIZE_WORDS:
            return "other", "award"
    if lemma in RECORD_VERBS and "record" in object_words:
        return "other", "award"
    if lemma in RUN_VERBS and object_words & {"marathon", "race"}:
        return "other", "award"
    return None


def other_noun_trigger(token: Token) -> tuple[EventType, str] | None:
    """(type, family) of a noun outside the diplomatic core, or None."""
    lemma = _lemma(token)
    modifiers = _lemmas(_modifiers(token))
    if lemma == "landfall":
        return "other", "disaster"
    if lemma in DISASTER_EVENT_NOUNS:
        return "other", "disaster"
    if lemma == "crash" and modifiers & VEHICLE_WORDS:
        return "other", "disaster"
    if lemma == "downing" and any(
        _lemmas([o]) & AIRCRAFT_WORDS for p in token.children for o in p.children
    ):
        return "attack", ""
    if lemma in KILL_NOUNS and any(p.lower_ == "of" for p in token.children):
        return "attack", ""
    if lemma in LEGAL_NOUNS and not modifiers & NOT_LEGAL_MODIFIERS:
        return "other", "legal"
    if lemma in OFFICE_NOUNS:
        return "other", "office"
    if lemma in ("winner", "laureate") and _lemmas(list(token.subtree)) & (PRIZE_WORDS | {"nobel"}):
        return "other", "award"
    if lemma in RESTRICTION_NOUNS:
        countries = [t for t in token.subtree if t.ent_type_ == "GPE" and t is not token]
        if countries and any(p.dep_ == "prep" and p.lower_ == "on" for p in token.children):
            return "sanction", ""
    return None
