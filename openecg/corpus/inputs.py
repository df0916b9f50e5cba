"""What a corpus job reads: folders searched recursively, explicit files, or a manifest (CSV or Parquet).

Every input becomes an :class:`Item`: a record id (unique in the job, the key of the store's record table),
the path, and the sample rate and lead names where the file does not carry them. Problems with one record
(a missing file, an unknown suffix) are not raised here: the item goes to the job, which writes the reason
into the error table and carries on. Problems with the job itself (a missing folder, duplicate ids, a
manifest without a ``path`` column) are raised before any work.

Record ids: ``FOLDER/relative/path`` without the suffix for a folder (``ludb/data/1``), the path as given
without the suffix for a file, and the manifest's ``id`` column (or its path) for a manifest row.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

__all__ = ["Item", "collect", "SIGNAL_SUFFIXES", "IMAGE_SUFFIXES", "MANIFEST_SUFFIXES"]

SIGNAL_SUFFIXES: tuple[str, ...] = (".hea", ".edf", ".bdf", ".npy", ".csv")
"""Signal files a job reads (``.npy`` and ``.csv`` need a sample rate from the manifest or ``fs=``)."""

IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
"""Paper-ECG images, digitized with :func:`openecg.digitize`."""

MANIFEST_SUFFIXES: tuple[str, ...] = (".csv", ".parquet")
"""A file with one of these suffixes given with ``manifest=`` is read as a manifest."""

DEFAULT_FOLDER_SUFFIXES: tuple[str, ...] = (".hea", ".edf", ".bdf", ".npy")
"""Suffixes picked up when searching folders (CSV files in a folder are more often tables than ECGs)."""


@dataclass(frozen=True)
class Item:
    """One record of a job: its id, path, and the sample rate (Hz) and lead names the file may lack."""

    id: str
    path: str
    fs: float | None = None
    leads: tuple[str, ...] | None = None


def _strip(path: str) -> str:
    root, suffix = os.path.splitext(path)
    return root if suffix.lower() in SIGNAL_SUFFIXES + IMAGE_SUFFIXES else path


def _scan(folder: Path, suffixes: Sequence[str]) -> list[Item]:
    wanted = {s.lower() for s in suffixes}
    items = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix.lower() in wanted:
            relative = path.relative_to(folder).with_suffix("").as_posix()
            items.append(Item(f"{folder.name}/{relative}", str(path)))
    return items


def _manifest_rows(path: Path) -> list[dict[str, object]]:
    if path.suffix.lower() == ".parquet":
        import pandas

        frame = pandas.read_parquet(path)
        return [{k: (None if pandas.isna(v) else v) for k, v in row.items()} for row in frame.to_dict("records")]
    with open(path, newline="", encoding="utf-8") as handle:
        return [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(handle)]


def _from_manifest(path: Path) -> list[Item]:
    rows = _manifest_rows(path)
    if rows and "path" not in rows[0]:
        raise InputError(f"manifest={str(path)!r} has columns {list(rows[0])}; a 'path' column is required "
                         "(optional: id, fs, leads)")
    items = []
    for number, row in enumerate(rows, start=1):
        file = str(row.get("path") or "")
        if file and not os.path.isabs(file):
            file = str(path.parent / file)
        fs = row.get("fs")
        leads = row.get("leads")
        record_id = str(row.get("id") or _strip(str(row.get("path") or f"row{number}")))
        items.append(Item(
            record_id,
            file,
            None if fs is None else float(fs),  # type: ignore[arg-type]
            None if leads is None else tuple(name.strip() for name in str(leads).split(",")),
        ))
    return items


def collect(inputs: Iterable[str | os.PathLike[str]], *, manifest: str | os.PathLike[str] | None = None,
            suffixes: Sequence[str] = DEFAULT_FOLDER_SUFFIXES) -> list[Item]:
    """The items of a job, sorted by id.

    Parameters
    ----------
    inputs : iterable of path
        Folders (searched recursively for files with ``suffixes``) and files (taken whatever their suffix;
        an unknown one ends in the error table).
    manifest : path, optional
        A CSV or Parquet table with a ``path`` column (relative paths are taken from the manifest's folder)
        and optional ``id``, ``fs`` (Hz) and ``leads`` (comma-separated names) columns.
    suffixes : sequence of str
        File suffixes picked up in folders; add image suffixes (:data:`IMAGE_SUFFIXES`) to digitize paper ECGs.

    Raises
    ------
    ValueError
        An input that does not exist, a manifest without a ``path`` column, or two items with one id.
    """
    items: list[Item] = []
    for given in inputs:
        path = Path(given)
        if path.is_dir():
            items.extend(_scan(path, suffixes))
        elif path.is_file() or path.with_name(path.name + ".hea").is_file():
            items.append(Item(_strip(os.path.normpath(str(given))), str(given)))
        else:
            raise InputError(f"inputs has {str(given)!r}, which does not exist; give folders, files or manifest=")
    if manifest is not None:
        table = Path(manifest)
        if table.suffix.lower() not in MANIFEST_SUFFIXES or not table.is_file():
            raise InputError(f"manifest={str(manifest)!r} must be an existing {' or '.join(MANIFEST_SUFFIXES)} file")
        items.extend(_from_manifest(table))
    seen: dict[str, str] = {}
    for item in items:
        if item.id in seen:
            raise InputError(f"record id {item.id!r} is given twice ({seen[item.id]!r} and {item.path!r}); "
                             "give each record once, or ids in a manifest 'id' column")
        seen[item.id] = item.path
    return sorted(items, key=lambda item: item.id)
