"""Loaders for beat- and rhythm-annotated WFDB databases: MIT-BIH Arrhythmia, NSTDB, CPSC 2021, any folder.

The wave layer is fully masked (these databases do not delineate waves). Beats come from the ``.atr``
annotations mapped to AAMI classes, rhythm from the ``aux_note`` of rhythm-change (``+``) annotations.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..signal.io import read_wfdb
from .labeled import LabeledRecord, stack_layers
from .labels import bbb_rhythm, beat_class_ids, beat_layer, is_beat, rhythm_layer

__all__ = ["load_annotated", "read_annotations", "cpsc_is_af"]

_CPSC_AF_COMMENTS = ("paroxysmal atrial fibrillation", "persistent atrial fibrillation")


def read_annotations(path: Path, extension: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(samples int64 (k,), symbols str (k,), aux_notes)`` of a WFDB annotation file."""
    import wfdb

    ann = wfdb.rdann(str(path), extension)
    aux = [str(a or "").strip().rstrip("\x00") for a in (ann.aux_note or [""] * len(ann.sample))]
    return np.asarray(ann.sample, dtype=np.int64), np.asarray(ann.symbol, dtype=str), aux


def load_annotated(dataset: str, root: Path, record: str, *, classify_beats: bool = True) -> LabeledRecord:
    """Load ``root/record`` and its ``.atr`` (when present) into a :class:`LabeledRecord`.

    Parameters
    ----------
    dataset : str
        Dataset name written into the result; ``"cpsc2021"`` switches to its rules: beat classes are not
        trusted (beat layer masked, classes 0) and samples before the first rhythm change are non-AF (sinus).
    root : pathlib.Path
        The database folder.
    record : str
        Record name.
    classify_beats : bool
        False leaves the beat layer masked and beat classes 0.
    """
    recording = read_wfdb(root / record)
    n, leads = recording.n_samples, recording.n_leads
    off = (np.zeros(n, dtype=np.uint8), np.zeros(n, dtype=bool))
    if not (root / f"{record}.atr").is_file():
        labels, mask = stack_layers([off, off, off], leads=leads)
        empty = np.zeros(0, dtype=np.int64)
        return LabeledRecord(dataset, record, recording, labels, mask, empty, empty.astype(np.uint8))
    samples, symbols, aux = read_annotations(root / record, "atr")
    beat = is_beat(symbols)
    beats, beat_symbols = samples[beat], symbols[beat]
    cpsc = dataset == "cpsc2021"
    classes = beat_class_ids(beat_symbols) if classify_beats and not cpsc else np.zeros(len(beats), np.uint8)
    beat_pair = beat_layer(beats, classes, n=n, fs=recording.fs) if classify_beats and not cpsc else off
    change = (symbols == "+") & np.array([a.startswith("(") for a in aux], dtype=bool)
    default = 0 if cpsc else None
    rhythm, rhythm_mask = rhythm_layer(samples[change], [a for a, c in zip(aux, change) if c], n=n, default=default)
    rhythm = bbb_rhythm(rhythm, beats, beat_symbols)
    labels, mask = stack_layers([off, beat_pair, (rhythm, rhythm_mask)], leads=leads)
    return LabeledRecord(dataset, record, recording, labels, mask, beats, classes)


def cpsc_is_af(recording_comments: list[str]) -> bool:
    """True when a CPSC 2021 header comment says the record holds atrial fibrillation."""
    text = " ".join(recording_comments).lower()
    return any(c in text for c in _CPSC_AF_COMMENTS)
