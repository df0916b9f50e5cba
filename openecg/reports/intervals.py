"""PR, QRS and QT intervals of each beat from a wave channel, and their medians with QTc.

Per QRS run (wave class QRS or paced QRS): PR runs from the onset of the P run just before it to the QRS
onset, QRS from QRS onset to offset, QT from QRS onset to the offset of the T run just after it; the P and T
runs count only when no other wave lies between them and the QRS. The RR interval of a beat runs from the
previous QRS onset to its own. QTc follows Bazett (QT / RR^(1/2)) and Fridericia (QT / RR^(1/3)), RR in
seconds, per beat; the report gives the medians over beats.

The same function measures a model's wave channel and an annotation's (per lead), so the two are compared
with one rule.

Examples
--------
>>> wave = np.repeat(np.array([0, 1, 0, 2, 0, 3, 0, 1, 0, 2, 0, 3, 0], dtype=np.uint8),
...                  [10, 50, 30, 50, 80, 80, 100, 50, 30, 50, 80, 80, 10])
>>> beats = measure_beats(wave, fs=500)
>>> (beats.pr * 1000).tolist(), (beats.qrs * 1000).tolist(), (beats.qt * 1000).tolist()
([160.0, 160.0], [100.0, 100.0], [420.0, 420.0])
>>> beats.rr.tolist()
[nan, 0.78]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tokenizer.rle import label_runs
from ..tokenizer.vocab import QRS_CLASSES, class_id

__all__ = ["BeatIntervals", "measure_beats", "median_intervals", "lead_median_intervals"]

P_WAVE, T_WAVE = class_id("wave", "P"), class_id("wave", "T")


@dataclass(frozen=True)
class BeatIntervals:
    """Intervals of each QRS of a wave channel, in seconds; NaN where a wave is missing.

    Attributes
    ----------
    onset : numpy.ndarray
        int64 ``(k,)`` QRS onset samples.
    paced : numpy.ndarray
        bool ``(k,)`` the QRS run is a paced QRS.
    pr, qrs, qt, rr : numpy.ndarray
        float64 ``(k,)`` seconds. ``rr`` is from the previous QRS onset (NaN for the first).
    """

    onset: np.ndarray
    paced: np.ndarray
    pr: np.ndarray
    qrs: np.ndarray
    qt: np.ndarray
    rr: np.ndarray


def measure_beats(wave: np.ndarray, *, fs: float, mask: np.ndarray | None = None) -> BeatIntervals:
    """Measure PR, QRS, QT and RR for every QRS run of the wave channel ``wave``.

    Parameters
    ----------
    wave : numpy.ndarray
        uint8 ``(n,)`` WAVE_CLASSES ids at ``fs`` Hz.
    fs : float
        Sample rate in Hz.
    mask : numpy.ndarray, optional
        bool ``(n,)``: where ``wave`` is known (an annotated span). A QRS run that touches an unknown sample is
        left out; a P or T run (or the stretch to it) that does is treated as missing.
    """
    starts, lengths, symbols = label_runs(wave)
    waves = symbols != 0
    symbols, starts, ends = symbols[waves], starts[waves], (starts + lengths)[waves]
    unknown = None if mask is None else np.concatenate([[0], np.cumsum(~mask)])

    def inside(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.ones(len(a), bool) if unknown is None else unknown[b] - unknown[a] == 0

    qrs = np.flatnonzero(np.isin(symbols, QRS_CLASSES))
    qrs = qrs[inside(starts[qrs], ends[qrs])]
    onset, offset = starts[qrs], ends[qrs]
    before = np.maximum(qrs - 1, 0)
    after = np.minimum(qrs + 1, len(symbols) - 1)
    has_p = (qrs > 0) & (symbols[before] == P_WAVE) & inside(starts[before], onset)
    has_t = (qrs < len(symbols) - 1) & (symbols[after] == T_WAVE) & inside(offset, ends[after])
    pr = np.where(has_p, (onset - starts[before]) / fs, np.nan)
    qt = np.where(has_t, (ends[after] - onset) / fs, np.nan)
    rr = np.full(len(qrs), np.nan)
    rr[1:] = np.diff(onset) / fs
    if mask is not None and len(qrs) > 1:
        rr[1:][~inside(onset[:-1], onset[1:])] = np.nan
    return BeatIntervals(
        onset.astype(np.int64), symbols[qrs] == QRS_CLASSES[1], pr, (offset - onset) / fs, qt, rr
    )


def _median(values: np.ndarray) -> float | None:
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else None


def median_intervals(beats: BeatIntervals, *, select: np.ndarray | None = None) -> dict[str, float | None]:
    """Median PR, QRS, QT (ms), RR (s) and QTc Bazett and Fridericia (ms) over the selected beats.

    Parameters
    ----------
    beats : BeatIntervals
        From :func:`measure_beats`.
    select : numpy.ndarray, optional
        bool ``(k,)`` beats to use (for example the dominant N beats); all by default.

    Returns
    -------
    dict
        ``pr_ms``, ``qrs_ms``, ``qt_ms``, ``rr_s``, ``qtc_bazett_ms``, ``qtc_fridericia_ms`` and the number of
        beats each median is taken over (``n_pr``, ``n_qrs``, ``n_qt``, ``n_qtc``); None where no beat has it.
    """
    keep = np.ones(len(beats.onset), bool) if select is None else select
    pr, qrs, qt, rr = beats.pr[keep], beats.qrs[keep], beats.qt[keep], beats.rr[keep]
    with np.errstate(invalid="ignore"):
        bazett = qt / np.sqrt(rr)
        fridericia = qt / np.cbrt(rr)

    def ms(values: np.ndarray) -> float | None:
        value = _median(values)
        return None if value is None else round(1000.0 * value, 1)

    rr_median = _median(rr)
    return {
        "pr_ms": ms(pr),
        "qrs_ms": ms(qrs),
        "qt_ms": ms(qt),
        "rr_s": None if rr_median is None else round(rr_median, 4),
        "qtc_bazett_ms": ms(bazett),
        "qtc_fridericia_ms": ms(fridericia),
        "n_pr": int(np.isfinite(pr).sum()),
        "n_qrs": int(np.isfinite(qrs).sum()),
        "n_qt": int(np.isfinite(qt).sum()),
        "n_qtc": int(np.isfinite(bazett).sum()),
    }


def lead_median_intervals(waves: np.ndarray, *, fs: float, masks: np.ndarray | None = None) -> dict[str, float | None]:
    """Median intervals of a multi-lead wave annotation: per lead the median over its beats, then the median
    over leads (what a consensus wave channel measures, as opposed to the earliest onset and latest offset
    over leads).

    Parameters
    ----------
    waves : numpy.ndarray
        uint8 ``(leads, n)`` WAVE_CLASSES ids at ``fs`` Hz, one row per lead (for example an annotation).
    fs : float
        Sample rate in Hz.
    masks : numpy.ndarray, optional
        bool ``(leads, n)``: where each lead's annotation is known.

    Returns
    -------
    dict
        ``pr_ms``, ``qrs_ms``, ``qt_ms``: None where no lead has that interval.
    """
    per_lead = [
        median_intervals(measure_beats(row, fs=fs, mask=None if masks is None else masks[i]))
        for i, row in enumerate(waves)
    ]
    result: dict[str, float | None] = {}
    for key in ("pr_ms", "qrs_ms", "qt_ms"):
        values = np.array([m[key] for m in per_lead if m[key] is not None], dtype=float)
        result[key] = round(float(np.median(values)), 1) if values.size else None
    return result
