"""Polyphase resampling between any two rates, and the exact index mapping between them.

Sample ``i`` at ``fs_from`` sits at time ``i / fs_from``; at ``fs_to`` that time is index
``i * fs_to / fs_from``. :func:`map_index` rounds that position, so mapping to a rate and back returns the
original index whenever the first rate is the lower one (and is within half a sample otherwise).

Examples
--------
>>> map_index(np.array([0, 250, 251]), fs_from=250, fs_to=360).tolist()
[0, 360, 361]
>>> map_index(map_index(np.arange(5), fs_from=250, fs_to=500), fs_from=500, fs_to=250).tolist()
[0, 1, 2, 3, 4]
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .recording import as_signal, check_fs

__all__ = ["resample", "resample_labels", "map_index", "resampled_length", "rate_ratio"]

_MAX_DENOMINATOR = 1000


def rate_ratio(fs_from: float, fs_to: float) -> Fraction:
    """``fs_to / fs_from`` as the exact fraction every index map here uses (denominator at most 1000).

    >>> rate_ratio(360, 250)
    Fraction(25, 36)
    """
    fs_from, fs_to = check_fs(fs_from, name="fs_from"), check_fs(fs_to, name="fs_to")
    return Fraction(fs_to / fs_from).limit_denominator(_MAX_DENOMINATOR)


def resampled_length(n: int, *, fs_from: float, fs_to: float) -> int:
    """Number of samples ``resample`` returns for ``n`` input samples: ``ceil(n * fs_to / fs_from)``."""
    ratio = rate_ratio(fs_from, fs_to)
    return -(-n * ratio.numerator // ratio.denominator)


def map_index(index: np.ndarray, *, fs_from: float, fs_to: float) -> np.ndarray:
    """int64 indices at ``fs_to`` of the samples ``index`` at ``fs_from`` (rounded to the nearest sample)."""
    ratio = rate_ratio(fs_from, fs_to)
    idx = np.asarray(index, dtype=np.int64)
    return (2 * idx * ratio.numerator + ratio.denominator) // (2 * ratio.denominator)


def resample(signal: np.ndarray, *, fs_from: float, fs_to: float) -> np.ndarray:
    """Resample ``(samples,)`` or ``(samples, leads)`` from ``fs_from`` to ``fs_to`` Hz (polyphase, anti-aliased).

    NaN gaps are bridged with zeros for filtering and put back as NaN at the mapped samples, so a gap stays a
    gap. Returns float32 ``(resampled_length(samples), leads)``.
    """
    from scipy.signal import resample_poly

    x = as_signal(signal)
    ratio = rate_ratio(fs_from, fs_to)
    if ratio == 1:
        return x.copy()
    gap = ~np.isfinite(x)
    filled = np.where(gap, 0.0, x).astype(np.float64)
    out = resample_poly(filled, ratio.numerator, ratio.denominator, axis=0).astype(np.float32)
    out = out[: resampled_length(len(x), fs_from=fs_from, fs_to=fs_to)]
    if gap.any():
        source = np.clip(map_index(np.arange(len(out)), fs_from=fs_to, fs_to=fs_from), 0, len(x) - 1)
        out[gap[source]] = np.nan
    return out


def resample_labels(labels: np.ndarray, *, fs_from: float, fs_to: float) -> np.ndarray:
    """Nearest-sample resampling of per-sample labels or masks along the last axis (any dtype).

    ``labels`` is ``(..., n)``; the result is ``(..., resampled_length(n))`` with each output sample taking
    the input sample at the same time.
    """
    labels = np.asarray(labels)
    n_out = resampled_length(labels.shape[-1], fs_from=fs_from, fs_to=fs_to)
    source = np.clip(map_index(np.arange(n_out), fs_from=fs_to, fs_to=fs_from), 0, labels.shape[-1] - 1)
    return labels[..., source]
