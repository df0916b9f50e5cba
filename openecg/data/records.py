"""Loading one record of a database, iterating over a committed split."""

from __future__ import annotations

import os
from collections.abc import Iterator

from .labeled import LabeledRecord
from .ludb import load_ludb
from .physionet import load_annotated
from .qtdb import load_qtdb
from .roots import dataset_root, list_records
from .splits import load_split

__all__ = ["load_record", "iter_records"]


def load_record(name: str, record: str, root: str | os.PathLike | None = None) -> LabeledRecord:
    """Load one record of dataset ``name`` with its label layers and loss masks."""
    base = dataset_root(name, root)
    folder = base / "data" if name == "ludb" else base
    if not (folder / f"{record}.hea").is_file():
        raise ValueError(f"record={record!r} not found in {folder}; see list_records({name!r})")
    if name == "ludb":
        return load_ludb(base, record)
    if name == "qtdb":
        return load_qtdb(base, record)
    return load_annotated(name, base, record)


def iter_records(
    name: str, *, split: str | None = None, fold: int | None = None, root: str | os.PathLike | None = None
) -> Iterator[LabeledRecord]:
    """Yield the records of dataset ``name``, optionally restricted to a committed split.

    Parameters
    ----------
    split : {"train", "val"} or None
        Without ``fold``: the split's ``train``/``val`` lists. With ``fold=k``: ``"val"`` is fold ``k`` and
        ``"train"`` every other fold (cross-validation).
    fold : int or None
        Alone: the records of fold ``fold``.
    """
    records = list_records(name, root)
    if split is not None or fold is not None:
        manifest = load_split(name)
        if split not in (None, "train", "val"):
            raise ValueError(f"split={split!r} is not allowed; use 'train', 'val' or None")
        folds = manifest.get("folds", [])
        if fold is not None and not (isinstance(fold, int) and 0 <= fold < len(folds)):
            raise ValueError(f"fold={fold!r} is out of range; {name} has folds 0..{len(folds) - 1}")
        if fold is None:
            chosen = set(manifest[split])
        elif split == "train":
            chosen = {r for k, f in enumerate(folds) if k != fold for r in f}
        else:
            chosen = set(folds[fold])
        records = [r for r in records if r in chosen]
    for record in records:
        yield load_record(name, record, root)
