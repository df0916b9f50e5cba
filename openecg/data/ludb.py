"""LUDB loader: per-lead P/QRS/T from each lead's annotation file, record rhythm from ``ludb.csv``."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..signal.recording import Recording
from ..signal.io import read_wfdb
from ..tokenizer.vocab import class_id
from .labeled import LabeledRecord, stack_layers
from .labels import beat_layer, wave_layer
from .physionet import read_annotations

__all__ = ["load_ludb", "ludb_rhythm", "ludb_beat_class", "LUDB_LEADS"]

LUDB_LEADS: dict[str, str] = {
    "i": "I", "ii": "II", "iii": "III", "avr": "aVR", "avl": "aVL", "avf": "aVF",
    **{f"v{k}": f"V{k}" for k in range(1, 7)},
}
"""LUDB annotation-file extension -> lead name used in the :class:`Recording`."""

_PACED_QRS = class_id("wave", "paced_QRS")
_N, _PACED_BEAT = class_id("beat", "N"), class_id("beat", "paced")


@lru_cache(maxsize=4)
def _table(csv_path: str) -> dict[str, dict[str, str]]:
    with open(csv_path, newline="", encoding="utf-8") as handle:
        return {row["ID"].strip(): row for row in csv.DictReader(handle)}


def ludb_rhythm(row: dict[str, str]) -> int | None:
    """Record-level RHYTHM_CLASSES id of a ``ludb.csv`` row, or None when it is left unlabelled.

    Priority paced > AF/flutter > AV block > complete BBB > sinus. Sinus variants (rhythm, brady-,
    tachycardia, arrhythmia, irregular sinus rhythm, wandering atrial pacemaker) are sinus; incomplete BBB,
    hemiblocks and non-specific conduction delay alone do not change that. Sinoatrial block is left
    unlabelled (None), as is any rhythm text that matches none of these.
    """
    rhythms = row.get("Rhythms", "").lower()
    conduction = row.get("Conduction abnormalities", "").lower()
    if row.get("Cardiac pacing", "").strip():
        return class_id("rhythm", "paced")
    if "fibrillation" in rhythms or "flutter" in rhythms:
        return class_id("rhythm", "AF")
    if "av block" in conduction or "av-block" in conduction:
        return class_id("rhythm", "AV_block")
    if "complete left bundle" in conduction.replace("incomplete left", "") or (
        "complete right bundle" in conduction.replace("incomplete right", "")
    ):
        return class_id("rhythm", "BBB")
    if "sinoatrial" in conduction:
        return None
    lines = [line.strip() for line in rhythms.splitlines() if line.strip()]
    sinus = ("sinus", "wandering atrial pacemaker")
    if lines and all(any(word in line for word in sinus) for line in lines):
        return class_id("rhythm", "sinus")
    return None


def ludb_beat_class(row: dict[str, str]) -> int | None:
    """The BEAT_CLASSES id of every QRS of a ``ludb.csv`` row, or None when the beats are left unlabelled.

    LUDB does not classify beats, but a record without extrasystoles has only one kind: paced beats when
    the record is paced, else AAMI class N (sinus, AF or flutter conduction, bundle branch block beats alike).
    Records with any extrasystole keep their beat layer masked: which beats are ectopic is not annotated.
    """
    if row.get("Extrasystolies", "").strip():
        return None
    return _PACED_BEAT if row.get("Cardiac pacing", "").strip() else _N


def load_ludb(root: Path, record: str) -> LabeledRecord:
    """Load LUDB record ``record`` (``"1"`` ... ``"200"``) from the LUDB folder ``root``."""
    path = root / "data" / record
    raw = read_wfdb(path)
    extensions = [name.lower() for name in raw.lead_names]
    recording = Recording(
        raw.signal, fs=raw.fs, lead_names=tuple(LUDB_LEADS.get(e, e) for e in extensions), meta=raw.meta
    )
    n, leads = recording.n_samples, recording.n_leads
    row = _table(str(root / "ludb.csv")).get(record, {})
    paced = bool(row.get("Cardiac pacing", "").strip())
    waves, wave_masks, qrs_peaks = [], [], {}
    for ext in extensions:
        samples, symbols, _ = read_annotations(path, ext)
        lab, m = wave_layer(samples, symbols, n=n, qrs_class=_PACED_QRS if paced else 2)
        waves.append(lab)
        wave_masks.append(m)
        qrs_peaks[ext] = samples[symbols == "N"]
    rhythm_id = ludb_rhythm(row) if row else None
    rhythm = (np.full(n, rhythm_id or 0, np.uint8), np.full(n, rhythm_id is not None))
    beat_class = ludb_beat_class(row) if row else None
    if beat_class is None:
        beat = (np.zeros(n, np.uint8), np.zeros(n, bool))
    else:
        per_lead = [beat_layer(qrs_peaks[e], np.full(len(qrs_peaks[e]), beat_class, np.uint8), n=n, fs=raw.fs)
                    for e in extensions]
        beat = (np.stack([b for b, _ in per_lead]), np.stack([m for _, m in per_lead]))
    labels, mask = stack_layers([(np.stack(waves), np.stack(wave_masks)), beat, rhythm], leads=leads)
    beats = qrs_peaks.get("ii", next(iter(qrs_peaks.values()), np.zeros(0, np.int64))).astype(np.int64)
    classes = np.full(len(beats), beat_class or 0, np.uint8)
    return LabeledRecord("ludb", record, recording, labels, mask, beats, classes)
