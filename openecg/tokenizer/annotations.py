"""Event tables from label runs (beats, rhythm episodes, waves, token runs) and their exports: CSV, JSON and
WFDB annotation files. :class:`openecg.Codec` offers them as methods (``beats()``, ``episodes()``,
``table()``, ``to_csv()``, ``to_json()``, ``write_annotations()``).

A table is a dict of equal-length numpy arrays (no pandas needed; ``pandas.DataFrame(table)`` makes a frame).
Positions are samples of the recording (``start``, the first sample's position, added); times are seconds
from the recording's first sample.

Examples
--------
>>> beat = np.zeros(1000, np.uint8)
>>> for onset in (100, 350, 600):
...     beat[onset:onset + 25] = 1
>>> table = beat_table(labels_to_runs(beat), fs=250)
>>> table["time"].tolist(), table["class_name"].tolist(), table["rr"].tolist()
([0.448, 1.448, 2.448], ['N', 'N', 'N'], [nan, 1.0, 1.0])
>>> print(table_csv(run_table(labels_to_runs(np.zeros(500, np.uint8)), fs=250, table="rhythm")), end="")
start,end,duration,class_id,class_name,start_sample,end_sample
0.0,2.0,2.0,0,sinus,0,500
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import numpy as np

from .vocab import table_entries
from .rle import Runs, labels_to_runs

__all__ = ["TABLE_NAMES", "WFDB_BEAT_SYMBOLS", "WFDB_RHYTHM_NOTES", "beat_table", "run_table", "table_csv",
           "tables_document", "write_wfdb_annotations"]

TABLE_NAMES: tuple[str, ...] = ("beats", "episodes", "waves", "tokens")
"""The tables a Codec gives (:meth:`openecg.Codec.table`): one row per beat, rhythm episode, wave, token run."""

WFDB_BEAT_SYMBOLS: dict[str, str] = {"N": "N", "S": "S", "V": "V", "F": "F", "Q": "Q", "paced": "/"}
"""Beat class name -> MIT/WFDB annotation symbol (AAMI classes keep their letter; paced beats are ``/``)."""

WFDB_RHYTHM_NOTES: dict[str, str] = {
    "sinus": "(N", "AF": "(AFIB", "AV_block": "(AVB", "paced": "(P", "BBB": "(BBB", "ventricular": "(VT",
    "noise": "(NOISE",
}
"""Rhythm class name -> ``aux_note`` of the rhythm-change (``+``) annotation. ``(N``, ``(AFIB``, ``(P`` and
``(VT`` are MIT-BIH codes (``(AFIB`` stands for flutter too); ``(AVB``, ``(BBB`` and ``(NOISE`` have no MIT-BIH
code and are openecg's own."""


def _names(table: str, ids: np.ndarray) -> np.ndarray:
    return np.array([entry.name for entry in table_entries(table)])[ids]


def run_table(runs: Runs, *, fs: float, table: str, start: int = 0, drop_class: int | None = None) -> dict[str, np.ndarray]:
    """One row per run of ``runs`` (ids of ``table``: ``"wave"``, ``"rhythm"``, ``"symbols"`` ...).

    Returns
    -------
    dict of numpy.ndarray, each ``(rows,)``
        ``start``, ``end`` (exclusive) and ``duration`` float64 s; ``class_id`` uint8 and ``class_name`` str;
        ``start_sample`` / ``end_sample`` int64. Runs of ``drop_class`` are left out.
    """
    end = np.cumsum(runs.lengths, dtype=np.int64) + start
    first = end - runs.lengths
    keep = np.ones(len(end), bool) if drop_class is None else runs.symbols != drop_class
    first, end, ids = first[keep], end[keep], runs.symbols[keep].astype(np.uint8)
    return {"start": first / fs, "end": end / fs, "duration": (end - first) / fs, "class_id": ids,
            "class_name": _names(table, ids), "start_sample": first, "end_sample": end}


def beat_table(runs: Runs, *, fs: float, start: int = 0) -> dict[str, np.ndarray]:
    """One row per beat: a run of the beat channel other than ``none`` (class 0).

    Returns
    -------
    dict of numpy.ndarray, each ``(beats,)``
        ``sample`` int64 (the middle of the QRS span), ``time`` float64 s, ``class_id`` uint8, ``class_name``
        str, ``rr`` float64 s from the previous beat (NaN for the first), ``qrs_start`` / ``qrs_end`` int64.
    """
    spans = run_table(runs, fs=fs, table="beat", start=start, drop_class=0)
    sample = (spans["start_sample"] + spans["end_sample"] - 1) // 2
    rr = np.full(len(sample), np.nan)
    rr[1:] = np.diff(sample) / fs
    return {"sample": sample, "time": sample / fs, "class_id": spans["class_id"], "class_name": spans["class_name"],
            "rr": rr, "qrs_start": spans["start_sample"], "qrs_end": spans["end_sample"]}


def _plain(column: np.ndarray) -> list:
    if column.dtype.kind == "f":
        return [None if np.isnan(v) else round(float(v), 6) for v in column]
    return column.tolist()


def table_csv(table: dict[str, np.ndarray]) -> str:
    """The table as CSV text: a header row, then one row per entry; NaN as an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table)
    writer.writerows(zip(*(["" if v is None else v for v in _plain(c)] for c in table.values()), strict=True))
    return out.getvalue()


def tables_document(facts: dict[str, object], tables: dict[str, dict[str, np.ndarray]]) -> str:
    """``facts`` and the named tables (columns as lists, NaN as null) as one JSON document."""
    data = {**facts, **{name: {k: _plain(v) for k, v in table.items()} for name, table in tables.items()}}
    return json.dumps(data, indent=1) + "\n"


def write_wfdb_annotations(beats: dict[str, np.ndarray], episodes: dict[str, np.ndarray] | None, *, fs: float,
                           record_name: str, write_dir: str | os.PathLike[str] = ".", extension: str = "atr") -> Path:
    """Write beats (from :func:`beat_table`) and rhythm changes (from :func:`run_table` of the rhythm channel,
    or None) as ``<write_dir>/<record_name>.<extension>``, readable by ``wfdb.rdann``. Needs wfdb."""
    try:
        import wfdb
    except ModuleNotFoundError:
        from ..errors import MissingDependencyError

        raise MissingDependencyError('writing WFDB annotations needs wfdb: pip install "openecg[data]"') from None
    samples = [beats["sample"]]
    symbols = [WFDB_BEAT_SYMBOLS[str(name)] for name in beats["class_name"]]
    notes = [""] * len(symbols)
    if episodes is not None:
        samples.append(episodes["start_sample"])
        symbols += ["+"] * len(episodes["start_sample"])
        notes += [WFDB_RHYTHM_NOTES[str(name)] for name in episodes["class_name"]]
    sample = np.concatenate(samples).astype(np.int64)
    if not sample.size:
        raise ValueError("there are no beats or rhythm episodes to annotate")
    order = np.argsort(sample, kind="stable")
    wfdb.wrann(record_name, extension, sample[order], symbol=[symbols[i] for i in order],
               aux_note=[notes[i] for i in order], fs=fs, write_dir=str(write_dir))
    return Path(write_dir) / f"{record_name}.{extension}"
