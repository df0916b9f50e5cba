"""Rhythm metrics: per-sample confusion, episode-level Se/P+ per class, record-level AF F1."""

from __future__ import annotations

import numpy as np

from ..tokenizer.vocab import RHYTHM_CLASSES, class_id

__all__ = ["episodes", "rhythm_metrics", "af_record_f1"]


def episodes(labels: np.ndarray, *, mask: np.ndarray | None = None) -> list[tuple[int, int, int]]:
    """Maximal runs ``(class, start, stop)`` (stop exclusive) of a ``(n,)`` label array inside ``mask``."""
    labels = np.asarray(labels).astype(np.int16)
    if mask is not None:
        labels = np.where(np.asarray(mask, bool), labels, -1)
    change = np.flatnonzero(np.diff(labels) != 0) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [len(labels)]])
    return [(int(labels[a]), int(a), int(b)) for a, b in zip(starts, stops) if labels[a] >= 0]


def _overlapping(runs: list[tuple[int, int, int]], other: np.ndarray) -> dict[int, tuple[int, int]]:
    found: dict[int, list[int]] = {}
    for cls, a, b in runs:
        hit, total = found.setdefault(cls, [0, 0])
        found[cls] = [hit + int(np.any(other[a:b] == cls)), total + 1]
    return {cls: (h, t) for cls, (h, t) in found.items()}


def rhythm_metrics(reference: np.ndarray, prediction: np.ndarray, *, mask: np.ndarray | None = None) -> dict[str, object]:
    """Score a ``(n,)`` predicted rhythm channel against the reference, inside ``mask``.

    Returns
    -------
    dict
        ``"confusion"``: int64 ``(7, 7)`` sample counts, rows reference, columns prediction;
        ``"accuracy"``; and per class name ``{"episode_se", "episode_ppv", "episodes_ref", "episodes_pred"}``:
        a reference episode is detected when a predicted sample of the same class falls inside it, and a
        predicted episode is a true one when it overlaps a reference sample of its class.
    """
    ref, pred = np.asarray(reference), np.asarray(prediction)
    if ref.shape != pred.shape:
        raise ValueError(f"reference {ref.shape} and prediction {pred.shape} must have the same shape")
    valid = np.ones(len(ref), bool) if mask is None else np.asarray(mask, bool)
    k = len(RHYTHM_CLASSES)
    confusion = np.bincount(ref[valid].astype(np.int64) * k + pred[valid], minlength=k * k).reshape(k, k)
    out: dict[str, object] = {"confusion": confusion, "accuracy": np.trace(confusion) / max(confusion.sum(), 1)}
    ref_hits = _overlapping(episodes(ref, mask=valid), np.where(valid, pred, -1))
    pred_hits = _overlapping(episodes(pred, mask=valid), np.where(valid, ref, -1))
    for entry in RHYTHM_CLASSES:
        h, t = ref_hits.get(entry.id, (0, 0))
        hp, tp = pred_hits.get(entry.id, (0, 0))
        out[entry.name] = {
            "episode_se": h / t if t else float("nan"),
            "episode_ppv": hp / tp if tp else float("nan"),
            "episodes_ref": t,
            "episodes_pred": tp,
        }
    return out


def af_record_f1(reference: list[np.ndarray], prediction: list[np.ndarray], *, min_s: float = 0.0, fs: float = 1.0) -> dict[str, float]:
    """Record-level AF detection: a record is AF-positive when it holds more than ``min_s`` seconds of AF.

    ``reference`` and ``prediction`` are lists of ``(n,)`` rhythm channels, one per record.
    """
    af = class_id("rhythm", "AF")
    ref = np.array([np.sum(np.asarray(r) == af) > min_s * fs for r in reference])
    pred = np.array([np.sum(np.asarray(p) == af) > min_s * fs for p in prediction])
    tp, fp, fn = int(np.sum(ref & pred)), int(np.sum(~ref & pred)), int(np.sum(ref & ~pred))
    return {"tp": tp, "fp": fp, "fn": fn, "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan")}
