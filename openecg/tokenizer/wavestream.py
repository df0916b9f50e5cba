"""The 13-symbol wave stream: from the wave channel, the rhythm channel and the signal to symbol runs.

Per sample, at the input rate:

* wave "other" -> ``iso``, or ``unk`` where the rhythm channel says noise / unreadable;
* P -> ``P``, T -> ``T``;
* a QRS run longer than ``WIDE_QRS_S`` (120 ms) -> ``wide_qrs``; a shorter one is split into ``Q``, ``R``
  and ``S`` by its deflections in the lead where it is largest: the signal relative to its level at QRS
  onset, lobes beyond ``max(0.05 mV, 10 % of the QRS amplitude)``, samples between lobes joined to the lobe
  before; negative lobes before the first positive one are ``Q`` (a QRS with no positive lobe is all ``Q``,
  a QS complex), positive lobes ``R``, negative lobes after one ``S``;
* a paced QRS run: a ``pacer`` spike when its first 40 ms hold a slope steeper than ``PACER_SLOPE`` mV/s
  (from the run's start to the last steep sample), the rest as a QRS run above.

Not produced: ``U``, ``delta`` and ``J`` (no reliable detector yet), pacer spikes outside paced QRS runs
(atrial pacing), and ``pad`` (the stream covers only real samples).

Examples
--------
>>> fs = 250.0
>>> wave = np.array([0] * 10 + [2] * 20 + [0] * 10, np.uint8)
>>> x = np.zeros((40, 1), np.float32); x[12:15, 0] = -0.3; x[15:22, 0] = 1.5; x[22:28, 0] = -0.4
>>> symbols, lengths, done = wave_tokens(wave, np.zeros(40, np.uint8), x, fs)
>>> "".join(SYMBOLS[s].char for s in symbols), lengths.tolist(), done
('_qrs_', [10, 5, 7, 8, 10], 40)
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .rle import label_runs
from .vocab import NOISE, OTHER, QRS_CLASSES, SYMBOLS, class_id, symbol_id

__all__ = ["wave_tokens", "merge_runs", "WIDE_QRS_S", "PACER_SLOPE", "SYMBOLS"]

WIDE_QRS_S = 0.120
PACER_SLOPE = 200.0
PACER_SEARCH_S = 0.040
MIN_LOBE_MV = 0.05

ISO, UNK, PACER = symbol_id("iso"), symbol_id("unk"), symbol_id("pacer")
Q, R, S, WIDE = symbol_id("Q"), symbol_id("R"), symbol_id("S"), symbol_id("wide_qrs")
PACED = class_id("wave", "paced_QRS")
_BY_WAVE = np.array([ISO, symbol_id("P"), R, symbol_id("T"), R], np.uint8)


def _deflections_reference(x: np.ndarray) -> np.ndarray:
    """Q/R/S symbol per sample of one QRS ``x`` ``(n,)`` in mV (plain twin of :func:`_qrs_kernel`)."""
    rel = x - x[0]
    threshold = max(MIN_LOBE_MV, 0.1 * float(np.ptp(x)))
    sign = np.where(rel > threshold, 1, np.where(rel < -threshold, -1, 0))
    nonzero = np.flatnonzero(sign)
    if len(nonzero) == 0:
        return np.full(len(x), R, np.uint8)
    idx = np.maximum.accumulate(np.where(sign != 0, np.arange(len(x)), -1))
    idx[idx < 0] = nonzero[0]
    sign = sign[idx]
    positive = np.flatnonzero(sign > 0)
    if len(positive) == 0:
        return np.full(len(x), Q, np.uint8)
    out = np.where(sign > 0, R, S).astype(np.uint8)
    out[: positive[0]] = Q
    return out


def _qrs_symbols_reference(segment: np.ndarray, fs: float, paced: bool) -> np.ndarray:
    """Symbols of one QRS run ``segment`` ``(n, leads)`` in mV at ``fs`` (plain twin of :func:`_qrs_kernel`)."""
    n = len(segment)
    out = np.empty(n, np.uint8)
    first = 0
    if paced and n > 1:
        head = min(n, int(round(PACER_SEARCH_S * fs)) + 1)
        slope = np.abs(np.diff(segment[:head], axis=0)).max(axis=1) * np.float32(fs)
        steep = np.flatnonzero(slope > PACER_SLOPE)
        if len(steep):
            first = int(steep[-1]) + 2
            out[:first] = PACER
    rest = segment[first:]
    if len(rest) == 0:
        return out
    if len(rest) > WIDE_QRS_S * fs:
        out[first:] = WIDE
    else:
        lead = int(np.argmax(np.ptp(rest, axis=0)))
        out[first:] = _deflections_reference(rest[:, lead])
    return out


@njit(cache=True, nogil=True)
def _qrs_kernel(out, signal, starts, lengths, paced, fs, head, wide):  # pragma: no cover - compiled
    """Write the symbols of every QRS run ``[starts[r], starts[r] + lengths[r])`` into ``out`` ``(n,)``
    from ``signal`` float32 ``(n, leads)``; ``paced[r]`` marks paced runs, ``fs`` is float32, ``head`` the
    samples searched for a pacer spike and ``wide`` the length (samples, float) above which a run is wide."""
    n_leads = signal.shape[1]
    for r in range(len(starts)):
        s, n = starts[r], lengths[r]
        first = 0
        if paced[r] and n > 1:
            steep = -1
            for i in range(min(n, head) - 1):
                slope = np.float32(0.0)
                for lead in range(n_leads):
                    d = abs(signal[s + i + 1, lead] - signal[s + i, lead])
                    if d > slope:
                        slope = d
                if slope * fs > np.float32(PACER_SLOPE):
                    steep = i
            if steep >= 0:
                first = steep + 2
                out[s:s + first] = PACER
        k = n - first
        if k == 0:
            continue
        a = s + first
        if k > wide:
            out[a:s + n] = WIDE
            continue
        lead, ptp = 0, np.float32(-1.0)
        for j in range(n_leads):
            hi = lo = signal[a, j]
            for i in range(a + 1, a + k):
                hi, lo = max(hi, signal[i, j]), min(lo, signal[i, j])
            if hi - lo > ptp:
                lead, ptp = j, hi - lo
        threshold = np.float32(max(MIN_LOBE_MV, 0.1 * np.float64(ptp)))
        sign = np.zeros(k, np.int8)
        first_nonzero = -1
        for i in range(k):
            rel = signal[a + i, lead] - signal[a, lead]
            sign[i] = 1 if rel > threshold else (-1 if rel < -threshold else 0)
            if sign[i] != 0 and first_nonzero < 0:
                first_nonzero = i
        if first_nonzero < 0:
            out[a:a + k] = R
            continue
        current = sign[first_nonzero]
        first_positive = -1
        for i in range(k):
            if sign[i] != 0:
                current = sign[i]
            sign[i] = current
            if current > 0 and first_positive < 0:
                first_positive = i
        for i in range(k):
            out[a + i] = Q if first_positive < 0 or i < first_positive else (R if sign[i] > 0 else S)


def qrs_symbols(out: np.ndarray, signal: np.ndarray, starts: np.ndarray, lengths: np.ndarray, paced: np.ndarray,
                fs: float) -> None:
    """Write the symbols of the QRS runs ``(starts, lengths)`` (``paced`` bool per run) of ``signal`` float32
    ``(n, leads)`` in mV at ``fs`` Hz into ``out`` uint8 ``(n,)``; see the module docstring for the rules."""
    if len(starts):
        _qrs_kernel(out, np.ascontiguousarray(signal, np.float32), starts.astype(np.int64),
                    lengths.astype(np.int64), paced.astype(np.bool_), np.float32(fs),
                    int(round(PACER_SEARCH_S * fs)) + 1, float(WIDE_QRS_S * fs))


def wave_tokens(
    wave: np.ndarray,
    rhythm: np.ndarray,
    signal: np.ndarray,
    fs: float,
    *,
    final: bool = True,
    open_wide: int = -1,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Symbol runs of a stretch of labelled signal.

    Parameters
    ----------
    wave, rhythm : numpy.ndarray
        uint8 ``(n,)`` wave and rhythm channels at the input rate.
    signal : numpy.ndarray
        float32 ``(n, leads)`` in mV at ``fs`` (gaps zero-filled).
    fs : float
        Sample rate of all three, in Hz.
    final : bool
        False while the stretch may continue: a QRS run touching the end is then left for the next call,
        unless it is already wider than ``WIDE_QRS_S`` (its symbols cannot change any more).
    open_wide : int
        The wave class of a wide QRS run that the previous call emitted up to its end, or -1: a first run
        of this class continues it and is all ``wide_qrs``.

    Returns
    -------
    symbols : numpy.ndarray
        uint8 ``(k,)`` symbol ids (:data:`openecg.tokenizer.vocab.SYMBOLS`).
    lengths : numpy.ndarray
        int64 ``(k,)`` run lengths in samples.
    done : int
        Samples covered, ``lengths.sum()``; the caller passes ``[done, n)`` again with what follows.
    """
    starts, lengths, values = label_runs(wave)
    done = len(wave)
    continued = len(values) > 0 and values[0] == open_wide
    if not final and len(values) and values[-1] in QRS_CLASSES and lengths[-1] <= WIDE_QRS_S * fs:
        if not (continued and len(values) == 1):
            done = int(starts[-1])
    symbols = _BY_WAVE[wave[:done]]
    symbols[(wave[:done] == OTHER) & (rhythm[:done] == NOISE)] = UNK
    qrs = np.isin(values, QRS_CLASSES) & (starts < done)
    if continued:
        symbols[:lengths[0]] = WIDE
        qrs[0] = False
    qrs_symbols(symbols, signal, starts[qrs], lengths[qrs], values[qrs] == PACED, fs)
    _, token_lengths, token_symbols = label_runs(symbols)
    return token_symbols.astype(np.uint8), token_lengths.astype(np.int64), done


def merge_runs(symbols: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Join neighbouring runs of one symbol (runs produced piecewise by a stream).

    >>> [a.tolist() for a in merge_runs(np.array([2, 2, 4]), np.array([3, 1, 5]))]
    [[2, 4], [4, 5]]
    """
    if len(symbols) == 0:
        return symbols.astype(np.uint8), lengths.astype(np.int64)
    keep = np.r_[True, symbols[1:] != symbols[:-1]]
    group = np.cumsum(keep) - 1
    return symbols[keep].astype(np.uint8), np.bincount(group, weights=lengths).astype(np.int64)
