"""Trigger families beyond diplomacy and war: courts and police, offices, votes and laws,
prizes and records, disasters and crashes, killings, restrictions on a country.

Most map to the taxonomy's ``other`` (DESIGN.md); killings and shoot-downs are attacks. Each
family needs syntactic company that makes the reading unambiguous ("charged with", a court as
subject of "ruled", a storm as subject of "hit", a prize as object of "won"), because a false
event is worse than a missed one. ``Trigger.family`` tells ``event_args`` how to read roles.
The rules are tables (``trigger_rules.Rule``): ``PRE_VERB_RULES`` come before the core verbs
("the storm struck Florida" is no attack), the others after them.
"""

from __future__ import annotations

from spacy.tokens import Token

from app.extract.trigger_rules import (
    Check,
    Rule,
    has_particle,
    has_prep,
    has_subject,
    has_word_child,
    lemma,
    modifiers_include,
    np_modifiers,
    rule,
    subject_in,
    subjects,
    unless,
    words,
)

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
# What kills without an attacker: accidents, disasters, illness.
ACCIDENT_WORDS = frozenset(
    "fire blaze crash collision pileup accident storm flood quake earthquake avalanche "
    "landslide disease illness cancer virus outbreak heatwave".split()
)
KILL_NOUNS = frozenset({"killing", "assassination", "murder"})
ACTOR_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP"})
RESTRICTION_NOUNS = frozenset({"restriction", "ban"})


def _objects(verb: Token) -> list[Token]:
    """Objects and attributes, and the passive subject; with their conjuncts."""
    out = [c for c in verb.children if c.dep_ in ("dobj", "attr", "dative")]
    if any(c.dep_ == "nsubjpass" for c in verb.children):
        out.extend(c for c in verb.children if c.dep_ == "nsubjpass")
    return [t for o in out for t in (o, *o.conjuncts)]


def _objects_include(vocabulary: frozenset[str]) -> Check:
    return lambda token: bool(words(_objects(token)) & vocabulary)


def _has_objects(token: Token) -> bool:
    return bool(_objects(token))


def _is_disaster(token: Token) -> bool:
    """A storm or quake: the noun itself, or a named one ("Hurricane Dorian")."""
    return bool(words([token, *np_modifiers(token)]) & DISASTER_NOUNS)


def _disaster_subject(token: Token) -> bool:
    """ "the storm hit Florida", "Hurricane Dorian battered the Bahamas"."""
    return any(_is_disaster(s) for s in subjects(token))


def _is_actor(token: Token) -> bool:
    return token.ent_type_ in ACTOR_LABELS or any(
        c.ent_type_ in ACTOR_LABELS for c in token.children if c.dep_ in ("compound", "poss")
    )


def _killed_by_attacker(token: Token) -> bool:
    """ "a bomb killed 12", "gunmen killed a judge", "were killed by the Taliban": a violent or
    named doer, not "the disease killed thousands"."""
    agents = [o for c in token.children if c.dep_ == "agent" for o in c.children]
    doers = [s for s in subjects(token) if s.dep_ == "nsubj"] + agents
    return any(_is_attacker(d) for d in doers)


def _is_attacker(doer: Token) -> bool:
    """A violent doer or a named one; "the Florida highway fire" is an accident, however
    named its place."""
    found = words([doer])
    if found & ATTACKER_WORDS:
        return True
    return _is_actor(doer) and not found & ACCIDENT_WORDS


def _downward(token: Token) -> bool:
    """ "shot down" (or the particle itself, tagged as the verb)."""
    return lemma(token) == "down" or has_particle("down")(token)


def _pleads_guilty(token: Token) -> bool:
    return any(c.lower_ == "guilty" for c in token.subtree)


def _votes_to_elect(token: Token) -> bool:
    """ "members voted to elect X as leader"."""
    return any(c.dep_ == "xcomp" and lemma(c) == "elect" for c in token.children)


def _race_won(token: Token) -> bool:
    """ "won the leadership contest": a prize or contest modified by an election race."""
    objects = _objects(token)
    if not words(objects) & (PRIZE_WORDS | {"contest"}):
        return False
    return bool(words(m for o in objects for m in np_modifiers(o)) & ELECTION_RACES)


def _downs_aircraft(token: Token) -> bool:
    """ "the downing of the plane"."""
    return any(words([o]) & AIRCRAFT_WORDS for p in token.children for o in p.children)


def _clinical(token: Token) -> bool:
    """ "a cardiac arrest", "a clinical investigation"."""
    return bool(words(np_modifiers(token)) & NOT_LEGAL_MODIFIERS)


def _prize_in_phrase(token: Token) -> bool:
    """ "the winner of the Nobel prize"."""
    return bool(words(token.subtree) & (PRIZE_WORDS | {"nobel"}))


def _on_a_country(token: Token) -> bool:
    """ "a ban on Russian oil": a restriction on a named country."""
    countries = [t for t in token.subtree if t.ent_type_ == "GPE" and t is not token]
    return bool(countries) and any(p.dep_ == "prep" and p.lower_ == "on" for p in token.children)


PRE_VERB_RULES: tuple[Rule, ...] = (
    rule("disaster-strikes", "other", DISASTER_VERBS, when=[_disaster_subject], family="disaster"),
    rule("vehicle-crash", "other", {"crash"}, when=[subject_in(VEHICLE_WORDS)], family="disaster"),
)

OTHER_VERB_RULES: tuple[Rule, ...] = (
    rule(
        "shoot-down-aircraft",
        "attack",
        {"shoot", "shot", "down"},
        when=[_downward, _objects_include(AIRCRAFT_WORDS)],
    ),
    rule("assassinate", "attack", {"assassinate"}),
    rule("killed-by-attacker", "attack", {"kill"}, when=[_has_objects, _killed_by_attacker]),
    rule("legal-verb", "other", LEGAL_VERBS, family="legal"),
    rule("charged-with", "other", {"charge"}, when=[has_prep("with")], family="legal"),
    rule("plead-guilty", "other", {"plead"}, when=[_pleads_guilty], family="legal"),
    rule("court-rules", "other", COURT_VERBS, when=[subject_in(COURT_WORDS)], family="legal"),
    rule("office-verb", "other", OFFICE_VERBS, family="office"),
    rule("step-down", "other", {"step"}, when=[has_particle("down")], family="office"),
    rule("sworn-in", "other", {"swear"}, when=[has_particle("in")], family="office"),
    rule(
        "take-office",
        "other",
        {"take", "assume", "leave"},
        when=[_objects_include(frozenset({"office"}))],
        family="office",
    ),
    rule("pass-a-law", "other", LAW_VERBS, when=[_objects_include(LAW_NOUNS)], family="vote"),
    rule("vote-to-elect", "election", {"vote"}, when=[has_subject, _votes_to_elect]),
    rule("vote-verb", "other", {"vote"}, when=[has_subject], family="vote"),
    rule(
        "dissolve-parliament",
        "other",
        {"dissolve"},
        when=[_objects_include(DISSOLVE_OBJECTS)],
        family="office",
    ),
    rule("win-a-race", "election", WIN_VERBS, when=[_race_won]),
    rule("win-a-prize", "other", WIN_VERBS, when=[_objects_include(PRIZE_WORDS)], family="award"),
    rule(
        "set-a-record",
        "other",
        RECORD_VERBS,
        when=[_objects_include(frozenset({"record"}))],
        family="award",
    ),
    rule(
        "run-a-race",
        "other",
        RUN_VERBS,
        when=[_objects_include(frozenset({"marathon", "race"}))],
        family="award",
    ),
)

OTHER_NOUN_RULES: tuple[Rule, ...] = (
    rule("landfall", "other", {"landfall"}, family="disaster"),
    rule("disaster-noun", "other", DISASTER_EVENT_NOUNS, family="disaster"),
    rule(
        "crash-noun", "other", {"crash"}, when=[modifiers_include(VEHICLE_WORDS)], family="disaster"
    ),
    rule("downing-of-aircraft", "attack", {"downing"}, when=[_downs_aircraft]),
    rule("killing-of", "attack", KILL_NOUNS, when=[has_word_child("of")]),
    rule("legal-noun", "other", LEGAL_NOUNS, when=[unless(_clinical)], family="legal"),
    rule("office-noun", "other", OFFICE_NOUNS, family="office"),
    rule("prize-winner", "other", {"winner", "laureate"}, when=[_prize_in_phrase], family="award"),
    rule("ban-on-a-country", "sanction", RESTRICTION_NOUNS, when=[_on_a_country]),
)
