"""The committed train/validation splits, shipped inside the package: ``openecg/data/splits/<name>.json``.

They are written by ``python -m openecg.data.make_splits`` (seeded; see that module for the rules).
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["load_split", "split_path", "SPLITS_DIR"]

SPLITS_DIR = Path(__file__).resolve().parent / "splits"
"""The folder of the committed split manifests."""


def split_path(name: str) -> Path:
    """The manifest file of dataset ``name`` (it may not exist)."""
    return SPLITS_DIR / f"{name}.json"


def load_split(name: str) -> dict:
    """The split manifest of dataset ``name``.

    Returns
    -------
    dict
        ``{"dataset", "seed", "train": [...], "val": [...], "folds": [[...], ...]}`` with record names.
    """
    path = split_path(name)
    if path.is_file():
        return json.loads(path.read_text())
    known = sorted(p.stem for p in SPLITS_DIR.glob("*.json"))
    raise ValueError(f"name={name!r} has no committed split; known: {', '.join(known) or 'none'}")
