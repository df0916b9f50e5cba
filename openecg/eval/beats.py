"""Beat-by-beat (bxb-style) scoring: QRS detection Se/P+ within 150 ms and per-class Se, P+, F1."""

from __future__ import annotations

import numpy as np

from ..signal.recording import check_fs
from ..tokenizer.vocab import BEAT_CLASSES
from .matching import match_events

__all__ = ["beats_from_labels", "beat_metrics"]

TOLERANCE_S = 0.15


def beats_from_labels(beat_labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Beats of a ``(n,)`` beat label channel: the centre of each run of one non-zero class, and that class."""
    labels = np.asarray(beat_labels)
    change = np.flatnonzero(np.diff(labels.astype(np.int16)) != 0) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [len(labels)]])
    keep = labels[starts] != 0
    return ((starts[keep] + stops[keep] - 1) // 2).astype(np.int64), labels[starts[keep]].astype(np.uint8)


def beat_metrics(
    ref_beats: np.ndarray,
    ref_classes: np.ndarray,
    det_beats: np.ndarray,
    det_classes: np.ndarray,
    *,
    fs: float,
    tolerance_s: float = TOLERANCE_S,
) -> dict[str, object]:
    """Match detected beats to reference beats one-to-one within ``tolerance_s`` and score them.

    Returns
    -------
    dict
        ``"qrs"``: ``tp fn fp se ppv f1`` of detection; per beat class name (``"N"``, ``"S"``, ``"V"``, ``"F"``,
        ``"Q"``, ``"paced"``): ``tp fn fp se ppv f1``, where a class true positive is a matched pair with that
        class on both sides, Se = tp / reference beats of the class (missed beats count against it) and
        P+ = tp / detected beats of the class (unmatched detections count against it).
    """
    fs = check_fs(fs)
    ri, di = match_events(ref_beats, det_beats, tolerance=round(tolerance_s * fs))
    ref_c, det_c = np.asarray(ref_classes), np.asarray(det_classes)
    out: dict[str, object] = {"qrs": _scores(len(ri), len(ref_beats) - len(ri), len(det_beats) - len(di))}
    for entry in BEAT_CLASSES[1:]:
        tp = int(np.sum((ref_c[ri] == entry.id) & (det_c[di] == entry.id)))
        n_ref, n_det = int(np.sum(ref_c == entry.id)), int(np.sum(det_c == entry.id))
        out[entry.name] = _scores(tp, n_ref - tp, n_det - tp)
    return out


def _scores(tp: int, fn: int, fp: int) -> dict[str, float]:
    nan = float("nan")
    return {
        "tp": tp, "fn": fn, "fp": fp,
        "se": tp / (tp + fn) if tp + fn else nan,
        "ppv": tp / (tp + fp) if tp + fp else nan,
        "f1": 2 * tp / (2 * tp + fn + fp) if tp + fn + fp else nan,
    }
