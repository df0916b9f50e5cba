"""Finding databases and records, loading one record, iterating over a split."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from .cinc2017 import load_cinc2017
from .labeled import LabeledRecord
from .ludb import load_ludb
from .physionet import load_annotated
from .qtdb import load_qtdb
from .splits import load_split

__all__ = ["DATASETS", "dataset_root", "list_records", "load_record", "iter_records"]

DATASETS: dict[str, str] = {
    "ludb": "ludb",
    "qtdb": "qtdb",
    "mitdb": "mitdb",
    "nstdb": "nstdb",
    "cpsc2021": "cpsc2021_samples",
    "svdb": "svdb",
    "cinc2017": "cinc2017_half",
}
"""Dataset name -> folder name under ``$OPENECG_DATA``. Any other name is a plain WFDB folder of that name."""


def _candidates(name: str, root: str | os.PathLike | None) -> list[Path]:
    folder = DATASETS.get(name, name)
    if root is not None:
        base = Path(root)
        return [base / folder, base] if folder != base.name else [base, base / folder]
    env = os.environ.get("OPENECG_DATA")
    return [Path(env) / folder] if env else []


def _looks_like(path: Path) -> bool:
    return path.is_dir() and ((path / "RECORDS").is_file() or any(path.glob("*.hea")) or (path / "data").is_dir())


def dataset_root(name: str, root: str | os.PathLike | None = None) -> Path:
    """The folder of dataset ``name``.

    Parameters
    ----------
    name : str
        ``"ludb"``, ``"qtdb"``, ``"mitdb"``, ``"nstdb"``, ``"cpsc2021"``, ``"svdb"``, ``"cinc2017"``, or the folder name of
        any WFDB database.
    root : str or os.PathLike or None
        The dataset folder itself or the folder holding it; when None, ``$OPENECG_DATA/<folder>``.

    Raises
    ------
    ValueError
        When no folder is found; the message lists every place looked at.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name={name!r} must be a dataset name; known: {', '.join(DATASETS)} or a WFDB folder name")
    tried = _candidates(name, root)
    for path in tried:
        if _looks_like(path):
            return path
    where = ", ".join(str(p) for p in tried) or "nowhere: root is None and $OPENECG_DATA is not set"
    raise ValueError(
        f"dataset {name!r} not found; looked in {where}. Pass root=<folder> or set OPENECG_DATA to the folder "
        f"holding {DATASETS.get(name, name)}/"
    )


def list_records(name: str, root: str | os.PathLike | None = None) -> list[str]:
    """Record names of dataset ``name``: its ``RECORDS`` file joined with the headers present, in file order.

    Records listed in ``RECORDS`` without a header are left out; headers missing from ``RECORDS`` (NSTDB
    ``118e_6``) are added.
    """
    base = dataset_root(name, root)
    folder = base / "data" if name == "ludb" else base
    present = {p.stem for p in folder.glob("*.hea")}
    listed = []
    if (base / "RECORDS").is_file():
        listed = [Path(line.strip()).name for line in (base / "RECORDS").read_text().splitlines() if line.strip()]
    names = [r for r in listed if r in present]
    extra = sorted(present - set(names), key=lambda r: (len(r), r))
    return names + extra


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
    if name == "cinc2017":
        return load_cinc2017(base, record)
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
