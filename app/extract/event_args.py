"""The arguments of one event trigger, read off the dependency parse: who (participants with
roles), where (location), when (a timex attached to the trigger's clause), how sure (status),
and how much (amounts inside the trigger's own phrase)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from spacy.tokens import Token

from app.extract.mention_index import EntityIndex
from app.extract.nlp import ZoneDoc
from app.extract.triggers import Trigger, find_trigger
from app.extract.types import Amount, EventStatus, Precision, Timex

LIGHT_VERBS = frozenset(
    "pay make hold conduct stage launch carry begin start attend host complete finalize "
    "finalise approve agree plan seek eye want intend consider announce organize organise "
    "join lead continue resume end hold participate take impose "
    "introduce declare lift extend order win lose contest call".split()
)
INTENT_WORDS = frozenset(
    "plan expect intend aim hope seek want schedule set due prepare propose consider eye "
    "threaten pledge vow promise going".split()
)
FUTURE_AUX = frozenset({"will", "shall", "'ll", "wo", "would", "could", "may", "might"})
ONGOING_WORDS = frozenset({"underway", "ongoing", "continuing"})
DURATIVE = frozenset({"military_exercise", "protest", "sanction", "state_of_emergency"})
PLACE_PREPS = frozenset({"in", "at", "near", "inside", "outside", "across", "around"})
SUBJECTS = ("nsubj", "csubj")
MOTION_VERBS = frozenset({"come", "go", "travel", "fly", "arrive", "head", "return"})
CLIMB_DEPS = frozenset({"xcomp", "advcl", "conj", "acl", "pcomp", "dobj", "pobj", "prep", "relcl"})
DATE_PREPS = frozenset(
    {"on", "in", "at", "by", "during", "until", "till", "from", "to", "through", "of", "for"}
)
GUARD_WORDS = frozenset({"since", "after", "before", "ago", "eve"})
# Plural nouns that stand for the group in their "of" phrase.
GROUP_NOUNS = frozenset(
    "members supporters leaders officials delegates lawmakers legislators representatives "
    "troops forces soldiers citizens residents people workers employees".split()
)
NEAR_WORDS = frozenset({"near", "far", "close", "outside"})
# The role of a trigger's subject, by the trigger's direction or type (else "agent").
AGENT_ROLES = {"buy": "buyer", "sell": "seller", "military_exercise": "participant"}
# The role of the entity an event happens to (object, passive subject), by type; for ``other``
# by family.
PATIENT_ROLES = {
    "meeting": "counterpart",
    "attack": "target",
    "sanction": "target",
    "visit": "host",
    "election": "candidate",
}
FAMILY_PATIENTS = {
    "legal": "target",
    "office": "participant",
    "award": "winner",
    "disaster": "affected",
    "generic": "patient",  # a main event read off a headline's predicate
}
# The prepositions that introduce that entity in an ``other`` family ("an investigation into X",
# "awarded to X").
FAMILY_PREPS = {
    "legal": ("into", "of", "against"),
    "office": ("of",),
    "award": ("to",),
    "generic": ("of",),  # "the theft of a painting"
}


@dataclass(frozen=True, slots=True)
class PrepRole:
    """The role a preposition's object plays for a trigger: the first row that matches the
    preposition and the trigger (type, direction, family, a noun trigger) decides."""

    construction: str  # what the row exists for ("bought-from": "jets from France")
    preps: frozenset[str]
    role: str | None  # None: the phrase plays no role
    types: frozenset[str] = frozenset()  # empty: any type
    directions: frozenset[str] | None = None  # None: any
    family: str | None = None  # None: any
    noun: bool = False  # only after a noun trigger

    def matches(self, trigger: Trigger, prep: str) -> bool:
        return (
            prep in self.preps
            and (not self.types or trigger.type in self.types)
            and (self.directions is None or trigger.direction in self.directions)
            and (self.family is None or trigger.family == self.family)
            and (not self.noun or trigger.token.pos_ == "NOUN")
        )


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


BUY_OR_DEAL = frozenset({"buy", ""})  # a purchase, or a deal with no direction
SELL_OR_DEAL = frozenset({"sell", ""})


PREP_ROLES: tuple[PrepRole, ...] = (
    PrepRole("bought-with", _set("with"), "seller", _set("arms_deal"), directions=_set("buy")),
    PrepRole("drills-with", _set("with"), "participant", _set("military_exercise")),
    PrepRole("talks-with", _set("with"), "counterpart"),
    PrepRole("bought-from", _set("from"), "seller", _set("arms_deal"), directions=BUY_OR_DEAL),
    PrepRole("sold-to", _set("to"), "buyer", _set("arms_deal"), directions=SELL_OR_DEAL),
    PrepRole("went-to", _set("to"), "location", _set("visit deployment")),
    PrepRole("between", _set("between"), "participant"),
    *(
        PrepRole(
            f"{family}-patient",
            frozenset(preps),
            FAMILY_PATIENTS[family],
            _set("other"),
            family=family,
        )
        for family, preps in FAMILY_PREPS.items()
    ),
    PrepRole("killing-of", _set("of"), "target", _set("attack"), noun=True),
    PrepRole("aimed-against", _set("against on"), "target", _set("attack sanction protest")),
    PrepRole("passive-by", _set("by"), "agent"),
)


def prep_rule(trigger: Trigger, prep: str) -> PrepRole | None:
    """The first row of ``PREP_ROLES`` for this trigger and preposition."""
    return next((r for r in PREP_ROLES if r.matches(trigger, prep)), None)


def prep_role(trigger: Trigger, prep: str) -> str | None:
    """The role of the object of ``prep`` for this trigger; "location" for the place one goes
    to."""
    row = prep_rule(trigger, prep)
    return row.role if row else None


def patient_role(trigger: Trigger, child: Token) -> str | None:
    if trigger.family == "award" and child.dep_ == "dobj":
        return "participant"  # "won the Boston Marathon": the contest, not a winner
    if trigger.type == "other":
        return FAMILY_PATIENTS.get(trigger.family)
    return PATIENT_ROLES.get(trigger.type)


def headline_passive(verb: Token) -> bool:
    """Headline grammar drops the auxiliary of a passive: "Ex-minister jailed for fraud",
    "Missing chef found dead". A past form with a subject, no auxiliary and no object."""
    if verb.pos_ != "VERB" or verb.tag_ not in ("VBN", "VBD"):
        return False
    deps = {c.dep_ for c in verb.children}
    return "nsubj" in deps and not deps & {"aux", "auxpass", "dobj"}


def _place_prep(verb: Token, prep: Token) -> bool:
    """ "in Minsk", "near the border", and "to" after a verb of motion ("flew to Minsk")."""
    motion = prep.lower_ == "to" and verb.lemma_.lower() in MOTION_VERBS
    return prep.lower_ in PLACE_PREPS or motion


@dataclass
class Args:
    participants: list[tuple[str, str]] = field(default_factory=list)
    location_key: str | None = None
    name_key: str | None = None

    def add(self, key: str | None, role: str) -> None:
        if key is not None and all(k != key for k, _ in self.participants):
            self.participants.append((key, role))


class ArgumentReader:
    def __init__(self, zdoc: ZoneDoc, index: EntityIndex) -> None:
        self.zdoc, self.index = zdoc, index

    def actor_keys(self, token: Token) -> list[str]:
        """Entities a noun phrase head stands for: itself and its conjuncts, else the demonyms
        and names modifying it ("Russian and Belarusian troops")."""
        keys = [k for head in [token, *token.conjuncts] for k in self._head_keys(head)]
        keys = [self.index.state_key(k) if self.index.type_of(k) == "place" else k for k in keys]
        return [k for i, k in enumerate(keys) if k not in keys[:i] and self._is_actor(k)]

    def _head_keys(self, head: Token) -> list[str]:
        key = self.index.token_key(self.zdoc, head)
        if key is not None:
            return [key]
        # "his Belarusian counterpart Alexander Lukashenko": the name wins over the demonym.
        for deps in (("appos", "compound", "poss"), ("amod", "nmod")):
            children = [c for c in head.children if c.dep_ in deps]
            found = [k for child in children for k in self._keys_with_conjuncts(child)]
            if found:
                return found
        return self._group_members(head) if head.lower_ in GROUP_NOUNS else []

    def _group_members(self, head: Token) -> list[str]:
        """ "members of the Labour Party voted": the party."""
        preps = [c for c in head.children if c.dep_ == "prep" and c.lower_ == "of"]
        objects = [o for p in preps for o in p.children if o.dep_ == "pobj"]
        return [k for obj in objects for k in self._keys_with_conjuncts(obj)]

    def _keys_with_conjuncts(self, token: Token) -> list[str]:
        return self.index.keys_in_tokens(self.zdoc, [token, *token.conjuncts])

    def _is_actor(self, key: str) -> bool:
        return self.index.type_of(key) in ("person", "organization", "country", "group", "place")

    def place_key(self, token: Token, *, whole: bool = True) -> str | None:
        """The most specific place or country named in a phrase ("the town of X in Y" → X);
        with ``whole=False`` only the head and its name parts count."""
        tokens = (
            token.subtree
            if whole
            else [token, *(c for c in token.children if c.dep_ in ("compound", "appos"))]
        )
        keys = self.index.keys_in_tokens(self.zdoc, tokens)
        typed = [(self.index.type_of(k), k) for k in keys]
        for wanted in ("place", "country"):
            for kind, key in typed:
                if kind == wanted:
                    return key
        return None

    def read(self, trigger: Trigger) -> Args:
        args = Args()
        token = trigger.token
        role = self._agent_role(trigger)
        for key in self._agents(token):
            args.add(key, role)
        self._name(token, args)
        if trigger.family == "disaster":
            self._disaster(token, args)
        self._own_phrase(trigger, args)
        self._light_verb(trigger, args)
        if trigger.family == "generic" and token.dep_ == "nsubj":
            self._hit_by(trigger, args)
        self._clause_location(token, args)
        if trigger.family == "disaster" and args.location_key is not None:
            args.add(args.location_key, "affected")  # "made landfall in the Bahamas"
        return args

    def _agent_role(self, trigger: Trigger) -> str:
        if self.zdoc.zone == "title" and headline_passive(trigger.token):
            return patient_role(trigger, trigger.token) or "patient"  # "Ex-minister jailed"
        return AGENT_ROLES.get(trigger.direction) or AGENT_ROLES.get(trigger.type, "agent")

    def _light_verb(self, trigger: Trigger, args: Args) -> None:
        """ "hold drills with Iran": the light verb's phrases belong to its object."""
        token, head = trigger.token, trigger.token.head
        if token.dep_ != "dobj" or head.lemma_.lower() not in LIGHT_VERBS:
            return
        for child in head.children:
            if child.dep_ == "prep" and child.lower_ in ("with", "between", "against"):
                self._argument(trigger, child, args)

    def _hit_by(self, trigger: Trigger, args: Args) -> None:
        """ "Blackouts hit California": the event noun's verb says what it happened to."""
        for child in trigger.token.head.children:
            if child.dep_ == "dobj":
                args.location_key = args.location_key or self.place_key(child, whole=False)
                self._patient(trigger, child, args)

    def _own_phrase(self, trigger: Trigger, args: Args) -> None:
        """Arguments hanging from the trigger, from its modifiers ("exercises underway with
        Russia") and from a verb's object ("$1 billion worth of weapons from Russia")."""
        token = trigger.token
        for child in token.children:
            self._argument(trigger, child, args)
            if child.dep_ == "advmod" and child.lower_ in NEAR_WORDS:
                self._near(child, args)
            if child.dep_ in ("amod", "acl") or (child.dep_ == "dobj" and token.pos_ == "VERB"):
                for grandchild in child.children:
                    if grandchild.dep_ == "prep":
                        self._argument(trigger, grandchild, args)

    def _near(self, advmod: Token, args: Args) -> None:
        """ "not far from the town of X", "near X"."""
        for prep in advmod.children:
            if prep.dep_ == "prep" and args.location_key is None:
                args.location_key = self._pobj_place(prep)

    def _clause_location(self, token: Token, args: Args) -> None:
        """A place of the verbs above the trigger: "began exercises in Belarus", "flew to X"."""
        for verb in self.chain(token)[1:]:
            if verb.pos_ not in ("VERB", "AUX"):
                continue
            for child in verb.children:
                if args.location_key is None and child.dep_ == "prep" and _place_prep(verb, child):
                    args.location_key = self._pobj_place(child)

    def _disaster(self, token: Token, args: Args) -> None:
        """A storm is no actor, yet it is what the event is about: the named storm or quake
        that is the subject (of "made landfall", "hit") joins as agent."""
        current = token
        for _ in range(3):
            for child in current.children:
                if child.dep_ in ("nsubj", "nsubjpass"):
                    for key in self.index.keys_in_tokens(self.zdoc, child.subtree):
                        if self.index.type_of(key) == "event":
                            args.add(key, "agent")
            if current.dep_ not in ("dobj", "xcomp", "conj") or current.head is current:
                break
            current = current.head

    def _name(self, token: Token, args: Args) -> None:
        for candidate in [
            token,
            *(
                c
                for c in token.children
                if c.dep_ in ("compound", "amod", "nmod", "appos", "npadvmod")
            ),
        ]:
            key = self.index.token_key(self.zdoc, candidate)
            if key is not None and self.index.type_of(key) == "event":
                args.name_key = key
                return

    def _pobj_place(self, prep: Token) -> str | None:
        objects = [c for c in prep.children if c.dep_ == "pobj"]
        return self.place_key(objects[0]) if objects else None

    def _argument(self, trigger: Trigger, child: Token, args: Args) -> None:
        if child.dep_ in ("dobj", "nsubjpass") and child.i != trigger.token.i:
            self._patient(trigger, child, args)
        elif child.dep_ in ("prep", "agent"):
            self._prep_argument(trigger, child, args)

    def _patient(self, trigger: Trigger, child: Token, args: Args) -> None:
        """The object or passive subject: "met Scholz", "visited Poland", "X was arrested"."""
        if trigger.type == "visit" and (place := self.place_key(child, whole=False)) is not None:
            args.location_key = args.location_key or place
            if self.index.type_of(place) == "country":
                args.add(place, "host")
            return
        role = patient_role(trigger, child)
        if role is not None:
            for key in self.actor_keys(child):
                args.add(key, role)

    def _prep_argument(self, trigger: Trigger, child: Token, args: Args) -> None:
        """A prepositional phrase: a place ("in Minsk") or a role (``PREP_ROLES``)."""
        objects = [c for c in child.children if c.dep_ == "pobj"]
        if not objects:
            return
        prep, obj = child.lower_, objects[0]
        if prep in PLACE_PREPS:
            args.location_key = args.location_key or self.place_key(obj)
            return
        role = prep_role(trigger, prep)
        if role == "location":
            place = self.place_key(obj)
            args.location_key = args.location_key or place
            # "a visit to Poland": the country visited is also the host.
            if trigger.type != "visit" or (place and self.index.type_of(place) != "country"):
                return
            role = "host"
        if role is not None:
            for key in self.actor_keys(obj):
                args.add(key, role)

    def _agents(self, token: Token) -> list[str]:
        """The subject of the trigger, or of the verbs it hangs from ("plans to buy",
        "pay a visit", "during a visit ..., X praised")."""
        current = token
        for step in range(5):
            keys = self._subject_keys(current, step)
            if keys:
                return keys
            if not _climbs_to_head(token, current):
                return []
            current = current.head
        return []

    def _subject_keys(self, current: Token, step: int) -> list[str]:
        for child in current.children:
            if _is_subject(child, current, step):
                keys = self.actor_keys(child)
                if keys:
                    return keys
            if child.dep_ == "agent":  # "was visited by X"
                keys = [k for o in child.children for k in self.actor_keys(o)]
                if keys:
                    return keys
        return []

    def chain(self, token: Token) -> list[Token]:
        """The trigger and the tokens above it up to the first finite verb of its clause."""
        out = [token]
        current = token
        for _ in range(6):
            if current.pos_ in ("VERB", "AUX") and current.tag_ in ("VBD", "VBZ", "VBP", "MD"):
                break
            if any(
                c.dep_ in ("aux", "auxpass") and c.tag_ in ("VBD", "VBZ", "VBP", "MD")
                for c in current.children
            ):
                break
            if current.head is current or current.dep_ in ("ccomp", "nsubj", "nsubjpass"):
                break
            current = current.head
            out.append(current)
        return out


def _is_subject(child: Token, current: Token, step: int) -> bool:
    """A subject; above the trigger also a passive one ("Putin is expected to pay a visit":
    the raised subject); of a noun its possessor ("Russia's exercises")."""
    if child.dep_ in SUBJECTS:
        return True
    if child.dep_ == "nsubjpass":
        return step > 0
    return child.dep_ == "poss" and current.pos_ == "NOUN"


def _climbs_to_head(trigger: Token, current: Token) -> bool:
    """Whether the subject search goes on from ``current`` to its head."""
    if current.dep_ not in CLIMB_DEPS or current.head is current:
        return False
    # "praised the exercises": the praiser took no part.
    praised = (
        current is trigger
        and trigger.pos_ in ("NOUN", "PROPN")
        and current.dep_ == "dobj"
        and current.head.pos_ == "VERB"
        and current.head.lemma_.lower() not in LIGHT_VERBS
    )
    return not praised


def _phrase_tokens(token: Token) -> list[Token]:
    """A noun phrase without the clauses inside it ("fatigues inspecting X with Russia")."""
    out = [token]
    for child in token.children:
        if child.pos_ not in ("VERB", "AUX"):
            out.extend(_phrase_tokens(child))
    return out


def read_status(reader: ArgumentReader, trigger: Trigger, zone: str) -> EventStatus:
    """Ongoing when said so ("underway"), expected when planned or future ("plans to visit",
    "will meet"), else from the tense of the clause's finite verb."""
    token = trigger.token
    chain = reader.chain(token)
    if any(c.lower_ in ONGOING_WORDS for c in token.children) or any(
        t.lower_ in ONGOING_WORDS for t in chain
    ):
        return "ongoing"
    if any(_looks_ahead(item, token) for item in chain):
        return "expected"
    tense = _tense_status(chain[-1])
    if tense is not None:
        return tense
    return "ongoing" if trigger.type in DURATIVE else "occurred"


def _looks_ahead(item: Token, trigger: Token) -> bool:
    """ "plans to", "expected to", "will", "to" + infinitive: the event lies ahead."""
    lemma = item.lemma_.lower()
    if item is not trigger and (lemma in INTENT_WORDS or item.lower_ in ("plans", "plan")):
        return True
    auxes = [c for c in item.children if c.dep_ in ("aux", "auxpass")]
    return any(a.lower_ in FUTURE_AUX or (a.lower_ == "to" and a.tag_ == "TO") for a in auxes)


def _tense_status(verb: Token) -> EventStatus | None:
    auxes = [c for c in verb.children if c.dep_ in ("aux", "auxpass")]
    if verb.tag_ == "VBD" or any(a.tag_ == "VBD" for a in auxes):
        return "occurred"
    if verb.tag_ == "VBN" and any(a.lemma_ == "have" for a in auxes):
        return "occurred"
    if verb.tag_ == "VBG" and any(a.lemma_ == "be" for a in auxes):
        return "ongoing"
    return None


def read_date(
    reader: ArgumentReader,
    trigger: Trigger,
    timexes: Sequence[Timex],
    segment: tuple[int, int],
) -> tuple[date | None, date | None, Precision | None]:
    """Dates of the timex attached to the trigger's clause; else the nearest unguarded one in
    the same sentence segment. "by 2025" gives only an end date."""
    doc = reader.zdoc.doc
    chain = {t.i for t in reader.chain(trigger.token)}
    best: tuple[int, Timex, Token] | None = None
    for timex in timexes:
        if timex.range_start is None or not segment[0] <= timex.span.start < segment[1]:
            continue
        span = doc.char_span(timex.span.start, timex.span.end, alignment_mode="expand")
        if span is None:
            continue
        verdict = _attachment(span.root, chain)
        if verdict < 0:
            continue
        rank = 0 if verdict == 1 else 1 + abs(timex.span.start - trigger.token.idx)
        if best is None or rank < best[0]:
            best = (rank, timex, span.root)
    if best is None:
        return None, None, None
    _, timex, root = best
    deadline = timex.text.lower().startswith(("by ", "until ", "till "))
    if deadline or (root.head.lower_ in ("by", "until", "till") and root.dep_ == "pobj"):
        return None, timex.range_end, timex.precision
    return timex.range_start, timex.range_end, timex.precision


def _attachment(root: Token, chain: set[int]) -> int:
    """1 if the timex hangs from the trigger's clause, 0 if unrelated but harmless, -1 if it
    dates something else ("the fall of communism in 1989", "on the eve of the drills")."""
    current = root
    for _ in range(6):
        if current.i in chain:
            return 1
        head = current.head
        if head is current:
            return 0
        if head.lower_ in GUARD_WORDS or current.lower_ in GUARD_WORDS:
            return -1
        if head.i in chain:
            return 1
        other_noun = head.pos_ in ("NOUN", "PROPN") and find_trigger(head) is None
        if other_noun and head.ent_type_ != "DATE":
            return -1
        if head.pos_ in ("VERB", "AUX"):
            # Another verb of the same line dates its own clause ("Born on June 23, 1941, he
            # met..."); one on another line is a parse glued across a subhead.
            between = root.doc[min(head.i, root.i) : max(head.i, root.i)].text_with_ws
            same_line = "\n" not in between
            return -1 if same_line else 0
        current = head
    return 0


def read_amounts(
    reader: ArgumentReader, trigger: Trigger, amounts: Sequence[Amount]
) -> tuple[int, ...]:
    """Amounts inside the trigger's own phrase: a noun trigger's modifiers and prepositional
    phrases, a verb trigger's objects ("acquire $1 billion worth of weapons")."""
    token = trigger.token
    if token.pos_ == "VERB":
        roots = [c for c in token.children if c.dep_ in ("dobj", "prep", "nsubjpass", "attr")]
    else:
        roots = [c for c in token.children if c.dep_ not in ("relcl", "acl", "punct", "cc", "conj")]
        roots.append(token)
    ranges = []
    for root in roots:
        tokens = [root] if root is token else list(root.subtree)
        ranges.append((min(t.idx for t in tokens), max(t.idx + len(t) for t in tokens)))
    found = []
    for i, amount in enumerate(amounts):
        zone = "body" if amount.span.zone == "subhead" else amount.span.zone
        if (zone, amount.span.zone_index) != (reader.zdoc.zone, reader.zdoc.zone_index):
            continue
        if any(s <= amount.span.start < e for s, e in ranges):
            found.append(i)
    return tuple(found)
