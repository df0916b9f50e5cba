"""Reading encoded results back and handing them to other tools: :func:`load` reads a codec file
(``.oecg``) or a stream file (``.oecgs``); beat and rhythm-episode tables; JSON, CSV and WFDB annotations.

Tables are dicts of equal-length numpy arrays (no pandas needed; ``pandas.DataFrame(table)`` makes a frame).
Positions are samples of the *recording* (the codec's ``start`` added), times are seconds from the
recording's first sample.

Examples
--------
>>> import numpy as np, openecg
>>> wave = np.zeros(1000, np.uint8); beat = np.zeros(1000, np.uint8)
>>> for onset in (100, 350, 600):
...     wave[onset:onset + 25] = 2; beat[onset:onset + 25] = 1
>>> codec = openecg.Codec(np.stack([wave, beat, np.zeros_like(wave)]), fs=250)
>>> table = beat_table(codec)
>>> table["time"].tolist(), table["class_name"].tolist(), table["rr"].tolist()
([0.448, 1.448, 2.448], ['N', 'N', 'N'], [nan, 1.0, 1.0])
>>> episode_table(codec)["class_name"].tolist(), episode_table(codec)["duration"].tolist()
(['sinus'], [4.0])
"""

from __future__ import annotations

import csv
import io
import json
import os
import warnings
from pathlib import Path

import numpy as np

from .codec import Codec
from .tokenizer.streamfile import MAGIC as STREAM_MAGIC
from .tokenizer.streamfile import read_stream
from .tokenizer.container import MAGIC as CONTAINER_MAGIC
from .tokenizer.vocab import BEAT_CLASSES, RHYTHM_CLASSES, SYMBOLS, WAVE_CLASSES

__all__ = ["load", "beat_table", "episode_table", "wave_table", "token_table", "TABLES", "to_json", "to_csv",
           "write_annotations", "WFDB_BEAT_SYMBOLS", "WFDB_RHYTHM_NOTES"]

WFDB_BEAT_SYMBOLS: dict[str, str] = {"N": "N", "S": "S", "V": "V", "F": "F", "Q": "Q", "paced": "/"}
"""Beat class name -> MIT/WFDB annotation symbol written by :func:`write_annotations` (AAMI classes keep their
letter; paced beats are ``/``)."""

WFDB_RHYTHM_NOTES: dict[str, str] = {
    "sinus": "(N", "AF": "(AFIB", "AV_block": "(AVB", "paced": "(P", "BBB": "(BBB", "ventricular": "(VT",
    "noise": "(NOISE",
}
"""Rhythm class name -> ``aux_note`` of the rhythm-change (``+``) annotation. ``(N``, ``(AFIB``, ``(P`` and
``(VT`` are the MIT-BIH codes (``(AFIB`` also stands for flutter here); ``(AVB``, ``(BBB`` and ``(NOISE`` have
no MIT-BIH code and are openecg's own."""


def load(path: str | os.PathLike[str]) -> Codec:
    """Read a codec file (``.oecg``, :meth:`Codec.save`) or a stream file (``.oecgs``, ``encode_stream(sink=)``).

    The two are told apart by their first bytes, whatever the file is called. A stream file that its writer
    did not finish (a crash or Ctrl-C) gives the samples written before it stopped, with a warning.

    Raises
    ------
    ValueError
        When the file is neither, or is damaged (the message names the file).
    """
    file = Path(path)
    if file.is_dir():
        raise ValueError(f"path={str(path)!r} is a folder; give an .oecg or .oecgs file")
    with open(file, "rb") as handle:
        head = handle.read(len(STREAM_MAGIC))
    try:
        if head == STREAM_MAGIC:
            contents = read_stream(file)
            if not contents.complete:
                warnings.warn(f"{file} is an unfinished stream file: read the first {contents.channels.shape[1]} "
                              "samples written before the writer stopped", stacklevel=2)
            return Codec(contents.channels, contents.fs, tokens=(contents.symbols, contents.lengths))
        if head[:len(CONTAINER_MAGIC)] == CONTAINER_MAGIC:
            return Codec.load(file)
    except ValueError as error:
        raise ValueError(f"{file}: {error}") from None
    raise ValueError(f"{file} starts with {head!r}: it is neither an openecg codec (.oecg) nor a stream file (.oecgs)")


def _names(table: tuple, ids: np.ndarray) -> np.ndarray:
    return np.array([entry.name for entry in table], dtype=object)[ids].astype(str)


def beat_table(codec: Codec) -> dict[str, np.ndarray]:
    """One row per beat (a run of the beat channel with a class other than ``none``).

    Returns
    -------
    dict of numpy.ndarray, each ``(beats,)``
        ``sample`` int64 (the middle of the QRS span, in recording samples), ``time`` float64 s,
        ``class_id`` uint8 and ``class_name`` str (:data:`openecg.tokenizer.BEAT_CLASSES`), ``rr`` float64 s
        from the previous beat (NaN for the first), ``qrs_start`` / ``qrs_end`` int64 (end exclusive).
    """
    events = codec.events("beat", drop_class=0)
    start, end = events[:, 0] + codec.start, events[:, 1] + codec.start
    sample = (start + end - 1) // 2
    ids = events[:, 2].astype(np.uint8)
    rr = np.full(len(sample), np.nan)
    rr[1:] = np.diff(sample) / codec.fs
    return {"sample": sample, "time": sample / codec.fs, "class_id": ids, "class_name": _names(BEAT_CLASSES, ids),
            "rr": rr, "qrs_start": start, "qrs_end": end}


def _run_table(codec: Codec, layer: str, table: tuple, drop_class: int | None = None) -> dict[str, np.ndarray]:
    events = codec.events(layer, drop_class=drop_class)
    start, end = events[:, 0] + codec.start, events[:, 1] + codec.start
    ids = events[:, 2].astype(np.uint8)
    return {"start": start / codec.fs, "end": end / codec.fs, "duration": (end - start) / codec.fs,
            "class_id": ids, "class_name": _names(table, ids), "start_sample": start, "end_sample": end}


def episode_table(codec: Codec) -> dict[str, np.ndarray]:
    """One row per rhythm episode (a run of the rhythm channel).

    Returns
    -------
    dict of numpy.ndarray, each ``(episodes,)``
        ``start``, ``end`` (exclusive) and ``duration`` float64 s, ``class_id`` uint8, ``class_name`` str
        (:data:`openecg.tokenizer.RHYTHM_CLASSES`), ``start_sample`` / ``end_sample`` int64.
    """
    return _run_table(codec, "rhythm", RHYTHM_CLASSES)


def wave_table(codec: Codec) -> dict[str, np.ndarray]:
    """One row per P wave, QRS, T wave or paced QRS (runs of the wave channel other than background); columns
    as :func:`episode_table` with :data:`openecg.tokenizer.WAVE_CLASSES` names."""
    return _run_table(codec, "wave", WAVE_CLASSES, drop_class=0)


def token_table(codec: Codec) -> dict[str, np.ndarray]:
    """One row per run of the 13-symbol stream: columns as :func:`episode_table` with
    :data:`openecg.tokenizer.SYMBOLS` names. The codec must carry tokens."""
    runs = codec.runs("symbols")
    end = np.cumsum(runs.lengths) + codec.start
    start = end - runs.lengths
    return {"start": start / codec.fs, "end": end / codec.fs, "duration": runs.lengths / codec.fs,
            "class_id": runs.symbols, "class_name": _names(SYMBOLS, runs.symbols), "start_sample": start,
            "end_sample": end}


TABLES = {"beats": beat_table, "episodes": episode_table, "waves": wave_table, "tokens": token_table}
"""The tables by name, as :func:`to_csv`, :func:`to_json` and ``openecg convert`` know them."""


def _table(codec: Codec, table: str) -> dict[str, np.ndarray]:
    if table not in TABLES:
        raise ValueError(f"table={table!r} is not a table; allowed: {', '.join(TABLES)}")
    return TABLES[table](codec)


def _plain(column: np.ndarray) -> list:
    if column.dtype.kind == "f":
        return [None if np.isnan(v) else round(float(v), 6) for v in column]
    return column.tolist()


def _write(text: str, path: str | os.PathLike[str] | None) -> str:
    if path is not None:
        Path(path).write_text(text, encoding="utf-8")
    return text


def to_json(codec: Codec, path: str | os.PathLike[str] | None = None, *,
            tables: tuple[str, ...] = ("beats", "episodes")) -> str:
    """The codec's facts (``fs``, ``start``, ``n_samples``, ``recording_length``) and the named tables
    (columns as lists; NaN as null) as JSON text, also written to ``path`` when given."""
    data = {**codec.get_config(), **{name: {k: _plain(v) for k, v in _table(codec, name).items()} for name in tables}}
    return _write(json.dumps(data, indent=1) + "\n", path)


def to_csv(codec: Codec, path: str | os.PathLike[str] | None = None, *, table: str = "beats") -> str:
    """One table as CSV text (a header row, then one row per beat / episode / wave / run; NaN as empty),
    also written to ``path`` when given."""
    columns = _table(codec, table)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(zip(*(["" if v is None else v for v in _plain(c)] for c in columns.values()), strict=True))
    return _write(out.getvalue(), path)


def write_annotations(codec: Codec, record_name: str, *, write_dir: str | os.PathLike[str] = ".",
                      extension: str = "atr", rhythm: bool = True) -> Path:
    """Write the beats (and rhythm changes) as a WFDB annotation file ``<write_dir>/<record_name>.<extension>``.

    Beats sit at the middle of their QRS span with the symbols of :data:`WFDB_BEAT_SYMBOLS`; each rhythm
    episode starts with a ``+`` annotation whose ``aux_note`` is from :data:`WFDB_RHYTHM_NOTES` (leave them out
    with ``rhythm=False``). ``wfdb.rdann(record, extension)`` reads the file back. Needs the ``data`` extra.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    try:
        import wfdb
    except ModuleNotFoundError:
        raise ModuleNotFoundError('writing WFDB annotations needs wfdb: pip install "openecg[data]"') from None
    beats, episodes = beat_table(codec), episode_table(codec)
    samples = [beats["sample"]]
    symbols = [WFDB_BEAT_SYMBOLS[name] for name in beats["class_name"]]
    notes = [""] * len(symbols)
    if rhythm:
        samples.append(episodes["start_sample"])
        symbols += ["+"] * len(episodes["start_sample"])
        notes += [WFDB_RHYTHM_NOTES[name] for name in episodes["class_name"]]
    sample = np.concatenate(samples).astype(np.int64)
    order = np.argsort(sample, kind="stable")
    if not sample.size:
        raise ValueError(f"the codec holds no beats{' or rhythm episodes' if rhythm else ''}: nothing to annotate")
    folder = Path(write_dir)
    wfdb.wrann(record_name, extension, sample[order], symbol=[symbols[i] for i in order],
               aux_note=[notes[i] for i in order], fs=codec.fs, write_dir=str(folder))
    return folder / f"{record_name}.{extension}"
