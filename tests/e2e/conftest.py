"""Fixtures for end-to-end tests with the real Anki: the built .ankiaddon and an artifacts folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO

ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="session")
def ankiaddon(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``python -m tools.build`` into a temp folder (the repository's dist/ is left alone)."""
    from tools.build import build

    return build(tmp_path_factory.mktemp("dist"))


@pytest.fixture
def artifacts() -> Path:
    """Screenshots and records a person can look at after the run (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
