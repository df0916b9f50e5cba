"""Where the databases are: the dataset folders under ``$OPENECG_DATA`` (or a given root) and their records.

The bottom of :mod:`openecg.data`: the loaders of each database and :mod:`.records` find folders here, so no
loader needs to import :mod:`.records`.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DATASETS", "dataset_root", "list_records"]

DATASETS: dict[str, str] = {
    "ludb": "ludb",
    "qtdb": "qtdb",
    "mitdb": "mitdb",
    "nstdb": "nstdb",
    "cpsc2021": "cpsc2021_samples",
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
        ``"ludb"``, ``"qtdb"``, ``"mitdb"``, ``"nstdb"``, ``"cpsc2021"``, or the folder name of any WFDB database.
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
