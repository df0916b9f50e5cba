"""PhysioNet/CinC Challenge 2017 loader: single-lead handheld ECGs at 300 Hz with one rhythm label per record.

``REFERENCE.csv`` holds ``record,label`` with ``N`` (normal), ``A`` (atrial fibrillation), ``O`` (other
rhythm) or ``~`` (too noisy to classify). Signals are in ``.mat`` files (``val``, ADC units, 1000 per mV);
the headers carry dates that ``wfdb`` cannot parse, so they are read with scipy. Layers: waves and beats are
masked (not annotated); rhythm is the record's class over the whole record for ``N`` (sinus) and ``A`` (AF),
masked for ``O`` (any of several rhythms) and ``~`` (noise of unknown extent).
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..signal.recording import Recording
from ..tokenizer.vocab import class_id
from .labeled import LabeledRecord, stack_layers

__all__ = ["load_cinc2017", "cinc2017_labels", "CINC2017_FS", "CINC2017_CLASSES"]

CINC2017_FS = 300.0
CINC2017_CLASSES: dict[str, str] = {"N": "normal", "A": "AF", "O": "other rhythm", "~": "noisy"}
"""``REFERENCE.csv`` label -> meaning."""

_RHYTHM = {"N": class_id("rhythm", "sinus"), "A": class_id("rhythm", "AF")}
_ADC_PER_MV = 1000.0


@lru_cache(maxsize=4)
def _reference(path: str) -> dict[str, str]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {row[0].strip(): row[1].strip() for row in csv.reader(handle) if row}


def cinc2017_labels(root: Path) -> dict[str, str]:
    """``{record: label}`` from ``root/REFERENCE.csv`` (labels as in :data:`CINC2017_CLASSES`)."""
    path = Path(root) / "REFERENCE.csv"
    if not path.is_file():
        raise ValueError(f"root={str(root)!r} has no REFERENCE.csv; pass the cinc2017_half folder")
    labels = _reference(str(path))
    unknown = sorted({v for v in labels.values()} - set(CINC2017_CLASSES))
    if unknown:
        raise ValueError(f"{path} holds labels {unknown}; allowed: {sorted(CINC2017_CLASSES)}")
    return labels


def load_cinc2017(root: Path, record: str) -> LabeledRecord:
    """Load ``root/<record>.mat`` with its record-level rhythm label (see the module docstring)."""
    from scipy.io import loadmat

    label = cinc2017_labels(root).get(record)
    if label is None:
        raise ValueError(f"record={record!r} is not in {Path(root) / 'REFERENCE.csv'}")
    signal = np.asarray(loadmat(str(Path(root) / f"{record}.mat"))["val"], dtype=np.float32).reshape(-1, 1)
    recording = Recording(signal / _ADC_PER_MV, CINC2017_FS, ("I",), meta={"cinc2017_label": label})
    n = recording.n_samples
    off = (np.zeros(n, np.uint8), np.zeros(n, bool))
    rhythm = (np.full(n, _RHYTHM.get(label, 0), np.uint8), np.full(n, label in _RHYTHM, bool))
    labels, mask = stack_layers([off, off, rhythm], leads=1)
    empty = np.zeros(0, np.int64)
    return LabeledRecord("cinc2017", record, recording, labels, mask, empty, empty.astype(np.uint8))
