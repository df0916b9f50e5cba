"""Window geometry of the stream: 10-s windows, a 2-s edge guard, a 6-s stride, and the resampling map.

Positions here are in samples at the model's rate ``fs_model`` unless named ``*_in`` (input rate). Window
``k`` of the grid starts at ``k * stride`` and contributes its inner part ``[start + guard, start + window -
guard)`` to the output; the first window contributes from 0 and the last one to the recording's end. When the
recording does not end on the grid, one extra window is placed flush with the end (no padding). A recording
shorter than one window runs as one zero-padded window whose padding is masked.

Examples
--------
>>> geo = Geometry(window=2500, guard=500)
>>> geo.stride
1500
>>> plan(6000, geo)
[(0, 0, 2000), (1500, 2000, 3500), (3000, 3500, 5000), (3500, 5000, 6000)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..signal.resample import rate_ratio

__all__ = ["GUARD_S", "Geometry", "plan", "input_ratio", "input_span", "extract"]

GUARD_S = 2.0
"""The edge guard in seconds: every output sample comes from a window where it had at least this much
context on both sides (except at the recording's own ends); :class:`openecg.Codec` leaves the same span at
each end of a recording out of evaluation."""


@dataclass(frozen=True)
class Geometry:
    """Window length and edge guard in model samples; the stride is what the guard leaves."""

    window: int
    guard: int

    def __post_init__(self) -> None:
        if self.window <= 0 or not 0 <= 2 * self.guard < self.window:
            raise ValueError(
                f"window={self.window}, guard={self.guard}: need window > 0 and 0 <= 2 * guard < window"
            )

    @property
    def stride(self) -> int:
        """Distance between grid windows: ``window - 2 * guard``."""
        return self.window - 2 * self.guard

    def grid_region(self, k: int) -> tuple[int, int]:
        """``(lo, hi)``: the part of grid window ``k`` that it owns when it is not the last window."""
        start = k * self.stride
        return (0 if k == 0 else start + self.guard), start + self.window - self.guard


def plan(m: int, geo: Geometry) -> list[tuple[int, int, int]]:
    """All windows of an ``m``-sample recording as ``(start, lo, hi)``: the window runs on ``[start, start +
    window)`` and owns output samples ``[lo, hi)``; the owned parts tile ``[0, m)`` in order."""
    if m <= geo.window:
        return [(0, 0, m)]
    out = []
    k = 0
    while k * geo.stride + geo.window <= m:
        lo, hi = geo.grid_region(k)
        out.append((k * geo.stride, lo, hi))
        k += 1
    start, lo, _ = out[-1]
    if start + geo.window == m:
        out[-1] = (start, lo, m)
    else:
        out.append((m - geo.window, out[-1][2], m))
    return out


def input_ratio(fs_in: float, fs_model: float) -> Fraction:
    """``fs_in / fs_model`` as the exact inverse of the ratio :mod:`openecg.signal.resample` maps indices with,
    so window positions, :func:`~openecg.signal.resample.map_index` and
    :func:`~openecg.signal.resample.resampled_length` agree to the sample over any length.

    >>> input_ratio(360, 250)
    Fraction(36, 25)
    """
    return 1 / rate_ratio(fs_in, fs_model)


def _lowpass(ratio: Fraction) -> np.ndarray:
    """Windowed-sinc anti-alias filter at the input rate for a downsampling ``ratio`` (input/model) > 1."""
    half = math.ceil(4 * ratio)
    t = np.arange(-half, half + 1, dtype=np.float64)
    cutoff = 0.45 / float(ratio)
    taps = 2 * cutoff * np.sinc(2 * cutoff * t) * np.hamming(2 * half + 1)
    return (taps / taps.sum()).astype(np.float32)


def input_span(start: int, length: int, ratio: Fraction) -> tuple[int, int]:
    """``[a, b)``: the input samples that model samples ``[start, start + length)`` are computed from."""
    if ratio == 1:
        return start, start + length
    half = math.ceil(4 * ratio) if ratio > 1 else 0
    return math.floor(start * ratio) - half, math.floor((start + length - 1) * ratio) + 2 + half


def extract(buffer: np.ndarray, buf_start: int, n_total: int, start: int, length: int, ratio: Fraction) -> np.ndarray:
    """Model-rate samples ``[start, start + length)`` of every lead, from an input-rate buffer.

    Parameters
    ----------
    buffer : numpy.ndarray
        float32 ``(samples, leads)``, input samples ``[buf_start, buf_start + len(buffer))``, gaps already
        zero-filled. It must hold the part of :func:`input_span` that lies inside ``[0, n_total)``.
    n_total : int
        Input samples known to exist (the whole recording once it has ended); samples past it and before 0
        repeat the edge value, and model positions past the end are zero (padding).
    ratio : fractions.Fraction
        ``fs_in / fs_model`` from :func:`input_ratio`.

    Returns
    -------
    numpy.ndarray
        float32 ``(length, leads)`` at the model rate. Depends only on the input values, never on how the
        buffer was filled, so chunking cannot change it.
    """
    a, b = input_span(start, length, ratio)
    idx = np.clip(np.arange(a, b), 0, n_total - 1) - buf_start
    segment = buffer[idx]
    if ratio == 1:
        out = segment.copy()
        out[max(0, n_total - start):] = 0.0
        return out
    if ratio > 1:
        taps = _lowpass(ratio)
        segment = np.stack(
            [np.convolve(segment[:, lead], taps, mode="same") for lead in range(segment.shape[1])], axis=1
        )
    scaled = np.arange(start, start + length, dtype=np.int64) * ratio.numerator
    base = scaled // ratio.denominator
    frac = ((scaled % ratio.denominator) / ratio.denominator)[:, None].astype(np.float32)
    local = base - a
    out = segment[local] * (1 - frac) + segment[local + 1] * frac
    out[base > n_total - 1] = 0.0
    return out.astype(np.float32)
