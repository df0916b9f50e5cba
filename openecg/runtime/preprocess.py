"""The input normalisation of every openecg model, in numpy (shared by training and torch-free inference)."""

from __future__ import annotations

import numpy as np

__all__ = ["normalize_windows", "AMPLITUDE_RANGE_MV"]

AMPLITUDE_RANGE_MV = (0.25, 10.0)
"""Bounds of the robust amplitude that divides each window: a flat line stays flat, a spike cannot shrink it."""


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
    scale = np.clip(hi - lo, *AMPLITUDE_RANGE_MV)
    return ((x - med) / scale).astype(np.float32)
