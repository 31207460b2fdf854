"""The article's main event: what its headline (and, failing that, its lead) reports.

Headlines are written in their own grammar: present tense for past events ("Ex-president
dies at 90"), "to" + verb for future ones ("Minister to visit Japan"), often no verb at all
("Hundreds dead in stadium stampede"). The main event is read in this order:

1. a trigger of the taxonomy in the headline ("Court jails...", "state of emergency"), the
   one nearest the root of the parse; a statement only when nothing else is reported;
2. else the headline's predicate: its root verb ("Minister quits"), or the event noun that is
   its subject ("Blackouts hit California"), a verb hanging
   from a nominal root ("Charity boss sentenced..."), or an event noun (``EVENT_NOUNS``:
   "theft", "blackout", "ceremony"); typed ``other`` with its lemma as trigger word, or a
   ``statement`` for a verb of saying;
3. else the same in the lead (the first sentence of the body).

The lead, which restates the headline in full grammar, adds arguments and a date: a token of
the same lemma in its first sentences is read like the headline's, and its date is taken when
the headline gives none.
"""

from __future__ import annotations

from collections.abc import Iterable

from spacy.tokens import Span as SpacySpan
from spacy.tokens import Token

from app.extract.ranges import Ranges
from app.extract.triggers import Trigger, find_trigger, is_negated

# Verbs whose subject made a statement ("Minister says...", "Union warns of strikes").
SPEECH_VERBS = frozenset(
    "say tell warn claim insist urge ask deny admit reveal predict announce declare argue "
    "suggest accuse criticise criticize".split()
)
# Verbs that carry no event of their own (the event is their complement).
EMPTY_VERBS = frozenset({"be", "have", "seem", "appear", "become", "remain"})
# Nouns that name an event, and so can head a verbless headline: the deverbal and event nouns
# of news ("theft", "blackout", "burial", "ceremony"). Grouped by domain for the reader.
EVENT_NOUNS = frozenset(
    # crime and justice
    "theft robbery burglary heist murder stabbing shooting kidnapping hijacking fraud "
    "trial hearing verdict ruling appeal sentencing conviction acquittal raid escape "
    # accidents and disasters
    "blackout outage crash collision accident fire blaze explosion blast flood flooding "
    "drought outbreak epidemic stampede collapse derailment spill leak eruption "
    # politics and society
    "debate interview speech vote poll referendum campaign boycott strike walkout "
    "shutdown lockdown riot clash unrest march rally protest demonstration coup "
    "resignation retirement dismissal sacking appointment inauguration election "
    "reform ban veto ceasefire truce war invasion evacuation rescue deportation "
    # business
    "merger takeover acquisition bankruptcy layoff closure launch release recall bid "
    "sale deal rise fall drop surge slump increase decline cut loss profit "
    # life, culture and sport
    "ceremony funeral burial wedding death birth concert festival premiere tour "
    "award win victory defeat draw comeback final match race record "
    "decision delay cancellation suspension visit trip return arrival departure "
    "discovery breakthrough landing mission crisis scandal row dispute split".split()
)
# Verbs that say what an event did to someone or somewhere ("Blackouts hit California",
# "Fire kills five"): the event is their subject, not the verb.
IMPACT_VERBS = frozenset(
    "hit strike kill injure leave cause disrupt hurt rock shake sweep plunge halt affect force "
    "damage destroy devastate paralyse paralyze cripple ground close shut delay".split()
)
# Children of a nominal root that can carry the headline's verb ("Charity boss sentenced").
CLAUSE_DEPS = frozenset({"acl", "relcl", "ccomp", "conj", "advcl"})


def _depth(token: Token) -> int:
    depth = 0
    while token.head is not token and depth < 20:
        token, depth = token.head, depth + 1
    return depth


def typed_trigger(tokens: Iterable[Token]) -> Trigger | None:
    """The taxonomy trigger nearest the root, statements last ("X says talks will resume"
    reports the talks)."""
    found = [t for t in (find_trigger(tok) for tok in tokens) if t is not None]
    found = [t for t in found if not is_negated(t.token)]
    if not found:
        return None
    return min(found, key=lambda t: (t.type == "statement", _depth(t.token), t.token.i))


def is_event_noun(token: Token) -> bool:
    return token.pos_ in ("NOUN", "PROPN") and token.lemma_.lower() in EVENT_NOUNS


def is_predicate(token: Token) -> bool:
    """A verb with an event of its own, or an event noun."""
    if token.pos_ == "VERB":
        return token.lemma_.lower() not in EMPTY_VERBS
    return is_event_noun(token)


def predicate(sent: SpacySpan) -> Token | None:
    """The event noun subject of a verb of impact ("Blackouts hit California"); else the root
    if it is a predicate; else a verb clause of a nominal root ("Charity boss sentenced for
    fraud"); else the first event noun ("Hundreds dead in stadium stampede")."""
    root = sent.root
    if root.lemma_.lower() in IMPACT_VERBS:
        subject = next((c for c in root.children if c.dep_ == "nsubj" and is_event_noun(c)), None)
        if subject is not None:
            return subject
    if is_predicate(root):
        return root
    clauses = [c for c in root.children if c.dep_ in CLAUSE_DEPS and is_verb_predicate(c)]
    if clauses:
        return clauses[0]
    return next((t for t in sent if is_event_noun(t)), None)


def is_verb_predicate(token: Token) -> bool:
    return token.pos_ == "VERB" and is_predicate(token)


def generic_trigger(token: Token) -> Trigger:
    """ "other" with the predicate's lemma, or a statement for a verb of saying."""
    if token.pos_ == "VERB" and token.lemma_.lower() in SPEECH_VERBS:
        return Trigger(token, "statement", rule="headline-speech")
    return Trigger(token, "other", family="generic", rule="headline-predicate")


def main_trigger(sent: SpacySpan, quoted: Ranges) -> Trigger | None:
    """The event a headline or lead sentence reports (see the module docstring)."""
    tokens = [t for t in sent if t.idx not in quoted]
    typed = typed_trigger(tokens)
    if typed is not None and typed.type != "statement":
        return typed
    token = predicate(sent)
    if token is not None and token in tokens and not is_negated(token):
        generic = generic_trigger(token)
        if generic.type != "statement" or typed is None:
            return generic
    return typed


def same_event_token(sents: Iterable[SpacySpan], trigger: Trigger) -> Token | None:
    """A token of the lead that restates the headline's trigger: the same lemma ("dies" →
    "died"), or for a trigger of the taxonomy one of the same type ("talks" → "met")."""
    tokens = [t for sent in sents for t in sent]
    lemma = trigger.token.lemma_.lower()
    same = next((t for t in tokens if t.lemma_.lower() == lemma), None)
    if same is not None or trigger.type in ("other", "statement"):
        return same
    return next((t for t in tokens if (f := find_trigger(t)) and f.type == trigger.type), None)
