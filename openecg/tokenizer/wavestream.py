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


def _deflections(x: np.ndarray) -> np.ndarray:
    """Q/R/S symbol per sample of one QRS ``x`` ``(n,)`` in mV."""
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


def _qrs_symbols(segment: np.ndarray, fs: float, paced: bool) -> np.ndarray:
    n = len(segment)
    out = np.empty(n, np.uint8)
    first = 0
    if paced and n > 1:
        head = min(n, int(round(PACER_SEARCH_S * fs)) + 1)
        slope = np.abs(np.diff(segment[:head], axis=0)).max(axis=1) * fs
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
        out[first:] = _deflections(rest[:, lead])
    return out


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
    for i, (start, length, value) in enumerate(zip(starts, lengths, values)):
        if value in QRS_CLASSES and start < done:
            if i == 0 and continued:
                symbols[start:start + length] = WIDE
            else:
                symbols[start:start + length] = _qrs_symbols(signal[start:start + length], fs, value == PACED)
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
