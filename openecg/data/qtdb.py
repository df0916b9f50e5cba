"""QTDB loader: cardiologist wave boundaries from ``.q1c`` on both leads, beats from ``.atr``.

The ``.q1c`` annotator delineated about 30 beats, not always consecutive, in each 15-minute record: labels
count only on annotated beats and the baseline between consecutive annotated beats. ``.pu*`` files are
automatic and never used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..signal.io import read_wfdb
from .labeled import LabeledRecord, stack_layers
from .labels import beat_class_ids, is_beat, wave_layer
from .physionet import read_annotations

__all__ = ["load_qtdb"]

_MATCH_S = 0.15


def load_qtdb(root: Path, record: str) -> LabeledRecord:
    """Load QTDB record ``record`` (``"sel100"`` ...) from the QTDB folder ``root``.

    A stretch between two consecutive ``.q1c`` annotations is masked when it is longer than the median
    interval between annotated QRS complexes, or when it holds an ``.atr`` beat farther than 150 ms from
    every annotated QRS: the annotator skipped beats there.
    """
    recording = read_wfdb(root / record)
    n, leads, fs = recording.n_samples, recording.n_leads, recording.fs
    beats = np.zeros(0, np.int64)
    classes = np.zeros(0, np.uint8)
    if (root / f"{record}.atr").is_file():
        samples, symbols, _ = read_annotations(root / record, "atr")
        keep = is_beat(symbols)
        beats, classes = samples[keep], beat_class_ids(symbols[keep])
    off = (np.zeros(n, np.uint8), np.zeros(n, bool))
    if (root / f"{record}.q1c").is_file():
        samples, symbols, _ = read_annotations(root / record, "q1c")
        order = np.argsort(samples, kind="stable")
        samples, symbols = samples[order], symbols[order]
        qrs = samples[symbols == "N"]
        max_gap = int(np.median(np.diff(qrs))) if len(qrs) > 2 else None
        unannotated = beats
        if len(qrs) and len(beats):
            idx = np.clip(np.searchsorted(qrs, beats), 1, len(qrs) - 1) if len(qrs) > 1 else np.zeros(len(beats), int)
            dist = np.minimum(np.abs(beats - qrs[idx]), np.abs(beats - qrs[np.maximum(idx - 1, 0)]))
            unannotated = beats[dist > _MATCH_S * fs]
        wave = wave_layer(samples, symbols, n=n, max_gap=max_gap, beats=unannotated)
    else:
        wave = off
    labels, mask = stack_layers([wave, off, off], leads=leads)
    return LabeledRecord("qtdb", record, recording, labels, mask, beats, classes)
