"""Augmentations that match real recordings, applied to one training window at a time.

Every function takes the window's float32 signal ``(T,)`` in mV (and where it changes the targets, its
uint8 labels ``(3, T)``, bool mask ``(3, T)`` and int8 QRS presence ``(T,)``) and a numpy ``Generator``.
"""

from __future__ import annotations

import numpy as np

from ..tokenizer.vocab import class_id

__all__ = ["baseline_wander", "scale_and_flip", "add_motion_noise", "add_white_and_mains", "unreadable_span"]

NOISE = class_id("rhythm", "noise")


def baseline_wander(x: np.ndarray, fs: float, rng: np.random.Generator) -> np.ndarray:
    """Add 1-3 slow sinusoids (0.05-0.6 Hz, up to 0.6 mV) like respiration and electrode drift."""
    t = np.arange(x.size) / fs
    for _ in range(rng.integers(1, 4)):
        x = x + rng.uniform(0.05, 0.6) * np.sin(2 * np.pi * rng.uniform(0.05, 0.6) * t + rng.uniform(0, 2 * np.pi))
    return x.astype(np.float32)


def scale_and_flip(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Scale the amplitude by a log-uniform factor in [0.4, 2.5]; flip polarity with probability 0.15."""
    gain = np.exp(rng.uniform(np.log(0.4), np.log(2.5)))
    return (x * (-gain if rng.random() < 0.15 else gain)).astype(np.float32)


def add_motion_noise(x: np.ndarray, noise: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Add a random stretch of real electrode-motion noise (NSTDB, noisy minus clean) at an SNR of -3 to 18 dB."""
    start = rng.integers(0, noise.size - x.size)
    n = noise[start : start + x.size]
    p_sig, p_noise = np.mean((x - x.mean()) ** 2) + 1e-6, np.mean(n**2) + 1e-9
    snr_db = rng.uniform(-3.0, 18.0)
    return (x + n * np.sqrt(p_sig / p_noise / 10 ** (snr_db / 10))).astype(np.float32)


def add_white_and_mains(x: np.ndarray, fs: float, rng: np.random.Generator) -> np.ndarray:
    """Add muscle-like white noise (up to 0.08 mV RMS) and, half the time, 50 or 60 Hz mains hum."""
    x = x + rng.normal(0.0, rng.uniform(0.0, 0.08), x.size)
    if rng.random() < 0.5:
        t = np.arange(x.size) / fs
        x = x + rng.uniform(0.0, 0.1) * np.sin(2 * np.pi * rng.choice([50.0, 60.0]) * t + rng.uniform(0, 6.3))
    return x.astype(np.float32)


def unreadable_span(
    x: np.ndarray, labels: np.ndarray, mask: np.ndarray, qrs: np.ndarray, fs: float, rng: np.random.Generator
) -> None:
    """Replace a span of 2 s to the whole window with a flat line or pure noise, in place.

    The span becomes what the model must answer for gaps and lead-off: no wave (0), no beat (0), rhythm
    "noise", all three supervised.
    """
    length = int(rng.integers(int(2 * fs), x.size + 1))
    start = int(rng.integers(0, x.size - length + 1))
    span = slice(start, start + length)
    kind = rng.integers(3)
    if kind == 0:
        x[span] = rng.uniform(-1, 1) + rng.normal(0, 0.005, length)
    elif kind == 1:
        x[span] = np.cumsum(rng.normal(0, 0.05, length)) + rng.normal(0, 0.3, length)
    else:
        x[span] = rng.normal(0, rng.uniform(0.3, 2.0), length)
    labels[:, span] = 0
    labels[2, span] = NOISE
    mask[:, span] = True
    qrs[span] = 0
