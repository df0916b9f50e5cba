"""Beat classes with RR context: a second stage on the network's per-beat outputs.

The network's beat head sees one 10-s window and little of the rhythm around a beat; a supraventricular
(S) beat differs from a normal one mostly by its prematurity. This stage classifies each QRS run from:

- the network's beat-class probabilities summed over the run (N, S, V, F, Q, paced; "none" left out),
  normalised, as log-probabilities;
- the QRS width in seconds;
- the RR context against the local mean RR: the previous and the next RR (centre to centre of the QRS
  runs) divided by the mean RR of the beats within ``RR_WINDOW_S`` on either side (causal and lookahead),
  as logarithms, their squares and their difference, and the log of the local mean RR itself. A missing
  neighbour (none within the window) gives 0 and sets a flag feature.

The classifier is a multinomial logistic regression (:class:`BeatStage`) trained on the training records'
network outputs only (``python -m openecg.stage2.beat_stage``) and shipped as ``beat_stage.json`` beside the
model; it runs in numpy.

Streaming: every feature of a beat depends only on the QRS runs within ``RR_WINDOW_S`` (6 s) of it, which is
inside the decoder's 10-s block context (:data:`openecg.stream.engine.CONTEXT_S`), so every chunking gives
the same classes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..tokenizer.vocab import BEAT_CLASSES

__all__ = ["BeatStage", "beat_features", "FEATURE_NAMES", "RR_WINDOW_S"]

RR_WINDOW_S = 6.0
_EPS = 1e-3
FEATURE_NAMES: tuple[str, ...] = (
    *(f"log_p_{e.name}" for e in BEAT_CLASSES[1:]),
    "qrs_width_s",
    "log_rr_prev_rel",
    "log_rr_next_rel",
    "log_rr_prev_rel_sq",
    "log_rr_next_rel_sq",
    "log_rr_prev_over_next",
    "log_mean_rr_s",
    "missing_neighbour",
)


def beat_features(starts: np.ndarray, lengths: np.ndarray, sums: np.ndarray, fs: float) -> np.ndarray:
    """Feature matrix of the QRS runs of one decoded stretch, in the order of :data:`FEATURE_NAMES`.

    Parameters
    ----------
    starts, lengths : numpy.ndarray
        int ``(n,)`` first sample and length of each QRS run at ``fs``, in increasing order.
    sums : numpy.ndarray
        float ``(n, 7)`` the network's beat probabilities summed over each run (class 0, "none", first).
    fs : float
        The decoder's sample rate in Hz.

    Returns
    -------
    numpy.ndarray
        float64 ``(n, len(FEATURE_NAMES))``.
    """
    n = len(starts)
    probs = np.asarray(sums, np.float64)[:, 1:]
    probs = probs / np.maximum(probs.sum(axis=1, keepdims=True), 1e-12)
    centre = (np.asarray(starts, np.float64) + np.asarray(lengths, np.float64) / 2) / fs
    window = RR_WINDOW_S
    lo = np.searchsorted(centre, centre - window, side="left")
    hi = np.searchsorted(centre, centre + window, side="right") - 1
    count = hi - lo
    mean_rr = np.where(count > 0, (centre[hi] - centre[lo]) / np.maximum(count, 1), np.nan)
    prev_rr = np.full(n, np.nan)
    next_rr = np.full(n, np.nan)
    if n > 1:
        gaps = np.diff(centre)
        prev_rr[1:] = np.where(gaps <= window, gaps, np.nan)
        next_rr[:-1] = prev_rr[1:]
    missing = ~(np.isfinite(prev_rr) & np.isfinite(next_rr) & np.isfinite(mean_rr))
    with np.errstate(invalid="ignore", divide="ignore"):
        rel_prev = np.nan_to_num(np.log(prev_rr / mean_rr))
        rel_next = np.nan_to_num(np.log(next_rr / mean_rr))
        log_mean = np.nan_to_num(np.log(mean_rr), nan=np.log(0.8))
    return np.column_stack([
        np.log(probs + _EPS),
        np.asarray(lengths, np.float64) / fs,
        rel_prev,
        rel_next,
        rel_prev**2,
        rel_next**2,
        rel_prev - rel_next,
        log_mean,
        missing.astype(np.float64),
    ])


@dataclass(frozen=True)
class BeatStage:
    """A multinomial logistic regression over :func:`beat_features`: class scores ``((x - mean) / scale) @
    coef.T + intercept``; the answer is the beat class id of the best score.

    Attributes
    ----------
    classes : tuple of int
        Beat class ids (:data:`openecg.tokenizer.vocab.BEAT_CLASSES`) of the ``k`` score rows.
    mean, scale : numpy.ndarray
        float64 ``(f,)`` feature standardisation.
    coef : numpy.ndarray
        float64 ``(k, f)``; ``intercept`` float64 ``(k,)``.
    feature_names : tuple of str
        Must equal :data:`FEATURE_NAMES` (checked on load).
    """

    classes: tuple[int, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    feature_names: tuple[str, ...] = FEATURE_NAMES

    def __post_init__(self) -> None:
        k, f = len(self.classes), len(FEATURE_NAMES)
        if tuple(self.feature_names) != FEATURE_NAMES:
            raise ValueError(f"feature_names={list(self.feature_names)} differ from this version's {list(FEATURE_NAMES)}")
        shapes = {"mean": (f,), "scale": (f,), "coef": (k, f), "intercept": (k,)}
        for name, shape in shapes.items():
            if np.shape(getattr(self, name)) != shape:
                raise ValueError(f"{name} has shape {np.shape(getattr(self, name))}; expected {shape}")
        if not set(self.classes) <= set(range(1, len(BEAT_CLASSES))):
            raise ValueError(f"classes={self.classes} must be beat class ids 1..{len(BEAT_CLASSES) - 1}")

    def classify(self, starts: np.ndarray, lengths: np.ndarray, sums: np.ndarray, fs: float) -> np.ndarray:
        """uint8 ``(n,)`` beat class ids of the QRS runs (arguments as :func:`beat_features`)."""
        if len(starts) == 0:
            return np.zeros(0, np.uint8)
        return self.classify_features(beat_features(starts, lengths, sums, fs))

    def classify_features(self, features: np.ndarray) -> np.ndarray:
        """uint8 ``(n,)`` beat class ids of rows of :func:`beat_features`."""
        scores = ((features - self.mean) / self.scale) @ self.coef.T + self.intercept
        return np.asarray(self.classes, np.uint8)[np.argmax(scores, axis=1)]

    def to_json(self, path: str | Path) -> None:
        """Write the stage as JSON (lists of floats)."""
        Path(path).write_text(json.dumps({
            "kind": "multinomial logistic regression over openecg.stream.rr_beats.beat_features",
            "rr_window_s": RR_WINDOW_S,
            "classes": list(self.classes),
            "class_names": [BEAT_CLASSES[c].name for c in self.classes],
            "feature_names": list(self.feature_names),
            "mean": self.mean.tolist(), "scale": self.scale.tolist(),
            "coef": self.coef.tolist(), "intercept": self.intercept.tolist(),
        }, indent=1) + "\n")

    @classmethod
    def from_json(cls, path: str | Path) -> BeatStage:
        """Read a stage written by :meth:`to_json`; raises ValueError when it does not fit this version."""
        return cls.from_dict(json.loads(Path(path).read_text()), source=str(path))

    @classmethod
    def from_dict(cls, raw: dict, *, source: str = "stage") -> BeatStage:
        """Build the stage from the JSON object :meth:`to_json` writes."""
        path = source
        if raw.get("rr_window_s") != RR_WINDOW_S:
            raise ValueError(f"{path}: rr_window_s={raw.get('rr_window_s')} but this version uses {RR_WINDOW_S}")
        return cls(
            classes=tuple(int(c) for c in raw["classes"]),
            mean=np.asarray(raw["mean"], np.float64), scale=np.asarray(raw["scale"], np.float64),
            coef=np.asarray(raw["coef"], np.float64), intercept=np.asarray(raw["intercept"], np.float64),
            feature_names=tuple(raw["feature_names"]),
        )
