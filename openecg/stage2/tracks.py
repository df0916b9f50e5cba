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
from fractions import Fraction

import numpy as np
from scipy.signal import resample_poly

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


def _resample_index(n_out: int, fs_in: float, fs_out: float) -> np.ndarray:
    """Nearest source index of each output sample when resampling from ``fs_in`` to ``fs_out``."""
    return np.rint(np.arange(n_out) * (fs_in / fs_out)).astype(np.int64)


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

    Signals are resampled with a polyphase filter; labels, masks and beat fiducials by nearest sample.
    """
    rec = record.recording  # type: ignore[attr-defined]
    ratio = Fraction(fs / rec.fs).limit_denominator(1000)
    signal = rec.signal
    if ratio != 1:
        signal = resample_poly(np.nan_to_num(signal), ratio.numerator, ratio.denominator, axis=0).astype(np.float32)
    n = signal.shape[0]
    index = np.minimum(_resample_index(n, rec.fs, fs), rec.n_samples - 1)
    beats = np.rint(np.asarray(record.beats) * (fs / rec.fs)).astype(np.int64)  # type: ignore[attr-defined]
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
                labels=np.ascontiguousarray(record.labels[i][:, index]),  # type: ignore[attr-defined]
                mask=np.ascontiguousarray(record.mask[i][:, index]),  # type: ignore[attr-defined]
                qrs=qrs,
            )
        )
    return out
