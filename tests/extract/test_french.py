"""French through the generic pipeline (app/extract/generic.py + patterns/lang_fr.json).

One construction per test; the texts are written for these tests.
"""

from datetime import UTC, datetime

from app.extract.pipeline import extract_parsed
from app.extract.types import Entity, ExtractedArticle, ParsedArticle

PUBLISHED = datetime(2024, 3, 13, tzinfo=UTC)


def extract(body: str, *, published: datetime | None = PUBLISHED) -> ExtractedArticle:
    [extracted] = extract_parsed([ParsedArticle(body=body, published_at=published, language="fr")])
    return extracted


def entity(extracted: ExtractedArticle, name: str) -> Entity:
    [found] = [e for e in extracted.entities if e.name == name]
    return found


def speaker_name(extracted: ExtractedArticle, index: int = 0) -> str | None:
    key = extracted.quotes[index].speaker_key
    return next((e.name for e in extracted.entities if e.key == key), None)


def test_country_named_in_french_is_the_country_with_its_english_name() -> None:
    found = entity(extract("Le ministre s'est rendu en Allemagne la semaine dernière."), "Germany")
    assert (found.type, found.country_code) == ("country", "DE")
    assert "Allemagne" in found.aliases


def test_country_name_french_news_uses_beside_pycountry() -> None:
    extracted = extract("Les États-Unis et la Russie ont repris leurs discussions à Genève.")
    codes = {e.country_code for e in extracted.entities if e.type == "country"}
    assert {"US", "RU"} <= codes


def test_demonym_is_a_mention_of_its_country() -> None:
    extracted = extract("Le chancelier allemand Olaf Scholz est arrivé à Paris.")
    germany = entity(extracted, "Germany")
    assert [m.text for m in germany.mentions] == ["allemand"]


def test_person_name_cut_short_by_ner_is_read_whole() -> None:
    extracted = extract("« Nous ne reculerons pas », a déclaré Emmanuel Macron mardi soir à Paris.")
    assert entity(extracted, "Emmanuel Macron").type == "person"


def test_surname_alone_is_the_person_named_in_full() -> None:
    extracted = extract(
        "Le président Emmanuel Macron a reçu les syndicats. Macron a promis une réponse."
    )
    assert [m.text for m in entity(extracted, "Emmanuel Macron").mentions] == [
        "Emmanuel Macron",
        "Macron",
    ]


def test_full_french_date_is_read() -> None:
    [timex] = extract("Le sommet s'est ouvert le mardi 12 mars 2024 à Bruxelles.").timexes
    assert (timex.text, timex.value, timex.precision) == ("mardi 12 mars 2024", "2024-03-12", "day")


def test_date_without_year_takes_the_published_year() -> None:
    [timex] = extract("Le vote aura lieu le 3 février devant le Parlement.").timexes
    assert (timex.value, timex.imputed) == ("2024-02-03", True)


def test_month_and_year_is_a_month() -> None:
    [timex] = extract("La réforme entrera en vigueur en septembre 2025.").timexes
    assert (timex.value, timex.precision) == ("2025-09", "month")


def test_relative_day_resolves_against_the_published_date() -> None:
    [timex] = extract("Le ministre a démissionné hier après une longue crise.").timexes
    assert timex.value == "2024-03-12"


def test_weekday_of_publication_is_that_day() -> None:
    [timex] = extract("Le ministre a démissionné mercredi.").timexes  # published on a Wednesday
    assert timex.value == "2024-03-13"


def test_relative_day_without_published_date_has_no_value() -> None:
    [timex] = extract("Le ministre a démissionné hier.", published=None).timexes
    assert timex.value is None


def test_quote_in_guillemets_with_cue_verb_after_it() -> None:
    extracted = extract(
        "Le président Emmanuel Macron était à Lyon.\n\n"
        "« Nous ne laisserons tomber personne », a déclaré Emmanuel Macron devant les élus."
    )
    [quote] = extracted.quotes
    assert quote.text == "Nous ne laisserons tomber personne"
    assert speaker_name(extracted) == "Emmanuel Macron"


def test_inverted_pronoun_cue_is_the_last_person_named() -> None:
    extracted = extract(
        "La ministre Élisabeth Borne a présenté le texte. "
        "« C'est une réforme nécessaire pour le pays », a-t-elle dit aux députés."
    )
    assert speaker_name(extracted) == "Élisabeth Borne"


def test_source_word_names_the_speaker() -> None:
    extracted = extract(
        "Olaf Scholz est arrivé à Paris. "
        "Selon Olaf Scholz, « l'unité européenne est notre force principale »."
    )
    assert speaker_name(extracted) == "Olaf Scholz"


def test_guillemets_without_cue_are_not_a_quote() -> None:
    extracted = extract("Le film « La Haine » ressort au cinéma cette semaine.")
    assert extracted.quotes == ()


def test_short_quote_is_partial() -> None:
    extracted = extract(
        "Le ministre Bruno Le Maire a dénoncé une « provocation », a indiqué Bruno Le Maire."
    )
    assert [q.direct for q in extracted.quotes] == [False]


def test_french_pipeline_extracts_no_roles_amounts_or_events() -> None:
    extracted = extract(
        "Le gouvernement a annoncé lundi une aide de deux milliards d'euros pour les agriculteurs."
    )
    assert (extracted.roles, extracted.amounts, extracted.events) == ((), (), ())
