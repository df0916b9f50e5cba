"""The classifier both second stages share: standardised features, a small multilayer perceptron, class scores.

A :class:`StageClassifier` maps a feature matrix ``(n, f)`` to scores ``(n, k)``: the features are
standardised (``(x - mean) / scale``), passed through ``len(weights) - 1`` hidden layers with ReLU, then a
linear output layer, and ``offsets`` are added to the output (per-class decision shifts chosen by
cross-validation on training records). With one layer it is a multinomial logistic regression. It runs in
numpy only; :mod:`openecg.stage2.stage_fit` trains it (torch, training time only). Each stage
(:mod:`.rr_beats`, :mod:`.af`) stores one in its JSON file together with its own settings, and the file is
refused when its feature names or settings differ from the code reading it.

Examples
--------
>>> clf = StageClassifier(feature_names=("a",), classes=(0, 1), mean=np.zeros(1), scale=np.ones(1),
...                       weights=(np.array([[-1.0, 1.0]]),), biases=(np.zeros(2),), offsets=np.zeros(2))
>>> clf.predict(np.array([[-2.0], [3.0]])).tolist()
[0, 1]
>>> StageClassifier.from_dict(clf.to_dict(kind="demo"), kind="demo", feature_names=("a",)).classes
(0, 1)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import ClassVar
from pathlib import Path

import numpy as np

__all__ = ["StageClassifier", "Stage"]

FORMAT = 2
"""Version of the JSON layout written by :meth:`StageClassifier.to_dict`."""


@dataclass(frozen=True)
class StageClassifier:
    """Standardisation -> ReLU hidden layers -> linear scores (+ offsets); see the module docstring.

    Attributes
    ----------
    feature_names : tuple of str
        The ``f`` feature columns, in order.
    classes : tuple of int
        The class id of each of the ``k`` score columns.
    mean, scale : numpy.ndarray
        float64 ``(f,)`` standardisation.
    weights : tuple of numpy.ndarray
        float64 ``(in, out)`` per layer; the first takes ``f`` inputs, the last gives ``k`` outputs.
    biases : tuple of numpy.ndarray
        float64 ``(out,)`` per layer.
    offsets : numpy.ndarray
        float64 ``(k,)`` added to the output scores.
    settings : dict
        The stage's own settings (windows in seconds ...), stored beside the weights and checked on load.
    """

    feature_names: tuple[str, ...]
    classes: tuple[int, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    offsets: np.ndarray
    settings: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        f, k = len(self.feature_names), len(self.classes)
        for name in ("mean", "scale"):
            if np.shape(getattr(self, name)) != (f,):
                raise ValueError(f"{name} has shape {np.shape(getattr(self, name))}; expected ({f},) for {f} features")
        if np.shape(self.offsets) != (k,):
            raise ValueError(f"offsets has shape {np.shape(self.offsets)}; expected ({k},) for {k} classes")
        if not self.weights or len(self.weights) != len(self.biases):
            raise ValueError(f"weights ({len(self.weights)} layers) and biases ({len(self.biases)}) must be "
                             "non-empty and of one length")
        width = f
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            out = k if i == len(self.weights) - 1 else np.shape(w)[-1]
            if np.shape(w) != (width, out) or np.shape(b) != (out,):
                raise ValueError(f"layer {i}: weights {np.shape(w)}, biases {np.shape(b)}; expected ({width}, {out}), "
                                 f"({out},)")
            width = out

    def scores(self, features: np.ndarray) -> np.ndarray:
        """float64 ``(n, k)`` class scores (logits plus offsets) of ``features (n, f)``."""
        h = (np.asarray(features, np.float64) - self.mean) / self.scale
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            h = np.maximum(h @ w + b, 0.0)
        return h @ self.weights[-1] + self.biases[-1] + self.offsets

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """float64 ``(n, k)`` softmax of :meth:`scores`."""
        s = self.scores(features)
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, features: np.ndarray) -> np.ndarray:
        """int64 ``(n,)`` class id of the best score of each row."""
        return np.asarray(self.classes, np.int64)[np.argmax(self.scores(features), axis=1)]

    def to_dict(self, *, kind: str) -> dict:
        """The JSON object of this classifier; ``kind`` names the stage that reads it."""
        return {
            "kind": kind, "format": FORMAT, "settings": dict(self.settings),
            "feature_names": list(self.feature_names), "classes": list(self.classes),
            "mean": self.mean.tolist(), "scale": self.scale.tolist(),
            "layers": [{"weights": w.tolist(), "biases": b.tolist()} for w, b in zip(self.weights, self.biases)],
            "offsets": self.offsets.tolist(),
        }

    @classmethod
    def from_dict(cls, raw: dict, *, kind: str, feature_names: tuple[str, ...], settings: dict | None = None,
                  source: str = "stage") -> StageClassifier:
        """Read :meth:`to_dict`'s object, checking that it is a ``kind`` stage of this format with these
        ``feature_names`` and ``settings``; raises ValueError naming what differs."""
        expected = {"kind": kind, "format": FORMAT, "feature_names": list(feature_names)}
        if settings is not None:
            expected["settings"] = dict(settings)
        for key, value in expected.items():
            if raw.get(key) != value:
                raise ValueError(f"{source}: {key}={raw.get(key)!r} but this version of openecg reads {value!r}; "
                                 "refit the stage with this version (python -m openecg.stage2.beat_stage / af_stage)")
        return cls(
            feature_names=tuple(raw["feature_names"]), classes=tuple(int(c) for c in raw["classes"]),
            mean=np.asarray(raw["mean"], np.float64), scale=np.asarray(raw["scale"], np.float64),
            weights=tuple(np.asarray(layer["weights"], np.float64).reshape(len(layer["weights"]), -1)
                          for layer in raw["layers"]),
            biases=tuple(np.asarray(layer["biases"], np.float64) for layer in raw["layers"]),
            offsets=np.asarray(raw["offsets"], np.float64), settings=dict(raw.get("settings", {})),
        )

    def to_json(self, path: str | Path, *, kind: str) -> None:
        """Write :meth:`to_dict` to ``path``."""
        Path(path).write_text(json.dumps(self.to_dict(kind=kind)) + "\n")


@dataclass(frozen=True)
class Stage:
    """What both second stages share: their :class:`StageClassifier`, the check of its feature names, and the
    JSON round trip that refuses a file of another kind, format, feature list or settings. A stage subclass
    sets ``KIND``, ``FEATURE_NAMES``, ``SETTINGS`` and ``LABEL`` (its name in error messages)."""

    KIND: ClassVar[str]
    FEATURE_NAMES: ClassVar[tuple[str, ...]]
    SETTINGS: ClassVar[dict]
    LABEL: ClassVar[str]

    classifier: StageClassifier

    def __post_init__(self) -> None:
        if tuple(self.classifier.feature_names) != self.FEATURE_NAMES:
            raise ValueError(f"feature_names={list(self.classifier.feature_names)} differ from this version's "
                             f"{list(self.FEATURE_NAMES)}")

    def to_json(self, path: str | Path) -> None:
        """Write the stage as JSON."""
        self.classifier.to_json(path, kind=self.KIND)

    @classmethod
    def from_json(cls, path: str | Path):
        """Read a stage written by :meth:`to_json`; raises ValueError when it does not fit this version."""
        return cls.from_dict(json.loads(Path(path).read_text()), source=str(path))

    @classmethod
    def from_dict(cls, raw: dict, *, source: str | None = None):
        """Build the stage from the JSON object :meth:`to_json` writes."""
        return cls(StageClassifier.from_dict(raw, kind=cls.KIND, feature_names=cls.FEATURE_NAMES,
                                             settings=cls.SETTINGS, source=source or cls.LABEL))
