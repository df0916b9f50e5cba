"""A synthetic 12-lead ECG for tests that need no database: Gaussian P, QRS and T waves per beat."""

from __future__ import annotations

import numpy as np

from openecg.paper.printout import STANDARD_LEADS
from openecg.signal import Recording


def synthetic_ecg(*, fs: float = 500.0, seconds: float = 10.0, seed: int = 0) -> Recording:
    """12 leads, 72 bpm, lead-dependent amplitudes in mV (QRS up to about 1.4 mV)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * fs)) / fs
    signal = np.zeros((t.size, 12), np.float32)
    beats = np.arange(0.4, seconds, 60 / 72)
    for lead in range(12):
        p, r, s, tw = rng.uniform(0.05, 0.2), rng.uniform(-0.6, 1.4), rng.uniform(-0.4, 0), rng.uniform(-0.1, 0.4)
        for beat in beats:
            signal[:, lead] += p * np.exp(-((t - beat + 0.16) / 0.025) ** 2)
            signal[:, lead] += r * np.exp(-((t - beat) / 0.011) ** 2) + s * np.exp(-((t - beat - 0.03) / 0.012) ** 2)
            signal[:, lead] += tw * np.exp(-((t - beat - 0.3) / 0.06) ** 2)
    return Recording(signal, fs=fs, lead_names=STANDARD_LEADS)
