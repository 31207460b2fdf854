"""A seeded database served by a real uvicorn process, shared by the tests of one module."""

from collections.abc import Iterator

import pytest

from tests.databases import temporary_database
from tests.e2e.serving import Served, run_seed
from tests.reliability.server import serve


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with temporary_database(tmp_path_factory.mktemp("e2e"), "e2e") as url:
        seeded = run_seed(url)
        assert seeded.returncode == 0, seeded.stderr
        assert "ingested as article" in seeded.stdout
        with serve(url, tmp_path_factory.mktemp("e2e-log")) as server:
            yield Served(server.base, url)
