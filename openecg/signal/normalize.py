"""The normalisation the models see: per-window, per-lead robust scaling, with NaN gaps zeroed and masked."""

from __future__ import annotations

import numpy as np

from .recording import as_signal

__all__ = ["normalize", "SCALE_RANGE_MV", "CLIP"]

SCALE_RANGE_MV: tuple[float, float] = (0.1, 5.0)
"""Bounds (mV) on the robust amplitude: flat leads are not blown up, saturated ones are not crushed."""

CLIP = 20.0
"""Normalised values are clipped to ``[-CLIP, CLIP]``."""


def normalize(window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale a window per lead: subtract its median, divide by a robust amplitude, zero the gaps.

    The amplitude is half the 1st-to-99th percentile range of the finite samples, clipped to
    :data:`SCALE_RANGE_MV`, so a normal 1 mV QRS maps to roughly unit scale whatever the gain.

    Parameters
    ----------
    window : numpy.ndarray
        ``(samples,)`` or ``(samples, leads)`` in mV; NaN/inf mark gaps.

    Returns
    -------
    x : numpy.ndarray
        float32 ``(samples, leads)``, 0 in gaps, within ``[-CLIP, CLIP]``.
    gap : numpy.ndarray
        bool ``(samples, leads)``: True where the input was NaN or infinite (never shown to a model as data).

    Examples
    --------
    >>> x, gap = normalize(np.array([0.0, 1.0, np.nan, -1.0, 0.0]))
    >>> [round(float(v), 2) for v in x[:, 0]], gap[:, 0].tolist()
    ([0.0, 1.03, 0.0, -1.03, 0.0], [False, False, True, False, False])
    """
    x = as_signal(window, name="window").astype(np.float64)
    gap = ~np.isfinite(x)
    x[gap] = np.nan
    with np.errstate(all="ignore"):
        centre = np.nanmedian(x, axis=0)
        low, high = np.nanpercentile(x, [1, 99], axis=0)
    scale = np.clip(np.nan_to_num((high - low) / 2, nan=1.0), *SCALE_RANGE_MV)
    out = (x - np.nan_to_num(centre)) / scale
    out = np.clip(np.nan_to_num(out, nan=0.0), -CLIP, CLIP).astype(np.float32)
    return out, gap
