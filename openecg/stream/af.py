"""Atrial fibrillation from RR irregularity and the network's rhythm probabilities: a second rhythm stage.

The rhythm head sees 10 s at a time and learnt AF from few patients; RR irregularity is the feature that
generalises across recordings. For each QRS run this stage computes, over the runs within ``AF_WINDOW_S``
(7 s) on either side:

- the mean AF, sinus and noise probabilities of the network over the same span;
- the log mean RR, the normalised successive RR difference (mean ``|dRR|`` / mean RR), the coefficient of
  variation of RR, and the share of successive RR pairs within 6 % of each other (regular pairs: many in
  sinus rhythm with ectopic beats, few in AF);
- the share of runs the network calls V and S, the run rate, and a flag when fewer than 4 RR intervals are
  in the window.

A logistic regression (:class:`AFStage`, trained on training records only by ``python -m
openecg.stage2.af_stage``, shipped as ``af_stage.json`` beside the model, evaluated in numpy) gives each run
P(AF). Each sample takes the probability of the nearest run centre within ``AF_REACH_S`` (1.5 s); where it is
above 0.5 and the network's rhythm is sinus or AF the sample is AF, where it is at most 0.5 and the network
said AF the sample is sinus. Other rhythms, noise, and samples with no run within reach keep the network's
answer. Every sample depends only on features within ``AF_WINDOW_S + AF_REACH_S`` (8.5 s) of it, inside the
decoder's 10-s block context, so every chunking gives the same rhythm.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..tokenizer.vocab import class_id

__all__ = ["AFStage", "af_features", "AF_FEATURE_NAMES", "AF_WINDOW_S", "AF_REACH_S"]

AF_WINDOW_S = 7.0
AF_REACH_S = 1.5
REGULAR_PAIR = 0.06
MIN_RR = 4
_AF, _SINUS, _NOISE = class_id("rhythm", "AF"), class_id("rhythm", "sinus"), class_id("rhythm", "noise")
_V, _S = class_id("beat", "V"), class_id("beat", "S")
AF_FEATURE_NAMES: tuple[str, ...] = (
    "p_af", "p_sinus", "p_noise", "log_mean_rr_s", "log_nsd", "log_cv", "regular_pairs", "share_v", "share_s",
    "runs_per_s", "few_rr",
)


def _window_sum(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Sum of ``values[lo:hi]`` (along axis 0) for each pair, by a cumulative sum."""
    cum = np.concatenate([np.zeros((1,) + values.shape[1:]), np.cumsum(values, axis=0)])
    return cum[hi] - cum[lo]


def af_features(starts: np.ndarray, lengths: np.ndarray, sums: np.ndarray, rhythm_probs: np.ndarray, fs: float,
                *, step: int = 1) -> np.ndarray:
    """Feature matrix of the QRS runs of one decoded stretch, in the order of :data:`AF_FEATURE_NAMES`.

    Parameters
    ----------
    starts, lengths : numpy.ndarray
        int ``(n,)`` first sample and length of each QRS run at ``fs``, increasing.
    sums : numpy.ndarray
        float ``(n, 7)`` the network's beat probabilities summed over each run.
    rhythm_probs : numpy.ndarray
        float ``(m, 7)`` the network's rhythm probabilities, one row every ``step`` samples from sample 0.
    fs : float
        The decoder's sample rate in Hz.

    Returns
    -------
    numpy.ndarray
        float64 ``(n, len(AF_FEATURE_NAMES))``.
    """
    n = len(starts)
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
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_rr = rr_sum / n_rr
        regular = _window_sum((drr <= REGULAR_PAIR * rr).astype(np.float64), d_lo, hi)
        nsd = (drr_sum / n_drr) / mean_rr
        cv = np.sqrt(np.maximum(rr_sq / n_rr - mean_rr**2, 0.0)) / mean_rr
        share_reg = regular / n_drr
    classes = np.argmax(np.asarray(sums)[:, 1:], axis=1) + 1 if n else np.zeros(0, np.int64)
    counts = np.maximum(hi - lo, 1)
    share_v = _window_sum((classes == _V).astype(np.float64), lo, hi) / counts
    share_s = _window_sum((classes == _S).astype(np.float64), lo, hi) / counts
    probs = np.asarray(rhythm_probs, np.float64)
    r_lo = np.clip(np.ceil((centre - AF_WINDOW_S) * fs / step), 0, len(probs)).astype(np.int64)
    r_hi = np.clip(np.floor((centre + AF_WINDOW_S) * fs / step) + 1, 0, len(probs)).astype(np.int64)
    p = _window_sum(probs, r_lo, r_hi) / np.maximum(r_hi - r_lo, 1)[:, None]
    few = n_rr < MIN_RR
    return np.column_stack([
        p[:, _AF], p[:, _SINUS], p[:, _NOISE],
        np.where(few, np.log(0.8), np.log(np.where(few, 1.0, mean_rr))),
        np.where(few, np.log(0.02), np.log(np.where(few, 1.0, nsd) + 1e-3)),
        np.where(few, np.log(0.02), np.log(np.where(few, 1.0, cv) + 1e-3)),
        np.where(few, 1.0, np.nan_to_num(share_reg, nan=1.0)),
        share_v, share_s,
        (hi - lo) / (2 * AF_WINDOW_S),
        few.astype(np.float64),
    ])


@dataclass(frozen=True)
class AFStage:
    """Logistic regression over :func:`af_features`: P(AF) = sigmoid(((x - mean) / scale) @ coef + intercept).

    Attributes
    ----------
    mean, scale, coef : numpy.ndarray
        float64 ``(f,)``; ``intercept`` float.
    feature_names : tuple of str
        Must equal :data:`AF_FEATURE_NAMES` (checked).
    """

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    feature_names: tuple[str, ...] = AF_FEATURE_NAMES

    def __post_init__(self) -> None:
        if tuple(self.feature_names) != AF_FEATURE_NAMES:
            raise ValueError(f"feature_names={list(self.feature_names)} differ from this version's {list(AF_FEATURE_NAMES)}")
        for name in ("mean", "scale", "coef"):
            if np.shape(getattr(self, name)) != (len(AF_FEATURE_NAMES),):
                raise ValueError(f"{name} has shape {np.shape(getattr(self, name))}; expected ({len(AF_FEATURE_NAMES)},)")

    def probability(self, features: np.ndarray) -> np.ndarray:
        """float64 ``(n,)`` P(AF) of rows of :func:`af_features`."""
        z = ((features - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def apply(self, rhythm: np.ndarray, starts: np.ndarray, lengths: np.ndarray, sums: np.ndarray,
              rhythm_probs: np.ndarray, fs: float) -> np.ndarray:
        """The rhythm channel ``(m,)`` with AF decided by this stage (see the module docstring).

        ``rhythm_probs`` is ``(m, 7)`` per sample; the other arguments are as for :func:`af_features`.
        """
        out = rhythm.copy()
        if len(starts) == 0:
            return out
        prob = self.probability(af_features(starts, lengths, sums, rhythm_probs, fs))
        centre = np.asarray(starts, np.float64) + np.asarray(lengths, np.float64) / 2
        samples = np.arange(len(rhythm), dtype=np.float64)
        j = np.clip(np.searchsorted(centre, samples), 1, max(1, len(centre) - 1)) if len(centre) > 1 else np.zeros(len(rhythm), np.int64)
        if len(centre) > 1:
            j = np.where(np.abs(centre[j - 1] - samples) <= np.abs(centre[j] - samples), j - 1, j)
        near = np.abs(centre[j] - samples) <= AF_REACH_S * fs
        af = near & (prob[j] > 0.5)
        out[af & ((rhythm == _SINUS) | (rhythm == _AF))] = _AF
        out[near & ~af & (rhythm == _AF)] = _SINUS
        return out

    def to_json(self, path: str | Path) -> None:
        """Write the stage as JSON."""
        Path(path).write_text(json.dumps({
            "kind": "logistic regression over openecg.stream.af.af_features",
            "af_window_s": AF_WINDOW_S, "af_reach_s": AF_REACH_S,
            "feature_names": list(self.feature_names),
            "mean": self.mean.tolist(), "scale": self.scale.tolist(), "coef": self.coef.tolist(),
            "intercept": float(self.intercept),
        }, indent=1) + "\n")

    @classmethod
    def from_json(cls, path: str | Path) -> AFStage:
        """Read a stage written by :meth:`to_json`; raises ValueError when it does not fit this version."""
        return cls.from_dict(json.loads(Path(path).read_text()), source=str(path))

    @classmethod
    def from_dict(cls, raw: dict, *, source: str = "stage") -> AFStage:
        """Build the stage from the JSON object :meth:`to_json` writes."""
        path = source
        if raw.get("af_window_s") != AF_WINDOW_S or raw.get("af_reach_s") != AF_REACH_S:
            raise ValueError(f"{path}: windows {raw.get('af_window_s')}/{raw.get('af_reach_s')} s but this version "
                             f"uses {AF_WINDOW_S}/{AF_REACH_S} s")
        return cls(mean=np.asarray(raw["mean"], np.float64), scale=np.asarray(raw["scale"], np.float64),
                   coef=np.asarray(raw["coef"], np.float64), intercept=float(raw["intercept"]),
                   feature_names=tuple(raw["feature_names"]))

