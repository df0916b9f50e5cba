"""Resampling between any two rates, and the exact index mapping between them.

One kernel serves training and inference (:func:`resample_span`; :func:`resample` is it over a whole
signal): a Hamming-windowed sinc anti-alias filter at the input rate when downsampling, then linear
interpolation at the exact output positions ``j * fs_from / fs_to``. Every output sample depends only on the
input samples within the filter's half length of its position, so a window cut from a whole resampled record
equals the window the stream computes from a chunk buffer, to the bit.

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

import math
from fractions import Fraction

import numpy as np

from .recording import as_signal, check_fs

__all__ = ["resample", "resample_span", "source_span", "resample_labels", "map_index", "resampled_length", "rate_ratio"]

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


def _lowpass(ratio: Fraction) -> np.ndarray:
    """Windowed-sinc anti-alias filter at the input rate for a downsampling ``ratio`` (input/output) > 1."""
    half = math.ceil(4 * ratio)
    t = np.arange(-half, half + 1, dtype=np.float64)
    cutoff = 0.45 / float(ratio)
    taps = 2 * cutoff * np.sinc(2 * cutoff * t) * np.hamming(2 * half + 1)
    return (taps / taps.sum()).astype(np.float32)


def source_span(start: int, length: int, ratio: Fraction) -> tuple[int, int]:
    """``[a, b)``: the input samples that output samples ``[start, start + length)`` are computed from.

    ``ratio`` is ``fs_from / fs_to`` (the inverse of the ratio :func:`map_index` uses); ``a`` may be negative
    and ``b`` past the input's end (those samples repeat the edge value).
    """
    if ratio == 1:
        return start, start + length
    half = math.ceil(4 * ratio) if ratio > 1 else 0
    return math.floor(start * ratio) - half, math.floor((start + length - 1) * ratio) + 2 + half


def resample_span(
    buffer: np.ndarray, *, buf_start: int, n_total: int, start: int, length: int, ratio: Fraction
) -> np.ndarray:
    """Output samples ``[start, start + length)`` of every lead, from a buffer of input samples.

    Parameters
    ----------
    buffer : numpy.ndarray
        float32 ``(samples, leads)``, input samples ``[buf_start, buf_start + len(buffer))``, finite (gaps
        zero-filled). It must hold the part of :func:`source_span` that lies inside ``[0, n_total)``.
    buf_start : int
        Input index of ``buffer[0]``.
    n_total : int
        Input samples known to exist (the whole recording once it has ended); samples past it and before 0
        repeat the edge value, and output positions past the end are zero (padding).
    start, length : int
        The output samples wanted.
    ratio : fractions.Fraction
        ``fs_from / fs_to``, exactly ``1 / rate_ratio(fs_from, fs_to)``.

    Returns
    -------
    numpy.ndarray
        float32 ``(length, leads)``. Depends only on the input values, never on how the buffer was cut, so
        chunking cannot change it.
    """
    a, b = source_span(start, length, ratio)
    idx = np.clip(np.arange(a, b), 0, n_total - 1) - buf_start
    segment = buffer[idx]
    if ratio == 1:
        out = segment.copy()
        out[max(0, n_total - start):] = 0.0
        return out
    if ratio > 1:
        from scipy.ndimage import convolve1d

        # every lead in one call; zero outside the segment as np.convolve(..., "same") would (taps are odd)
        segment = convolve1d(segment, _lowpass(ratio), axis=0, mode="constant")
    scaled = np.arange(start, start + length, dtype=np.int64) * ratio.numerator
    base = scaled // ratio.denominator
    frac = ((scaled % ratio.denominator) / ratio.denominator)[:, None].astype(np.float32)
    local = base - a
    out = segment[local] * (1 - frac) + segment[local + 1] * frac
    out[base > n_total - 1] = 0.0
    return out.astype(np.float32)


def resample(signal: np.ndarray, *, fs_from: float, fs_to: float) -> np.ndarray:
    """Resample ``(samples,)`` or ``(samples, leads)`` from ``fs_from`` to ``fs_to`` Hz with the stream's kernel.

    :func:`resample_span` over the whole signal: what the model sees in training is what it sees in use.
    NaN gaps are bridged with zeros for filtering and put back as NaN at the mapped samples, so a gap stays a
    gap. Returns float32 ``(resampled_length(samples), leads)``.
    """
    x = as_signal(signal)
    ratio = rate_ratio(fs_from, fs_to)
    if ratio == 1:
        return x.copy()
    gap = ~np.isfinite(x)
    filled = np.where(gap, 0.0, x).astype(np.float32)
    n_out = resampled_length(len(x), fs_from=fs_from, fs_to=fs_to)
    out = resample_span(filled, buf_start=0, n_total=len(x), start=0, length=n_out, ratio=1 / ratio)
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
