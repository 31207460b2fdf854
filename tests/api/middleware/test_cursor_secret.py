"""The cursor key is never a known constant: unset or blank, each app makes a random one."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.errors import InvalidCursor
from app.kb.sql.pagination import CursorCodec
from app.main import create_app
from app.settings import Settings
from tests.conftest import share_session

FORMER_DEFAULT = "newskb-dev-cursor-secret"  # public: in the source of every earlier release


def codec_of(settings: Settings) -> CursorCodec:
    codec: CursorCodec = create_app(settings).state.cursor_codec
    return codec


@pytest.mark.parametrize("secret", ["", "   "])
def test_without_a_secret_each_app_signs_with_a_random_key(settings: Settings, secret: str) -> None:
    unset = Settings(database_url=settings.database_url, cursor_secret=secret)
    first, second = codec_of(unset), codec_of(unset)
    cursor = first.encode("quotes", [3])
    assert first.decode("quotes", cursor) == [3]
    with pytest.raises(InvalidCursor):
        second.decode("quotes", cursor)
    with pytest.raises(InvalidCursor):
        first.decode("quotes", CursorCodec(FORMER_DEFAULT).encode("quotes", [3]))


def test_blank_secret_from_the_environment_counts_as_unset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSKB_CURSOR_SECRET", "  ")  # compose passes an unset variable as ""
    assert Settings().cursor_secret == ""
    monkeypatch.setenv("NEWSKB_CURSOR_SECRET", " kept ")
    assert Settings().cursor_secret == "kept"


def test_a_set_secret_keeps_cursors_valid_across_apps(settings: Settings) -> None:
    keyed = settings.model_copy(update={"cursor_secret": "one-key-for-all-workers"})
    cursor = codec_of(keyed).encode("quotes", [3])
    assert codec_of(keyed).decode("quotes", cursor) == [3]


@pytest.mark.parametrize(("secret", "warned"), [("", True), ("set-in-production", False)])
def test_start_up_warns_when_cursors_will_not_survive_a_restart(
    settings: Settings,
    session: Session,
    caplog: pytest.LogCaptureFixture,
    secret: str,
    warned: bool,
) -> None:
    app: FastAPI = create_app(settings.model_copy(update={"cursor_secret": secret}))
    share_session(app, session)
    with caplog.at_level("INFO", logger="newskb"), TestClient(app):
        pass
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any("NEWSKB_CURSOR_SECRET" in m for m in warnings) is warned
