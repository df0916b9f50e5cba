"""One-to-one matching of event times within a tolerance (nearest pairs first)."""

from __future__ import annotations

import numpy as np

__all__ = ["match_events"]


def match_events(reference: np.ndarray, detected: np.ndarray, *, tolerance: int) -> tuple[np.ndarray, np.ndarray]:
    """Match reference and detected sample indices one-to-one, each pair at most ``tolerance`` samples apart.

    Candidate pairs are taken closest first, so every event is used at most once.

    Returns
    -------
    ref_idx, det_idx : numpy.ndarray
        int64 ``(m,)`` indices into ``reference`` and ``detected`` of the matched pairs, sorted by reference.

    Examples
    --------
    >>> match_events(np.array([100, 200]), np.array([104, 150, 260]), tolerance=10)
    (array([0]), array([0]))
    """
    ref = np.asarray(reference, dtype=np.int64)
    det = np.asarray(detected, dtype=np.int64)
    order = np.argsort(det, kind="stable")
    det_sorted = det[order]
    lo = np.searchsorted(det_sorted, ref - tolerance, side="left")
    hi = np.searchsorted(det_sorted, ref + tolerance, side="right")
    counts = hi - lo
    ri = np.repeat(np.arange(len(ref)), counts)
    dj = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)]) if counts.sum() else np.zeros(0, np.int64)
    dist = np.abs(ref[ri] - det_sorted[dj])
    used_r = np.zeros(len(ref), bool)
    used_d = np.zeros(len(det), bool)
    pairs = []
    for k in np.argsort(dist, kind="stable"):
        r, d = ri[k], dj[k]
        if not used_r[r] and not used_d[d]:
            used_r[r] = used_d[d] = True
            pairs.append((r, order[d]))
    pairs.sort()
    if not pairs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    out = np.asarray(pairs, dtype=np.int64)
    return out[:, 0], out[:, 1]
