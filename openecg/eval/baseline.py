"""The NeuroKit2 discrete-wavelet delineation baseline, turned into wave labels for the common metrics."""

from __future__ import annotations

import numpy as np

from ..errors import require
from ..signal.recording import as_signal, check_fs
from ..tokenizer.vocab import class_id

__all__ = ["neurokit_wave_labels"]

_WAVES = (("P", class_id("wave", "P")), ("R", class_id("wave", "QRS")), ("T", class_id("wave", "T")))
_MAX_WIDTH_S = {"P": 0.25, "R": 0.25, "T": 0.6}


def neurokit_wave_labels(signal: np.ndarray, *, fs: float) -> np.ndarray:
    """Delineate one lead with NeuroKit2 (``ecg_peaks`` then ``ecg_delineate(method="dwt")``).

    Each beat's onset-offset pair with both ends found (and a plausible width) becomes a run of the wave
    class, QRS from ``R_Onsets`` to ``R_Offsets``. Needs the ``baseline`` extra (``neurokit2``).

    Parameters
    ----------
    signal : numpy.ndarray
        ``(samples,)`` or ``(samples, 1)`` in mV.
    fs : float
        Sample rate in Hz.

    Returns
    -------
    numpy.ndarray
        uint8 ``(samples,)`` WAVE_CLASSES ids (0 everywhere when NeuroKit2 finds nothing).
    """
    import warnings

    nk = require("neurokit2", extra="baseline", feature="the NeuroKit2 baseline")

    x = as_signal(signal)
    if x.shape[1] != 1:
        raise ValueError(f"signal has {x.shape[1]} leads; pass one lead, for example signal[:, 1]")
    fs = check_fs(fs)
    trace = np.nan_to_num(x[:, 0].astype(np.float64))
    labels = np.zeros(len(trace), np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            cleaned = nk.ecg_clean(trace, sampling_rate=int(round(fs)))
            _, info = nk.ecg_peaks(cleaned, sampling_rate=int(round(fs)))
            peaks = np.asarray(info["ECG_R_Peaks"])
            if len(peaks) < 3:
                return labels
            _, waves = nk.ecg_delineate(cleaned, peaks, sampling_rate=int(round(fs)), method="dwt")
        except (ValueError, IndexError, ZeroDivisionError):
            return labels
    for name, cls in _WAVES:
        onsets = np.asarray(waves.get(f"ECG_{name}_Onsets", []), dtype=float)
        offsets = np.asarray(waves.get(f"ECG_{name}_Offsets", []), dtype=float)
        limit = _MAX_WIDTH_S[name] * fs
        for on, off in zip(onsets, offsets):
            if np.isfinite(on) and np.isfinite(off) and 0 < off - on <= limit:
                labels[int(on) : int(off) + 1] = cls
    return labels
