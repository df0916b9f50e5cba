"""The committed train/validation splits: ``data/splits/<name>.json`` (a copy ships inside the package)."""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["load_split", "split_paths"]

_PACKAGE_COPY = Path(__file__).resolve().parent / "splits"
_REPO_COPY = Path(__file__).resolve().parents[2] / "data" / "splits"


def split_paths(name: str) -> list[Path]:
    """Where the split of ``name`` is looked for: the repository's ``data/splits`` then the package copy."""
    return [_REPO_COPY / f"{name}.json", _PACKAGE_COPY / f"{name}.json"]


def load_split(name: str) -> dict:
    """The split manifest of dataset ``name``.

    Returns
    -------
    dict
        ``{"dataset", "seed", "train": [...], "val": [...], "folds": [[...], ...]}`` with record names.
    """
    for path in split_paths(name):
        if path.is_file():
            return json.loads(path.read_text())
    known = sorted({p.stem for d in (_REPO_COPY, _PACKAGE_COPY) if d.is_dir() for p in d.glob("*.json")})
    raise ValueError(f"name={name!r} has no committed split; known: {', '.join(known) or 'none'}")
