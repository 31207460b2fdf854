"""The schema declares bearer security on exactly the operations that answer 401 without a key."""

import json
import re

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.api import routers
from app.api.middleware import openapi
from app.api.middleware.security import CredentialsDep
from app.main import create_app
from app.settings import Settings
from tests.conftest import share_session


@pytest.mark.parametrize("reads_need_key", [False, True])
def test_security_is_declared_where_a_key_is_needed(
    settings: Settings, session: Session, reads_need_key: bool
) -> None:
    app = create_app(settings.model_copy(update={"require_key_for_reads": reads_need_key}))
    share_session(app, session)
    with TestClient(app) as anonymous:  # no Authorization header
        schema = anonymous.get("/openapi.json").json()
        declared = checked = 0
        for template, item in schema["paths"].items():
            path = re.sub(r"\{[^}]+\}", "1", template)
            for method, operation in item.items():
                secured = bool(operation.get("security"))
                status = anonymous.request(method.upper(), path, json={}).status_code
                assert (status == 401) == secured, (method, template, status)
                declared += secured
                checked += 1
    # Writes always need a key; reads only when put behind one.
    assert 0 < declared < checked
    gets = sum("get" in item for item in schema["paths"].values())
    assert (declared > gets) == reads_need_key


@pytest.mark.parametrize("reads_need_key", [False, True])
def test_the_document_is_what_fastapi_writes_when_reads_declare_bearer(
    settings: Settings, reads_need_key: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read check declares no security (it reads the header itself, a node lighter per
    read); the schema writes it where FastAPI put it when the check depended on ``HTTPBearer``:
    the same document, byte for byte."""
    settings = settings.model_copy(update={"require_key_for_reads": reads_need_key})
    expected = json.dumps(create_app(settings).openapi())

    async def declaring(credentials: CredentialsDep) -> None:
        """The read check as it was: ``HTTPBearer`` among its dependencies."""

    with monkeypatch.context() as patched:
        patched.setattr(routers, "ReadKey", Depends(declaring))
        patched.setattr(openapi, "require_read_key", declaring)
        reference = json.dumps(create_app(settings).openapi())
    assert expected == reference
    paths = json.loads(expected)["paths"]
    assert ("security" in paths["/v1/articles"]["get"]) == reads_need_key
    assert ("security" in paths["/v1/stats"]["get"]) == reads_need_key  # no parameters
