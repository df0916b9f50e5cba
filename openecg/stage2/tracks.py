"""Training tracks: one lead of one labelled record at the model's rate, with its targets and loss masks.

A :class:`Track` holds, at ``fs`` (250 Hz):

- ``signal``: float32 ``(n,)`` in mV;
- ``labels``: uint8 ``(3, n)`` wave, beat and rhythm class ids; ``mask``: bool ``(3, n)``, True where the
  label is ground truth (the loss counts only there);
- ``qrs``: int8 ``(n,)`` QRS presence from the reference beats of databases that annotate beats but not
  waves (MIT-BIH, NSTDB, CPSC 2021): 1 within 20 ms of a beat fiducial (surely inside its QRS), 0 more than
  250 ms from every fiducial between two beats less than 3 s apart (surely outside any QRS), -1 unknown.
  This teaches the wave layer to find every QRS, however abnormal, in the databases rich in ectopy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..signal.resample import map_index, resample, resample_labels

__all__ = ["Track", "tracks_from_record", "QRS_CORE_S", "QRS_CLEAR_S", "MAX_BEAT_GAP_S"]

QRS_CORE_S = 0.020
QRS_CLEAR_S = 0.250
MAX_BEAT_GAP_S = 3.0


@dataclass(frozen=True)
class Track:
    """One lead of one record at the model rate; see the module docstring."""

    dataset: str
    record: str
    lead: str
    signal: np.ndarray
    labels: np.ndarray
    mask: np.ndarray
    qrs: np.ndarray

    @property
    def supervised(self) -> np.ndarray:
        """int64 indices of samples where any target is known (windows are drawn around them)."""
        return np.flatnonzero(self.mask.any(axis=0) | (self.qrs >= 0))


def qrs_presence(n: int, beats: np.ndarray, fs: float) -> np.ndarray:
    """int8 ``(n,)`` QRS presence targets (1 / 0 / -1) from beat fiducials at ``fs``; see the module docstring."""
    qrs = np.full(n, -1, dtype=np.int8)
    beats = np.sort(beats[(beats >= 0) & (beats < n)])
    if beats.size == 0:
        return qrs
    core, clear, gap = (round(s * fs) for s in (QRS_CORE_S, QRS_CLEAR_S, MAX_BEAT_GAP_S))
    close = np.diff(beats) < gap
    starts, ends = beats[:-1][close] + clear, beats[1:][close] - clear
    keep = ends > starts
    delta = np.zeros(n + 1, dtype=np.int32)
    np.add.at(delta, starts[keep], 1)
    np.add.at(delta, ends[keep], -1)
    qrs[np.cumsum(delta[:n]) > 0] = 0
    lo = np.clip(beats - core, 0, n)
    hi = np.clip(beats + core + 1, 0, n)
    delta[:] = 0
    np.add.at(delta, lo, 1)
    np.add.at(delta, hi, -1)
    qrs[np.cumsum(delta[:n]) > 0] = 1
    return qrs


def tracks_from_record(record: object, *, fs: float = 250.0, leads: list[str] | None = None) -> list[Track]:
    """Resample a :class:`openecg.data.LabeledRecord` to ``fs`` and split it into one :class:`Track` per lead.

    Signals go through :func:`openecg.signal.resample.resample`, the kernel the stream feeds the model with
    (gaps zero-filled, as the stream does); labels, masks and beat fiducials by the one nearest-sample rule
    of :func:`~openecg.signal.resample.map_index`, which the stream also maps its output back with.
    """
    rec = record.recording  # type: ignore[attr-defined]
    signal = resample(np.nan_to_num(rec.signal), fs_from=rec.fs, fs_to=fs)
    n = signal.shape[0]
    labels = resample_labels(record.labels, fs_from=rec.fs, fs_to=fs)  # type: ignore[attr-defined]
    masks = resample_labels(record.mask, fs_from=rec.fs, fs_to=fs)  # type: ignore[attr-defined]
    beats = map_index(np.asarray(record.beats), fs_from=rec.fs, fs_to=fs)  # type: ignore[attr-defined]
    beat_labelled = bool(np.asarray(record.beats).size) and not record.mask[:, 0].any()  # type: ignore[attr-defined]
    qrs = qrs_presence(n, beats, fs) if beat_labelled else np.full(n, -1, dtype=np.int8)
    out = []
    for i, name in enumerate(rec.lead_names):
        if leads is not None and name not in leads:
            continue
        out.append(
            Track(
                dataset=record.dataset,  # type: ignore[attr-defined]
                record=record.record,  # type: ignore[attr-defined]
                lead=name,
                signal=np.ascontiguousarray(signal[:, i]),
                labels=np.ascontiguousarray(labels[i]),
                mask=np.ascontiguousarray(masks[i]),
                qrs=qrs,
            )
        )
    return out
