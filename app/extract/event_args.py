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
# The role of the entity an ``other`` event happens to (object, passive subject), per family,
# and the prepositions that introduce it ("an investigation into X", "awarded to X").
FAMILY_PATIENTS = {
    "legal": "target",
    "office": "participant",
    "award": "winner",
    "disaster": "affected",
}
FAMILY_PREPS = {"legal": ("into", "of", "against"), "office": ("of",), "award": ("to",)}


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
        keys: list[str] = []
        for head in [token, *token.conjuncts]:
            key = self.index.token_key(self.zdoc, head)
            if key is not None:
                keys.append(key)
                continue
            # "his Belarusian counterpart Alexander Lukashenko": the name wins over the demonym.
            for deps in (("appos", "compound", "poss"), ("amod", "nmod")):
                found = [
                    k
                    for child in head.children
                    if child.dep_ in deps
                    for k in self._keys_with_conjuncts(child)
                ]
                if found:
                    keys.extend(found)
                    break
            else:
                if head.lower_ in GROUP_NOUNS:  # "members of the Labour Party voted"
                    for prep in (c for c in head.children if c.dep_ == "prep" and c.lower_ == "of"):
                        for obj in (c for c in prep.children if c.dep_ == "pobj"):
                            keys.extend(self._keys_with_conjuncts(obj))
        keys = [self.index.state_key(k) if self.index.type_of(k) == "place" else k for k in keys]
        return [k for i, k in enumerate(keys) if k not in keys[:i] and self._is_actor(k)]

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
        token, kind = trigger.token, trigger.type
        agent_role = {"buy": "buyer", "sell": "seller"}.get(trigger.direction, "agent")
        if kind == "military_exercise":
            agent_role = "participant"
        for key in self._agents(token):
            args.add(key, agent_role)
        self._name(token, args)
        if trigger.family == "disaster":
            self._disaster(token, args)
        for child in token.children:
            self._argument(trigger, child, args)
            # "exercises underway with Russia", "$1 billion worth of weapons from Russia"
            if child.dep_ == "advmod" and child.lower_ in ("near", "far", "close", "outside"):
                for prep in child.children:  # "not far from the town of X"
                    if prep.dep_ == "prep" and args.location_key is None:
                        args.location_key = self._pobj_place(prep)
            if child.dep_ in ("amod", "acl") or (child.dep_ == "dobj" and token.pos_ == "VERB"):
                for grandchild in child.children:
                    if grandchild.dep_ == "prep":
                        self._argument(trigger, grandchild, args)
        head = token.head
        if token.dep_ == "dobj" and head.lemma_.lower() in LIGHT_VERBS:
            for child in head.children:  # "hold drills with Iran"
                if child.dep_ == "prep" and child.lower_ in ("with", "between", "against"):
                    self._argument(trigger, child, args)
        for verb in self.chain(token)[1:]:
            if verb.pos_ not in ("VERB", "AUX"):
                continue
            for child in verb.children:
                if child.dep_ != "prep" or args.location_key is not None:
                    continue
                motion = child.lower_ == "to" and verb.lemma_.lower() in MOTION_VERBS
                if child.lower_ in PLACE_PREPS or motion:
                    args.location_key = self._pobj_place(child)
        if trigger.family == "disaster" and args.location_key is not None:
            args.add(args.location_key, "affected")  # "made landfall in the Bahamas"
        return args

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
        kind = trigger.type
        if child.dep_ in ("dobj", "nsubjpass") and child.i != trigger.token.i:
            role = {
                "meeting": "counterpart",
                "attack": "target",
                "sanction": "target",
                "visit": "host",
                "election": "candidate",
                "other": FAMILY_PATIENTS.get(trigger.family),
            }.get(kind)
            if kind == "visit" and (place := self.place_key(child, whole=False)) is not None:
                args.location_key = args.location_key or place
                if self.index.type_of(place) == "country":
                    args.add(place, "host")
                return
            if trigger.family == "award" and child.dep_ == "dobj":
                role = "participant"  # "won the Boston Marathon": the contest, not a winner
            if role is not None:
                for key in self.actor_keys(child):
                    args.add(key, role)
            return
        if child.dep_ not in ("prep", "agent"):
            return
        objects = [c for c in child.children if c.dep_ == "pobj"]
        if not objects:
            return
        prep, obj = child.lower_, objects[0]
        if prep in PLACE_PREPS:
            args.location_key = args.location_key or self.place_key(obj)
            return
        role = self._prep_role(trigger, prep)
        if role == "location":
            place = self.place_key(obj)
            args.location_key = args.location_key or place
            if kind != "visit" or (place is not None and self.index.type_of(place) != "country"):
                return
        if role is not None:
            for key in self.actor_keys(obj):
                args.add(key, "host" if role == "location" else role)

    @staticmethod
    def _prep_role(trigger: Trigger, prep: str) -> str | None:
        kind = trigger.type
        if prep == "with":
            if kind == "arms_deal" and trigger.direction == "buy":
                return "seller"
            return "participant" if kind == "military_exercise" else "counterpart"
        if prep == "from" and kind == "arms_deal":
            return "seller" if trigger.direction != "sell" else None
        if prep == "to":
            if kind == "arms_deal":
                return "buyer" if trigger.direction != "buy" else None
            if kind in ("visit", "deployment"):
                return "location"
        if prep == "between":
            return "participant"
        if kind == "other" and prep in FAMILY_PREPS.get(trigger.family, ()):
            return FAMILY_PATIENTS[trigger.family]
        if kind == "attack" and prep == "of" and trigger.token.pos_ == "NOUN":
            return "target"  # "the killing of X"
        if prep in ("against", "on") and kind in ("attack", "sanction", "protest"):
            return "target"
        if prep == "by":
            return "agent"
        return None

    def _agents(self, token: Token) -> list[str]:
        """The subject of the trigger, or of the verbs it hangs from ("plans to buy",
        "pay a visit", "during a visit ..., X praised")."""
        current = token
        for step in range(5):
            for child in current.children:
                # "Putin is expected to pay a visit": the raised subject of a passive above.
                passive_above = child.dep_ == "nsubjpass" and step > 0
                if (
                    child.dep_ in SUBJECTS
                    or passive_above
                    or (child.dep_ == "poss" and current.pos_ == "NOUN")
                ):
                    keys = self.actor_keys(child)
                    if keys:
                        return keys
                if child.dep_ == "agent":
                    keys = [k for o in child.children for k in self.actor_keys(o)]
                    if keys:
                        return keys
            if current.dep_ not in CLIMB_DEPS or current.head is current:
                return []
            if current.pos_ in ("NOUN", "PROPN") and step > 0 and current.dep_ in ("nsubj",):
                return []
            head = current.head
            if (
                token.pos_ in ("NOUN", "PROPN")
                and head.pos_ == "VERB"
                and current is token
                and current.dep_ == "dobj"
                and head.lemma_.lower() not in LIGHT_VERBS
            ):
                return []  # "praised the exercises": the praiser took no part
            current = head
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


def _phrase_tokens(token: Token) -> list[Token]:
    """A noun phrase without the clauses inside it ("fatigues inspecting X with Russia")."""
    out = [token]
    for child in token.children:
        if child.pos_ not in ("VERB", "AUX"):
            out.extend(_phrase_tokens(child))
    return out


def read_status(reader: ArgumentReader, trigger: Trigger, zone: str) -> EventStatus:
    token = trigger.token
    chain = reader.chain(token)
    if any(c.lower_ in ONGOING_WORDS for c in token.children) or any(
        t.lower_ in ONGOING_WORDS for t in chain
    ):
        return "ongoing"
    for item in chain:
        lemma = item.lemma_.lower()
        if item is not token and (lemma in INTENT_WORDS or item.lower_ in ("plans", "plan")):
            return "expected"
        auxes = [c for c in item.children if c.dep_ in ("aux", "auxpass")]
        if any(a.lower_ in FUTURE_AUX for a in auxes):
            return "expected"
        if any(a.lower_ == "to" and a.tag_ == "TO" for a in auxes):
            return "expected"
    verb = chain[-1]
    auxes = [c for c in verb.children if c.dep_ in ("aux", "auxpass")]
    if verb.tag_ == "VBD" or any(a.tag_ == "VBD" for a in auxes):
        return "occurred"
    if verb.tag_ == "VBN" and any(a.lemma_ == "have" for a in auxes):
        return "occurred"
    if verb.tag_ == "VBG" and any(a.lemma_ == "be" for a in auxes):
        return "ongoing"
    if trigger.type in DURATIVE:
        return "ongoing"
    return "occurred"


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
