"""The committed train/validation splits: package data ``openecg/data/splits/<name>.json``.

They are read through :mod:`importlib.resources`, so an installed wheel (or a zipped package) finds them
exactly where a source checkout does. :mod:`openecg.data.make_splits` writes them.
"""

from __future__ import annotations

import json
from importlib.resources import files
from importlib.resources.abc import Traversable

__all__ = ["load_split", "split_names", "splits_folder"]


def splits_folder() -> Traversable:
    """The folder of split manifests inside the installed package."""
    return files(__package__) / "splits"


def split_names() -> tuple[str, ...]:
    """Names of the datasets with a committed split, sorted."""
    return tuple(sorted(p.name[: -len(".json")] for p in splits_folder().iterdir() if p.name.endswith(".json")))


def load_split(name: str) -> dict:
    """The split manifest of dataset ``name``.

    Returns
    -------
    dict
        ``{"dataset", "seed", "train": [...], "val": [...], "folds": [[...], ...]}`` with record names.

    Examples
    --------
    >>> split = load_split("ludb")
    >>> sorted(split), len(split["folds"])
    (['dataset', 'folds', 'seed', 'train', 'val'], 5)
    """
    path = splits_folder() / f"{name}.json"
    if not isinstance(name, str) or not path.is_file():
        raise ValueError(f"name={name!r} has no committed split; known: {', '.join(split_names()) or 'none'}")
    return json.loads(path.read_text())
