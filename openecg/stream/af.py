"""Atrial fibrillation from RR irregularity, P waves and the network's rhythm probabilities: a second stage.

The rhythm head sees 10 s at a time and learnt AF from few patients; an irregularly irregular RR without P
waves is what generalises across recordings. For each QRS run this stage computes, over the runs within
``AF_WINDOW_S`` (7 s) on either side (:data:`AF_FEATURE_NAMES`):

- the mean sinus, AF, BBB, paced and noise probabilities of the network over the same span;
- the log mean RR, the normalised successive RR difference (mean ``|dRR|`` / mean RR) and its robust
  version (median ``|dRR|`` / median RR, which a few ectopic beats do not move), the coefficient of variation
  of RR, and the share of successive RR pairs within 6 % of each other (regular pairs: many in sinus rhythm
  with ectopic beats, few in AF);
- the mean of the highest P-wave probability before each QRS (:func:`openecg.stream.rr_beats.pre_qrs_p`):
  P waves say sinus, fibrillatory activity gives none;
- the share of runs the network calls V and S, the run rate, and a flag when fewer than 4 RR intervals are
  in the window;
- how much the QRS runs look like real QRS complexes: the mean of the network's QRS (or paced-QRS)
  probability inside each run, and the coefficient of variation of the run durations. In noise the wave
  head finds "QRS" runs it is unsure of and of any width; in AF the QRS complexes are as clear and as alike
  as in sinus rhythm. Both tell an irregular RR of AF from one of false detections in noise;
- the squared distance of the log robust successive difference from that of typical AF (``AF_TYPICAL_NSD``,
  0.15), so that the classifier, linear in its features, can say that an RR far more irregular than AF's
  is noise rather than AF.

A :class:`~openecg.stream.stage_classifier.StageClassifier` (trained on training records only by ``python -m
openecg.stage2.af_stage``, shipped as ``af_stage.json`` beside the model, evaluated in numpy) gives each run
P(AF). Each sample takes the probability of the nearest run centre within ``AF_REACH_S`` (1.5 s); where it
is above 0.5 (the classifier's offsets hold the threshold chosen on training records) the readable sample is
AF whatever the network said, where it is not and the network said AF the sample is sinus. Noise and
samples with no run within reach keep the network's answer. Every sample depends only on network outputs
within ``AF_WINDOW_S + AF_REACH_S + P_LOOK_S`` (8.8 s) of it, inside the decoder's 10-s block context, so
every chunking gives the same rhythm.
"""

from __future__ import annotations

import numpy as np

from ..tokenizer.vocab import class_id
from .rr_beats import P_LOOK_S, pre_qrs_p, window_median
from .stage_classifier import Stage

__all__ = ["AFStage", "af_features", "AF_FEATURE_NAMES", "AF_WINDOW_S", "AF_REACH_S", "AF_STAGE_REACH_S"]

AF_WINDOW_S = 7.0
AF_REACH_S = 1.5
AF_STAGE_REACH_S = AF_WINDOW_S + AF_REACH_S + P_LOOK_S
REGULAR_PAIR = 0.06
MIN_RR = 4
AF_TYPICAL_NSD = 0.15
KIND = "openecg AF stage: StageClassifier over openecg.stream.af.af_features"
SETTINGS = {"af_window_s": AF_WINDOW_S, "af_reach_s": AF_REACH_S, "p_look_s": P_LOOK_S}
_RHYTHM = {name: class_id("rhythm", name) for name in ("sinus", "AF", "BBB", "paced", "noise")}
_AF, _SINUS, _NOISE = _RHYTHM["AF"], _RHYTHM["sinus"], _RHYTHM["noise"]
_V, _S = class_id("beat", "V"), class_id("beat", "S")
_QRS = [class_id("wave", "QRS"), class_id("wave", "paced_QRS")]
AF_FEATURE_NAMES: tuple[str, ...] = (
    *(f"p_{name}" for name in _RHYTHM), "log_mean_rr_s", "log_nsd", "log_robust_nsd", "log_cv", "regular_pairs",
    "p_wave", "share_v", "share_s", "runs_per_s", "few_rr", "qrs_prob", "qrs_width_cv", "robust_nsd_from_af",
)


def _window_sum(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Sum of ``values[lo:hi]`` (along axis 0) for each pair, by a cumulative sum."""
    cum = np.concatenate([np.zeros((1,) + values.shape[1:]), np.cumsum(values, axis=0)])
    return cum[hi] - cum[lo]


def _run_mean(probs: np.ndarray, columns: list[int], starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """float64 ``(n,)`` mean over each run of the sum of ``probs[:, columns]`` (``probs (m, c)``)."""
    column = np.asarray(probs)[:, columns].astype(np.float64).sum(axis=1)  # the columns used only
    cum = np.r_[0.0, np.cumsum(column)]
    starts = np.asarray(starts, np.int64)
    ends = starts + np.asarray(lengths, np.int64)
    return (cum[ends] - cum[starts]) / np.maximum(ends - starts, 1)


def af_features(starts: np.ndarray, lengths: np.ndarray, sums: np.ndarray, wave_probs: np.ndarray,
                rhythm_probs: np.ndarray, fs: float) -> np.ndarray:
    """Feature matrix of the QRS runs of one decoded stretch, in the order of :data:`AF_FEATURE_NAMES`.

    Parameters
    ----------
    starts, lengths : numpy.ndarray
        int ``(n,)`` first sample and length of each QRS run at ``fs``, increasing.
    sums : numpy.ndarray
        float ``(n, 7)`` the network's beat probabilities summed over each run.
    wave_probs, rhythm_probs : numpy.ndarray
        float ``(m, 5)`` and ``(m, 7)`` the network's per-sample wave and rhythm probabilities at ``fs``.
    fs : float
        The decoder's sample rate in Hz.

    Returns
    -------
    numpy.ndarray
        float64 ``(n, len(AF_FEATURE_NAMES))``.
    """
    n = len(starts)
    if n == 0:
        return np.zeros((0, len(AF_FEATURE_NAMES)))
    centre = (np.asarray(starts, np.float64) + np.asarray(lengths, np.float64) / 2) / fs
    lo = np.searchsorted(centre, centre - AF_WINDOW_S, side="left")
    hi = np.searchsorted(centre, centre + AF_WINDOW_S, side="right")  # runs lo .. hi-1
    rr = np.r_[np.nan, np.diff(centre)]  # rr[j]: run j-1 -> j
    drr = np.r_[np.nan, np.nan, np.abs(np.diff(rr[1:]))] if n > 2 else np.full(n, np.nan)
    n_rr = np.maximum(hi - lo - 1, 0)
    rr0 = np.nan_to_num(rr)
    rr_sum = _window_sum(rr0, np.minimum(lo + 1, hi), hi)
    rr_sq = _window_sum(rr0**2, np.minimum(lo + 1, hi), hi)
    n_drr = np.maximum(hi - lo - 2, 0)
    d_lo = np.minimum(lo + 2, hi)
    drr_sum = _window_sum(np.nan_to_num(drr), d_lo, hi)
    p_max, _ = pre_qrs_p(starts, lengths, wave_probs, fs)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_rr = rr_sum / n_rr
        regular = _window_sum((drr <= REGULAR_PAIR * rr).astype(np.float64), d_lo, hi)
        nsd = (drr_sum / n_drr) / mean_rr
        robust = window_median(centre, drr, AF_WINDOW_S, skip=2) / window_median(centre, rr, AF_WINDOW_S, skip=1)
        cv = np.sqrt(np.maximum(rr_sq / n_rr - mean_rr**2, 0.0)) / mean_rr
        share_reg = regular / n_drr
    classes = np.argmax(np.asarray(sums)[:, 1:], axis=1) + 1
    counts = np.maximum(hi - lo, 1)
    share_v = _window_sum((classes == _V).astype(np.float64), lo, hi) / counts
    share_s = _window_sum((classes == _S).astype(np.float64), lo, hi) / counts
    p_wave = _window_sum(p_max, lo, hi) / counts
    qrs_prob = _window_sum(_run_mean(wave_probs, _QRS, starts, lengths), lo, hi) / counts
    width = np.asarray(lengths, np.float64) / fs
    mean_width = _window_sum(width, lo, hi) / counts
    width_sq = _window_sum(width**2, lo, hi) / counts
    width_cv = np.sqrt(np.maximum(width_sq - mean_width**2, 0.0)) / np.maximum(mean_width, 1e-9)
    probs = np.asarray(rhythm_probs)[:, list(_RHYTHM.values())].astype(np.float64)  # the columns used only
    r_lo = np.clip(np.ceil((centre - AF_WINDOW_S) * fs), 0, len(probs)).astype(np.int64)
    r_hi = np.clip(np.floor((centre + AF_WINDOW_S) * fs) + 1, 0, len(probs)).astype(np.int64)
    p = _window_sum(probs, r_lo, r_hi) / np.maximum(r_hi - r_lo, 1)[:, None]
    few = n_rr < MIN_RR
    log_robust = np.where(few | ~np.isfinite(robust), np.log(0.02), np.log(np.where(few, 1.0, robust) + 1e-3))
    out = np.column_stack([
        *p.T,
        np.where(few, np.log(0.8), np.log(np.where(few, 1.0, mean_rr))),
        np.where(few, np.log(0.02), np.log(np.where(few, 1.0, nsd) + 1e-3)),
        log_robust,
        np.where(few, np.log(0.02), np.log(np.where(few, 1.0, cv) + 1e-3)),
        np.where(few, 1.0, np.nan_to_num(share_reg, nan=1.0)),
        p_wave, share_v, share_s,
        (hi - lo) / (2 * AF_WINDOW_S),
        few.astype(np.float64),
        qrs_prob, width_cv,
        (log_robust - np.log(AF_TYPICAL_NSD)) ** 2,
    ])
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)


class AFStage(Stage):
    """The AF stage: a two-class (0 not AF, 1 AF) :class:`~openecg.stream.stage_classifier.StageClassifier`
    over :func:`af_features`."""

    KIND = KIND
    FEATURE_NAMES = AF_FEATURE_NAMES
    SETTINGS = SETTINGS
    LABEL = "AF stage"

    def __post_init__(self) -> None:
        super().__post_init__()
        if tuple(self.classifier.classes) != (0, 1):
            raise ValueError(f"classes={self.classifier.classes} must be (0, 1): not AF, AF")

    def probability(self, features: np.ndarray) -> np.ndarray:
        """float64 ``(n,)`` P(AF) of rows of :func:`af_features` (after the decision offsets)."""
        return self.classifier.probabilities(features)[:, 1]

    def apply(self, rhythm: np.ndarray, starts: np.ndarray, lengths: np.ndarray, sums: np.ndarray,
              wave_probs: np.ndarray, rhythm_probs: np.ndarray, fs: float) -> np.ndarray:
        """The rhythm channel ``(m,)`` with AF decided by this stage (see the module docstring); the other
        arguments are as for :func:`af_features`."""
        out = rhythm.copy()
        if len(starts) == 0:
            return out
        prob = self.probability(af_features(starts, lengths, sums, wave_probs, rhythm_probs, fs))
        centre = np.asarray(starts, np.float64) + np.asarray(lengths, np.float64) / 2
        samples = np.arange(len(rhythm), dtype=np.float64)
        j = np.zeros(len(rhythm), np.int64)
        if len(centre) > 1:
            j = np.clip(np.searchsorted(centre, samples), 1, len(centre) - 1)
            j = np.where(np.abs(centre[j - 1] - samples) <= np.abs(centre[j] - samples), j - 1, j)
        near = np.abs(centre[j] - samples) <= AF_REACH_S * fs
        af = near & (prob[j] > 0.5)
        out[af & (rhythm != _NOISE)] = _AF
        out[near & ~af & (rhythm == _AF)] = _SINUS
        return out
