"""The model's output heads, derived from the class tables: the one place that says what a model returns.

Every model (torch, ONNX, TFLite, test oracle) has one head per label layer of :mod:`openecg.tokenizer.vocab`,
in the order of :data:`~openecg.tokenizer.vocab.LAYERS`, each with one probability per class of that layer's
table. The streaming engine stitches the heads side by side into one feature row per sample, followed by
the fraction of leads that were readable there; :data:`HEADS` gives each head's columns in that row.

Examples
--------
>>> [(h.name, h.size, h.columns) for h in HEADS]
[('wave', 5, slice(0, 5, None)), ('beat', 7, slice(5, 12, None)), ('rhythm', 7, slice(12, 19, None))]
>>> N_FEATURES, VALID
(20, 19)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..tokenizer.vocab import LAYERS, Entry, table_entries

__all__ = ["Head", "HEADS", "HEAD_NAMES", "OUTPUT_CLASSES", "N_FEATURES", "VALID", "to_samples"]


class Head(NamedTuple):
    """One output head: the layer it predicts, its classes, and its columns in a stitched feature row."""

    name: str
    classes: tuple[Entry, ...]
    columns: slice

    @property
    def size(self) -> int:
        """Number of classes (probabilities per sample)."""
        return len(self.classes)


def _heads() -> tuple[Head, ...]:
    heads, start = [], 0
    for layer in LAYERS:
        classes = table_entries(layer)
        heads.append(Head(layer, classes, slice(start, start + len(classes))))
        start += len(classes)
    return tuple(heads)


HEADS: tuple[Head, ...] = _heads()
"""The heads in output order (wave, beat, rhythm)."""

HEAD_NAMES: tuple[str, ...] = tuple(h.name for h in HEADS)
"""Output names of every model file, in order: ``("wave", "beat", "rhythm")``."""

OUTPUT_CLASSES: dict[str, int] = {h.name: h.size for h in HEADS}
"""Number of classes of each head: ``{"wave": 5, "beat": 7, "rhythm": 7}``."""

VALID: int = HEADS[-1].columns.stop
"""Column of a stitched feature row holding the fraction of readable leads (after the heads)."""

N_FEATURES: int = VALID + 1
"""Width of a stitched feature row: every head's probabilities, then the readable fraction."""


def to_samples(probs: np.ndarray, window: int) -> np.ndarray:
    """Repeat one head's rows to one row per input sample: ``(..., t, C)`` -> ``(..., window, C)`` float32.

    Each of the ``t`` rows covers ``ceil(window / t)`` samples (the last ones cut at ``window``); a head already
    at the input rate (``t == window``) is returned as it is."""
    if probs.shape[-2] == window:
        return probs.astype(np.float32, copy=False)
    factor = -(-window // probs.shape[-2])
    return np.repeat(probs, factor, axis=-2)[..., :window, :].astype(np.float32, copy=False)
