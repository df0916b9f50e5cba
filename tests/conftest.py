"""Shared fixtures: where the real databases are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def data_root() -> Path:
    """The folder of PhysioNet databases: ``$OPENECG_DATA`` or ``../shared/data`` beside the repository."""
    env = os.environ.get("OPENECG_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    root = data_root()
    if not root.is_dir():
        pytest.skip(f"real ECG databases not found at {root} (set OPENECG_DATA)")
    return root
