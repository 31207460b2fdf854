"""The schema declares bearer security on exactly the operations that answer 401 without a key."""

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

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
