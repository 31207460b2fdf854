"""Every event trigger rule and preposition-role row, by name, with a sentence of the
construction it exists for.

The trigger tables live in ``app.extract.triggers`` and ``app.extract.other_triggers`` (a rule
with no type is a veto: the word in that company is no event), the preposition roles in
``app.extract.event_args.PREP_ROLES``. Adding a rule means adding its construction here:
``test_every_rule_has_a_construction`` fails otherwise.
"""

from __future__ import annotations

import pytest
from spacy.language import Language

from app.extract.event_args import PREP_ROLES, prep_rule
from app.extract.nlp import get_nlp
from app.extract.triggers import NOUNS, VERBS, Trigger, deciding_rule, find_trigger

# rule name -> (a sentence of the construction, the trigger word in it)
CONSTRUCTIONS: dict[str, tuple[str, str]] = {
    "meeting-noun": ("The two leaders held talks in Geneva on Monday.", "talks"),
    "visit-noun": ("The president began a three-day visit to Japan.", "visit"),
    "military-exercise": (
        "Troops from both armies started joint exercises near the border.",
        "exercises",
    ),
    "civil-exercise": ("The teacher gave the pupils a grammar exercise.", "exercise"),
    "war-games": ("The navy staged war games off the coast.", "games"),
    "arms-purchase-noun": ("The purchase of fighter jets was approved by the cabinet.", "purchase"),
    "arms-deal-noun": ("The deal for missiles was signed last year.", "deal"),
    "state-of-emergency": ("The government declared a state of emergency in the capital.", "state"),
    "martial-law": ("The general imposed martial law across the province.", "law"),
    "military-deployment-noun": (
        "The deployment of troops to the region began on Friday.",
        "deployment",
    ),
    "labour-strike": ("Railway workers began a strike over pay.", "strike"),
    "nonviolent-attack": ("The senator suffered a heart attack at home.", "attack"),
    "attack-noun": ("Militants killed five soldiers in an attack on the base.", "attack"),
    "election-noun": ("Voters will go to the polls in the presidential election.", "election"),
    "qualified-poll": ("The party won the general vote in every region.", "vote"),
    "in-protest": ("The minister resigned in protest last week.", "protest"),
    "protest-noun": ("Thousands joined a protest outside parliament.", "protest"),
    "embargo": ("The council imposed an arms embargo on the country.", "embargo"),
    "sanctions-noun": ("New sanctions hit the country's banks.", "sanctions"),
    "meet-a-demand": ("The company met the deadline for the report.", "met"),
    "meet-verb": ("The prime minister met the king in Madrid.", "met"),
    "visit-verb": ("The pope visited Iraq in March.", "visited"),
    "travel-to": ("The foreign minister travelled to Beijing for the summit.", "travelled"),
    "buy-arms": ("The country will buy fighter jets from France.", "buy"),
    "sell-arms": ("Russia sold missiles to India last year.", "sold"),
    "sign-agreement": ("The two countries signed a treaty on Tuesday.", "signed"),
    "declare-an-event": ("The governor declared a state of emergency on Sunday.", "declared"),
    "announce-inner-event": ("The ministry announced plans to buy fighter jets.", "announced"),
    "announce-statement": ("The ministry announced new rules for schools.", "announced"),
    "deploy-troops": ("The government deployed troops to the border.", "deployed"),
    "violent-attack-verb": ("Gunmen attacked a police station, killing two officers.", "attacked"),
    "strike-a-target": ("Rockets struck the airport overnight.", "struck"),
    "attack-verb-otherwise": ("The critic attacked the new film in his review.", "attacked"),
    "elected": ("She was elected mayor in 2019.", "elected"),
    "protest-verb": ("Farmers protested in the capital on Monday.", "protested"),
    "sanction-verb": ("Washington sanctioned three banks on Friday.", "sanctioned"),
    "disaster-strikes": ("The storm hit the coast on Tuesday.", "hit"),
    "vehicle-crash": ("A small plane crashed near the airport.", "crashed"),
    "shoot-down-aircraft": ("The army shot down a drone over the city.", "shot"),
    "assassinate": ("Gunmen assassinated the governor on Sunday.", "assassinated"),
    "killed-by-attacker": ("A bomb killed twelve people in the market.", "killed"),
    "legal-verb": ("Police arrested the suspect on Monday.", "arrested"),
    "charged-with": ("The driver was charged with dangerous driving.", "charged"),
    "plead-guilty": ("The banker pleaded guilty to fraud.", "pleaded"),
    "court-rules": ("The court ruled that the law was unconstitutional.", "ruled"),
    "office-verb": ("The minister resigned on Friday.", "resigned"),
    "step-down": ("The chief executive will step down in June.", "step"),
    "sworn-in": ("The new president was sworn in on Monday.", "sworn"),
    "take-office": ("The mayor took office in January.", "took"),
    "pass-a-law": ("Parliament passed the bill on Thursday.", "passed"),
    "vote-to-elect": ("Party members voted to elect a new leader.", "voted"),
    "vote-verb": ("Senators voted on the proposal on Tuesday.", "voted"),
    "dissolve-parliament": ("The king dissolved parliament last night.", "dissolved"),
    "win-a-race": ("She won the leadership contest by a wide margin.", "won"),
    "win-a-prize": ("The author won the prize for her first novel.", "won"),
    "set-a-record": ("The sprinter set a world record in Berlin.", "set"),
    "run-a-race": ("The champion ran the marathon in under two hours.", "ran"),
    "landfall": ("The hurricane made landfall in Florida.", "landfall"),
    "disaster-noun": ("An earthquake shook the island on Sunday.", "earthquake"),
    "crash-noun": ("The plane crash killed all passengers.", "crash"),
    "downing-of-aircraft": ("The downing of the plane caused outrage.", "downing"),
    "killing-of": ("The killing of the journalist shocked the country.", "killing"),
    "legal-noun": ("Police opened an investigation into the fire.", "investigation"),
    "office-noun": ("The resignation of the minister surprised many.", "resignation"),
    "prize-winner": ("The winner of the prize will be named in May.", "winner"),
    "ban-on-a-country": ("The ban on flights to Iran took effect in December.", "ban"),
}


@pytest.fixture(scope="module")
def nlp() -> Language:
    return get_nlp()


def test_every_rule_has_a_construction() -> None:
    names = [r.name for r in NOUNS.rules + VERBS.rules]
    assert len(names) == len(set(names)), "rule names must be unique"
    assert set(names) == set(CONSTRUCTIONS)


@pytest.mark.parametrize("name", sorted(CONSTRUCTIONS))
def test_rule_decides_its_construction(nlp: Language, name: str) -> None:
    text, word = CONSTRUCTIONS[name]
    token = next(t for t in nlp(text) if t.lower_ == word)
    rule = deciding_rule(token)
    assert rule is not None and rule.name == name
    trigger = find_trigger(token)
    if rule.type is None:
        assert trigger is None  # a veto: no event
    else:
        assert trigger is not None and (trigger.type, trigger.rule) == (rule.type, name)


# row name -> (a sentence, the trigger word, the preposition, the role its object gets)
PREP_CONSTRUCTIONS: dict[str, tuple[str, str, str, str | None]] = {
    "bought-with": (
        "India signed a purchase of fighter jets with France.",
        "purchase",
        "with",
        "seller",
    ),
    "drills-with": (
        "Chinese troops held joint naval drills with Iran.",
        "drills",
        "with",
        "participant",
    ),
    "talks-with": ("The president held talks with the king.", "talks", "with", "counterpart"),
    "bought-from": ("India will buy fighter jets from France.", "buy", "from", "seller"),
    "sold-to": ("Russia sold missiles to India.", "sold", "to", "buyer"),
    "went-to": ("The pope began a visit to Iraq.", "visit", "to", "location"),
    "between": (
        "The meeting between the two leaders lasted an hour.",
        "meeting",
        "between",
        "participant",
    ),
    "legal-patient": (
        "Police opened an investigation into the company.",
        "investigation",
        "into",
        "target",
    ),
    "office-patient": (
        "The resignation of the minister surprised many.",
        "resignation",
        "of",
        "participant",
    ),
    "award-patient": ("The prize was awarded to the poet.", "awarded", "to", "winner"),
    "generic-patient": (
        "The theft of the painting shocked the town.",
        "theft",
        "of",
        "patient",
    ),
    "killing-of": ("The killing of the journalist shocked the country.", "killing", "of", "target"),
    "aimed-against": ("Protesters demanded sanctions on the regime.", "sanctions", "on", "target"),
    "passive-by": ("The suspect was arrested by police.", "arrested", "by", "agent"),
}


def test_every_preposition_row_has_a_construction() -> None:
    assert {r.construction for r in PREP_ROLES} == set(PREP_CONSTRUCTIONS)


@pytest.mark.parametrize("name", sorted(PREP_CONSTRUCTIONS))
def test_preposition_row_decides_its_construction(nlp: Language, name: str) -> None:
    text, word, prep, role = PREP_CONSTRUCTIONS[name]
    token = next(t for t in nlp(text) if t.lower_ == word)
    # A main event read off a headline's predicate has the family "generic".
    trigger = find_trigger(token) or Trigger(token, "other", family="generic")
    row = prep_rule(trigger, prep)
    assert row is not None and (row.construction, row.role) == (name, role)


def test_a_purchase_has_no_buyer_after_to(nlp: Language) -> None:
    """ "bought jets to ..." gives no buyer: the subject is the buyer."""
    trigger = find_trigger(
        next(t for t in nlp("India will buy jets from France.") if t.lower_ == "buy")
    )
    assert trigger is not None and trigger.direction == "buy"
    assert prep_rule(trigger, "to") is None
