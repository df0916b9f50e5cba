"""Beat classes with RR and P-wave context: a second stage on the network's per-beat outputs.

The network's beat head sees one 10-s window and little of the rhythm around a beat; a supraventricular
(S) beat differs from a normal one mostly by its prematurity and its P wave. This stage classifies each QRS
run from (:data:`FEATURE_NAMES`):

- the network's beat-class probabilities summed over the run (N, S, V, F, Q, paced; "none" left out),
  normalised, as log-probabilities; the QRS width in seconds and against the median width of the runs
  around it;
- the RR context: the previous and next RR (centre to centre of the QRS runs) against the median RR of the
  runs within ``RR_WINDOW_S`` (8 s) on either side, the previous RR against the one before it and against
  the next, the log median RR, and the local irregularity (median absolute successive RR difference over the
  median RR: high in AF, where a short RR says nothing about an S beat);
- the P wave from the network's wave head: the highest and the mean P probability in the ``P_LOOK_S``
  (300 ms) before the QRS (not reaching back into the previous QRS), and the highest against the median of
  that value over the runs around (a beat without the P wave its neighbours have);
- the network's mean AF probability within 1 s of the run, and a flag when a neighbour is missing.

A :class:`~openecg.stream.stage_classifier.StageClassifier` (a small MLP, trained on training records only
by ``python -m openecg.stage2.beat_stage``, shipped as ``beat_stage.json`` beside the model) turns them into a
class; it runs in numpy.

Streaming: every feature of a beat depends only on the network outputs within ``REACH_S`` (8.3 s) of it,
inside the decoder's 10-s block context (:data:`openecg.stream.engine.CONTEXT_S`), so every chunking gives
the same classes.
"""

from __future__ import annotations

import numpy as np

from ..tokenizer.vocab import BEAT_CLASSES, class_id
from .stage_classifier import Stage

__all__ = ["BeatStage", "beat_features", "window_median", "pre_qrs_p", "FEATURE_NAMES", "RR_WINDOW_S", "P_LOOK_S",
           "REACH_S"]

RR_WINDOW_S = 8.0
P_LOOK_S = 0.30
AF_NEAR_S = 1.0
REACH_S = RR_WINDOW_S + P_LOOK_S
KIND = "openecg beat stage: StageClassifier over openecg.stream.rr_beats.beat_features"
SETTINGS = {"rr_window_s": RR_WINDOW_S, "p_look_s": P_LOOK_S, "af_near_s": AF_NEAR_S}
_EPS = 1e-3
_P, _AF = class_id("wave", "P"), class_id("rhythm", "AF")
FEATURE_NAMES: tuple[str, ...] = (
    *(f"log_p_{e.name}" for e in BEAT_CLASSES[1:]),
    "qrs_width_s",
    "log_width_rel",
    "log_rr_prev_rel",
    "log_rr_next_rel",
    "log_rr_prev_over_prevprev",
    "log_rr_prev_over_next",
    "log_median_rr_s",
    "log_irregularity",
    "p_wave_max",
    "p_wave_mean",
    "p_wave_rel",
    "p_af",
    "missing_neighbour",
)


def window_median(centre: np.ndarray, values: np.ndarray, window: float, *, skip: int = 0) -> np.ndarray:
    """float64 ``(n,)`` median of ``values[j]`` over the ``j`` with ``|centre[j] - centre[i]| <= window``
    and ``j - skip`` still inside (for values of run ``j`` that use the ``skip`` runs before it: an RR has
    ``skip=1``), NaN values left out, NaN where none is left; ``centre (n,)`` increasing."""
    n = len(centre)
    if n == 0:
        return np.zeros(0)
    lo = np.searchsorted(centre, centre - window, side="left") + skip
    hi = np.maximum(np.searchsorted(centre, centre + window, side="right"), lo)
    width = max(1, int((hi - lo).max()))
    idx = lo[:, None] + np.arange(width)[None, :]
    inside = idx < hi[:, None]
    table = np.where(inside, np.asarray(values, np.float64)[np.minimum(idx, n - 1)], np.nan)
    # the median of each row's finite values: NaN sorts last, so they are the first k of the sorted row
    # (the same numbers as np.nanmedian, without its masked-array path for short rows)
    table.sort(axis=1)
    k = np.isfinite(table).sum(axis=1)
    rows = np.arange(n)
    lo_mid, hi_mid = np.maximum(k - 1, 0) // 2, k // 2
    out = (table[rows, lo_mid] + table[rows, np.minimum(hi_mid, width - 1)]) / 2
    out[k == 0] = np.nan
    return out


def pre_qrs_p(starts: np.ndarray, lengths: np.ndarray, wave_probs: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """``(max, mean)`` float64 ``(n,)`` of the P probability in the ``P_LOOK_S`` before each QRS run, cut at
    the end of the previous run (zero where nothing is left)."""
    look = max(1, int(round(P_LOOK_S * fs)))
    starts = np.asarray(starts, np.int64)
    prev_end = np.r_[0, starts[:-1] + np.asarray(lengths, np.int64)[:-1]] if len(starts) else starts
    idx = starts[:, None] - look + np.arange(look)[None, :]
    inside = (idx >= np.maximum(prev_end, 0)[:, None]) & (idx >= 0)
    p_wave = np.asarray(wave_probs)[:, _P]  # one column before any conversion: the stretch is long
    p = np.where(inside, p_wave[np.clip(idx, 0, max(len(wave_probs) - 1, 0))].astype(np.float64), 0.0)
    count = inside.sum(axis=1)
    return p.max(axis=1, initial=0.0), p.sum(axis=1) / np.maximum(count, 1)


def beat_features(starts: np.ndarray, lengths: np.ndarray, sums: np.ndarray, wave_probs: np.ndarray,
                  rhythm_probs: np.ndarray, fs: float) -> np.ndarray:
    """Feature matrix of the QRS runs of one decoded stretch, in the order of :data:`FEATURE_NAMES`.

    Parameters
    ----------
    starts, lengths : numpy.ndarray
        int ``(n,)`` first sample and length of each QRS run at ``fs``, in increasing order.
    sums : numpy.ndarray
        float ``(n, 7)`` the network's beat probabilities summed over each run (class 0, "none", first).
    wave_probs, rhythm_probs : numpy.ndarray
        float ``(m, 5)`` and ``(m, 7)`` the network's per-sample wave and rhythm probabilities at ``fs``
        (the stretch the runs were found in).
    fs : float
        The decoder's sample rate in Hz.

    Returns
    -------
    numpy.ndarray
        float64 ``(n, len(FEATURE_NAMES))``.
    """
    n = len(starts)
    if n == 0:
        return np.zeros((0, len(FEATURE_NAMES)))
    probs = np.asarray(sums, np.float64)[:, 1:]
    probs = probs / np.maximum(probs.sum(axis=1, keepdims=True), 1e-12)
    width = np.asarray(lengths, np.float64) / fs
    centre = np.asarray(starts, np.float64) / fs + width / 2
    rr = np.r_[np.nan, np.diff(centre)]  # rr[j]: run j-1 -> j
    rr[rr > RR_WINDOW_S] = np.nan
    median_rr = window_median(centre, rr, RR_WINDOW_S, skip=1)
    prev_rr, next_rr = rr, np.r_[rr[1:], np.nan]
    prevprev_rr = np.r_[np.nan, rr[:-1]]
    prevprev_rr[np.r_[np.inf, np.inf, centre[2:] - centre[:-2]][:n] > RR_WINDOW_S] = np.nan
    drr = np.abs(np.r_[np.nan, np.diff(rr)])
    irregular = window_median(centre, drr, RR_WINDOW_S, skip=2) / median_rr
    p_max, p_mean = pre_qrs_p(starts, lengths, wave_probs, fs)
    cum = np.r_[0.0, np.cumsum(np.asarray(rhythm_probs)[:, _AF].astype(np.float64))]
    mid = np.asarray(starts, np.int64) + np.asarray(lengths, np.int64) // 2
    a_lo = np.clip(mid - int(round(AF_NEAR_S * fs)), 0, len(cum) - 1)
    a_hi = np.clip(mid + int(round(AF_NEAR_S * fs)) + 1, 0, len(cum) - 1)
    p_af = (cum[a_hi] - cum[a_lo]) / np.maximum(a_hi - a_lo, 1)
    missing = ~(np.isfinite(prev_rr) & np.isfinite(next_rr) & np.isfinite(prevprev_rr) & np.isfinite(median_rr))
    with np.errstate(invalid="ignore", divide="ignore"):
        columns = [
            np.log(probs + _EPS),
            width,
            np.log(width / window_median(centre, width, RR_WINDOW_S)),
            np.log(prev_rr / median_rr),
            np.log(next_rr / median_rr),
            np.log(prev_rr / prevprev_rr),
            np.log(prev_rr / next_rr),
            np.nan_to_num(np.log(median_rr), nan=np.log(0.8)),
            np.nan_to_num(np.log(irregular + 0.01), nan=np.log(0.05)),
            p_max,
            p_mean,
            p_max - np.nan_to_num(window_median(centre, p_max, RR_WINDOW_S)),
            p_af,
            missing.astype(np.float64),
        ]
    return np.nan_to_num(np.column_stack(columns), nan=0.0, posinf=0.0, neginf=0.0)


class BeatStage(Stage):
    """The beat stage: a :class:`~openecg.stream.stage_classifier.StageClassifier` over
    :func:`beat_features` whose classes are beat class ids (:data:`openecg.tokenizer.vocab.BEAT_CLASSES`)."""

    KIND = KIND
    FEATURE_NAMES = FEATURE_NAMES
    SETTINGS = SETTINGS
    LABEL = "beat stage"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not set(self.classifier.classes) <= set(range(1, len(BEAT_CLASSES))):
            raise ValueError(f"classes={self.classifier.classes} must be beat class ids 1..{len(BEAT_CLASSES) - 1}")

    def classify(self, starts: np.ndarray, lengths: np.ndarray, sums: np.ndarray, wave_probs: np.ndarray,
                 rhythm_probs: np.ndarray, fs: float) -> np.ndarray:
        """uint8 ``(n,)`` beat class ids of the QRS runs (arguments as :func:`beat_features`)."""
        if len(starts) == 0:
            return np.zeros(0, np.uint8)
        return self.classify_features(beat_features(starts, lengths, sums, wave_probs, rhythm_probs, fs))

    def classify_features(self, features: np.ndarray) -> np.ndarray:
        """uint8 ``(n,)`` beat class ids of rows of :func:`beat_features`."""
        return self.classifier.predict(features).astype(np.uint8)
