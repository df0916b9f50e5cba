"""The predictor interface every inference backend implements (ONNX Runtime, LiteRT, test oracles)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["Predictor"]


@runtime_checkable
class Predictor(Protocol):
    """A single-lead segmentation model run on fixed windows.

    Attributes
    ----------
    fs : float
        The model's sample rate in Hz (250.0 for the shipped models).
    window : int
        Samples per window at ``fs`` (2500 = 10 s).

    Notes
    -----
    A predictor may also have ``predict_frames(x)``: the same probabilities at each head's own rate, ``(B, t, C)``
    with each of the ``t`` rows standing for ``ceil(window / t)`` samples (the bundled models give the beat
    head at half the rate and the rhythm head per 64-ms frame). The stream then fuses the leads before
    repeating the rows, which gives the same numbers with less work.
    """

    fs: float
    window: int

    def predict(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Per-sample class probabilities for a batch of windows.

        Parameters
        ----------
        x : numpy.ndarray
            float32 ``(B, window)``: one lead per row, raw mV at ``fs``, finite (the caller zero-fills gaps;
            the predictor normalises internally).

        Returns
        -------
        dict of str to numpy.ndarray
            float32 probabilities per head of :data:`openecg.runtime.heads.HEADS`: ``"wave"``
            ``(B, window, 5)``, ``"beat"`` ``(B, window, 7)`` and ``"rhythm"`` ``(B, window, 7)``.
        """
        ...
