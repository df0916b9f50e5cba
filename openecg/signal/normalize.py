"""The normalisation every openecg model sees: per window and lead, minus the median, divided by a robust
amplitude. Training (:mod:`openecg.stage2`) and inference (:mod:`openecg.runtime`) both call
:func:`normalize_windows`, so the two can never drift apart."""

from __future__ import annotations

import numpy as np

from .recording import as_signal

__all__ = ["normalize", "normalize_windows", "SCALE_RANGE_MV"]

SCALE_RANGE_MV: tuple[float, float] = (0.25, 10.0)
"""Bounds (mV) of the robust amplitude (1st-to-99th percentile range) that divides each window: a flat line
stays flat, a spike or saturation cannot crush the rest."""


def normalize_windows(x: np.ndarray) -> np.ndarray:
    """Centre and scale each window: ``(x - median) / clip(p99 - p1, 0.25, 10)``.

    Parameters
    ----------
    x : numpy.ndarray
        float32 ``[B, T]`` windows in mV, finite (gaps are zero-filled before this).

    Returns
    -------
    numpy.ndarray
        float32 ``[B, T]``, dimensionless.

    Examples
    --------
    >>> w = normalize_windows(np.array([[0.0, 1.0, 2.0, 3.0, 4.0]], dtype=np.float32))
    >>> np.round(w, 3)
    array([[-0.51 , -0.255,  0.   ,  0.255,  0.51 ]], dtype=float32)
    """
    x = np.asarray(x, dtype=np.float32)
    lo, med, hi = np.percentile(x, [1.0, 50.0, 99.0], axis=-1, keepdims=True)
    scale = np.clip(hi - lo, *SCALE_RANGE_MV)
    return ((x - med) / scale).astype(np.float32)


def normalize(window: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalise a ``(samples, leads)`` window as the models do, with NaN/inf gaps zero-filled and masked.

    Parameters
    ----------
    window : numpy.ndarray
        ``(samples,)`` or ``(samples, leads)`` in mV; NaN/inf mark gaps.

    Returns
    -------
    x : numpy.ndarray
        float32 ``(samples, leads)``: :func:`normalize_windows` of each lead after its gaps are set to 0 mV.
    gap : numpy.ndarray
        bool ``(samples, leads)``: True where the input was NaN or infinite (never shown to a model as data).

    Examples
    --------
    >>> x, gap = normalize(np.array([0.0, 1.0, np.nan, -1.0, 0.0]))
    >>> [round(float(v), 2) for v in x[:, 0]], gap[:, 0].tolist()
    ([0.0, 0.52, 0.0, -0.52, 0.0], [False, False, True, False, False])
    """
    x = as_signal(window, name="window")
    gap = ~np.isfinite(x)
    filled = np.where(gap, np.float32(0.0), x)
    return np.ascontiguousarray(normalize_windows(filled.T).T), gap
