"""Fixtures shared by the truth rows: a pyramid project in git."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import pytest

from tests.git_repo import commit, git
from tests.integration.run.test_closed_world import BASE

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.conftest import MakeProject


@pytest.fixture
def project(pytester: pytest.Pytester, make_project: MakeProject) -> Callable[..., Path]:
    """A pyramid project in git with ``files`` committed; ``later`` written after the commit."""

    def make(files: dict[str, str], later: dict[str, str] | None = None,
             config: str = "", ini: str = "", addopts: str = "") -> Path:
        make_project(config, ini=ini, addopts=addopts, **{**BASE, **files})
        git(pytester.path, "init", "-q")
        commit(pytester.path)
        for name, body in (later or {}).items():
            path = pytester.path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(body))
        return pytester.path

    return make
