"""Realistic synthetic label channels, for tests and benchmarks of the codec (no signal, labels only).

Each beat is six wave runs (P, PR baseline, QRS, ST baseline, T, TP baseline) with jittered durations at a
heart rate near 70 bpm: a 24-hour recording at 250 Hz has about 100,000 beats and 600,000 wave runs.
About 5 % of beats are ventricular ectopics (no P, a wide QRS, premature, then a compensatory pause) and
3 % supraventricular ectopics (premature, with a P); every few hours comes an atrial fibrillation episode of
a few minutes (no P waves, irregular RR, rhythm class AF).

Examples
--------
>>> channels = synthetic_channels(60.0, fs=250.0, seed=1)
>>> channels.shape, channels.dtype
((3, 15000), dtype('uint8'))
"""

from __future__ import annotations

import numpy as np

from ..signal.recording import check_fs
from .rle import runs_to_labels
from .vocab import class_id

__all__ = ["synthetic_channels"]


def synthetic_channels(duration_s: float, *, fs: float, seed: int = 0) -> np.ndarray:
    """Label channels of a synthetic recording.

    Parameters
    ----------
    duration_s : float
        Length in seconds (``> 0``).
    fs : float
        Sample rate in Hz.
    seed : int
        Seed of the random generator; one seed always gives the same channels.

    Returns
    -------
    numpy.ndarray
        uint8 ``(3, round(duration_s * fs))``: wave, beat and rhythm class ids.
    """
    fs = check_fs(fs)
    n = int(round(duration_s * fs))
    if n < 1:
        raise ValueError(f"duration_s={duration_s!r} gives {n} samples at fs={fs}; a positive duration is required")
    rng = np.random.default_rng(seed)
    ms = fs / 1000.0
    beats = int(n / (600.0 * ms) * 1.3) + 4
    kind = rng.choice(3, size=beats, p=[0.92, 0.05, 0.03])  # 0 normal, 1 ventricular, 2 supraventricular
    af = _af_beats(beats, rng)
    kind[af & (kind == 2)] = 0
    rr = rng.normal(857.0, 40.0, beats)
    rr[af] = rng.uniform(450.0, 1100.0, int(af.sum()))
    premature = kind > 0
    rr[np.flatnonzero(premature[1:])] *= 0.7
    rr[np.flatnonzero(premature[:-1]) + 1] *= 1.3
    p_ms = np.where((kind == 1) | af, 0.0, rng.uniform(80.0, 120.0, beats))
    pr_ms = np.where(kind == 1, 0.0, rng.uniform(40.0, 80.0, beats))
    qrs_ms = np.where(kind == 1, rng.uniform(130.0, 170.0, beats), rng.uniform(80.0, 110.0, beats))
    st_ms = rng.uniform(60.0, 120.0, beats)
    t_ms = rng.uniform(140.0, 200.0, beats)
    durations = np.stack([p_ms, pr_ms, qrs_ms, st_ms, t_ms], axis=1)
    lengths = np.maximum(np.rint(durations * ms), 0).astype(np.int64)
    lengths[:, 2:] = np.maximum(lengths[:, 2:], 1)
    tp = np.maximum(np.rint(rr * ms).astype(np.int64) - lengths.sum(axis=1), 1)
    lengths = np.concatenate([lengths, tp[:, None]], axis=1)

    wave_ids = [class_id("wave", name) for name in ("P", "other", "QRS", "other", "T", "other")]
    beat_ids = np.array([class_id("beat", name) for name in ("N", "V", "S")], dtype=np.uint8)[kind]
    rhythm_ids = np.where(af, class_id("rhythm", "AF"), class_id("rhythm", "sinus")).astype(np.uint8)
    wave = np.broadcast_to(np.array(wave_ids, dtype=np.uint8), lengths.shape)
    beat = np.zeros(lengths.shape, dtype=np.uint8)
    beat[:, 2] = beat_ids
    rhythm = np.broadcast_to(rhythm_ids[:, None], lengths.shape)
    keep = lengths.ravel() > 0
    flat = lengths.ravel()[keep]
    channels = np.stack([runs_to_labels(layer.ravel()[keep], flat) for layer in (wave, beat, rhythm)])
    return np.ascontiguousarray(channels[:, :n])


def _af_beats(beats: int, rng: np.random.Generator) -> np.ndarray:
    """bool ``(beats,)``: episodes of 100 to 400 beats, on average one every 8,000 beats."""
    mask = np.zeros(beats, dtype=bool)
    for onset in np.flatnonzero(rng.random(beats) < 1 / 8000):
        mask[onset : onset + int(rng.integers(100, 400))] = True
    return mask
