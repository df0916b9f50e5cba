"""Wave-boundary metrics from per-sample wave labels: Se, P+, F1 and signed error per boundary type.

Boundaries are extracted from the label arrays here (paced QRS counts as QRS), so every model is scored by
the same code. Tolerances are those of Martinez et al. 2004 (IEEE TBME 51:570): P 50 ms, QRS 40 ms,
T onset 50 ms, T offset 100 ms.
"""

from __future__ import annotations

import numpy as np

from ..signal.recording import check_fs
from ..tokenizer.vocab import class_id
from .matching import match_events

__all__ = ["TOLERANCES_MS", "BOUNDARIES", "wave_boundaries", "boundary_metrics", "wave_metrics"]

TOLERANCES_MS: dict[str, float] = {
    "P_on": 50.0, "P_off": 50.0, "QRS_on": 40.0, "QRS_off": 40.0, "T_on": 50.0, "T_off": 100.0,
}
BOUNDARIES: tuple[str, ...] = tuple(TOLERANCES_MS)
_CLASS = {"P": class_id("wave", "P"), "QRS": class_id("wave", "QRS"), "T": class_id("wave", "T")}
_PACED = class_id("wave", "paced_QRS")


def wave_boundaries(labels: np.ndarray, *, mask: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Onset and offset samples of every P, QRS and T run in a ``(n,)`` wave label array.

    An onset is the first sample of a run, an offset its last. With ``mask``, a boundary counts only when the
    mask is True on both sides of it (the boundary sample and its outer neighbour), so runs cut by the edge
    of the labelled region give no boundary.
    """
    labels = np.asarray(labels)
    labels = np.where(labels == _PACED, _CLASS["QRS"], labels)
    n = len(labels)
    valid = np.ones(n, bool) if mask is None else np.asarray(mask, bool)
    out = {}
    for wave, cls in _CLASS.items():
        inside = np.concatenate([[False], labels == cls, [False]])
        edges = np.diff(inside.astype(np.int8))
        onsets = np.flatnonzero(edges == 1)
        offsets = np.flatnonzero(edges == -1) - 1
        ok_on = valid[onsets] & ((onsets == 0) | valid[np.maximum(onsets - 1, 0)])
        ok_off = valid[offsets] & ((offsets == n - 1) | valid[np.minimum(offsets + 1, n - 1)])
        out[f"{wave}_on"] = onsets[ok_on]
        out[f"{wave}_off"] = offsets[ok_off]
    return out


def boundary_metrics(reference: np.ndarray, detected: np.ndarray, *, tolerance: int, fs: float,
                     counted: np.ndarray | None = None) -> dict[str, float]:
    """Se, P+, F1, counts, the mean and SD (ms) of the signed error ``detected - reference`` of matches and the
    median of its absolute value. ``counted`` (bool, one per detected event; default all) marks the detected
    events that are false positives when they match nothing: the others may match but never count against."""
    ri, di = match_events(reference, detected, tolerance=tolerance)
    unmatched = np.ones(len(detected), bool)
    unmatched[di] = False
    if counted is not None:
        unmatched &= np.asarray(counted, bool)
    tp, fn, fp = len(ri), len(reference) - len(ri), int(unmatched.sum())
    error = (np.asarray(detected)[di] - np.asarray(reference)[ri]) * 1000.0 / fs
    se = tp / (tp + fn) if tp + fn else float("nan")
    ppv = tp / (tp + fp) if tp + fp else float("nan")
    f1 = 2 * tp / (2 * tp + fn + fp) if tp + fn + fp else float("nan")
    return {
        "tp": tp, "fn": fn, "fp": fp, "se": se, "ppv": ppv, "f1": f1,
        "mean_ms": float(error.mean()) if tp else float("nan"),
        "sd_ms": float(error.std(ddof=1)) if tp > 1 else float("nan"),
        "median_abs_ms": float(np.median(np.abs(error))) if tp else float("nan"),
    }


def wave_metrics(
    reference: np.ndarray | list[np.ndarray],
    prediction: np.ndarray | list[np.ndarray],
    *,
    fs: float,
    mask: np.ndarray | list[np.ndarray] | None = None,
) -> dict[str, object]:
    """Score predicted wave labels against reference labels, pooled over one or more signals.

    Parameters
    ----------
    reference, prediction : numpy.ndarray or list of numpy.ndarray
        ``(n,)`` WAVE_CLASSES ids per signal (one lead of one record each), same lengths pairwise.
    fs : float
        Sample rate in Hz.
    mask : numpy.ndarray or list or None
        bool ``(n,)`` per signal: where the reference is ground truth. Reference boundaries count only inside
        it (:func:`wave_boundaries`). A predicted boundary may match a counted reference boundary wherever it
        lies, but counts as a false positive only inside the mask: where the labelled region ends one
        sample after an annotated offset (QTDB: the T onset after a QRS offset is not annotated), a
        prediction a few milliseconds late is a detection, not a miss.

    Returns
    -------
    dict
        ``{"P_on": {...}, ..., "T_off": {...}, "macro_f1": float}`` with, per boundary, ``tp fn fp se ppv f1
        mean_ms sd_ms median_abs_ms`` (see :func:`boundary_metrics`).
    """
    fs = check_fs(fs)
    refs = [reference] if isinstance(reference, np.ndarray) and reference.ndim == 1 else list(reference)
    preds = [prediction] if isinstance(prediction, np.ndarray) and prediction.ndim == 1 else list(prediction)
    masks = [None] * len(refs) if mask is None else ([mask] if isinstance(mask, np.ndarray) and mask.ndim == 1 else list(mask))
    if not (len(refs) == len(preds) == len(masks)):
        raise ValueError(f"reference, prediction and mask hold {len(refs)}, {len(preds)}, {len(masks)} signals; give the same number")
    pooled = {b: ([], [], []) for b in BOUNDARIES}  # reference, every predicted, predicted inside the mask
    offset = 0
    for ref, pred, m in zip(refs, preds, masks):
        if len(ref) != len(pred):
            raise ValueError(f"reference has {len(ref)} samples but prediction has {len(pred)}; they must align")
        rb, pb, inside = wave_boundaries(ref, mask=m), wave_boundaries(pred), wave_boundaries(pred, mask=m)
        for b in BOUNDARIES:
            pooled[b][0].append(rb[b] + offset)
            pooled[b][1].append(pb[b] + offset)
            pooled[b][2].append(np.isin(pb[b], inside[b]))
        offset += len(ref) + 10 * int(fs)
    result: dict[str, object] = {}
    for b in BOUNDARIES:
        tol = round(TOLERANCES_MS[b] * fs / 1000.0)
        ref_b, pred_b, counted = (np.concatenate(part) for part in pooled[b])
        result[b] = boundary_metrics(ref_b, pred_b, tolerance=tol, fs=fs, counted=counted)
    f1s = [result[b]["f1"] for b in BOUNDARIES]  # type: ignore[index]
    result["macro_f1"] = float(np.nanmean(f1s)) if not np.all(np.isnan(f1s)) else float("nan")
    return result
