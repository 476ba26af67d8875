from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.edge.servers import Site, Template, site, template


@pytest.fixture(scope="session")
def acme_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Template]:
    with template(tmp_path_factory.mktemp("edge") / "data") as built:
        yield built


@pytest.fixture
def acme_site(acme_template: Template, tmp_path: Path) -> Iterator[Site]:
    with site(acme_template, tmp_path / "data") as result:
        yield result
