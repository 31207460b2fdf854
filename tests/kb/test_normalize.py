import pytest

from app.kb.normalize import normalize_name


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("The Kremlin's", "kremlins"),
        ("  A  Foo-Bar_baz ", "foo bar baz"),
        ("Société Générale", "societe generale"),
        ("ﬁnance", "finance"),  # a ligature: NFKD folds it
        ("Łódź", "łodz"),  # Ł has no decomposition; ó does
    ],
)
def test_names_normalize_case_accent_and_punctuation_insensitively(
    name: str, normalized: str
) -> None:
    assert normalize_name(name) == normalized
