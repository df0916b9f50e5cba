"""Oracle predictors for the stream tests: their output is a known function of each input sample."""

from __future__ import annotations

import numpy as np

FS = 250.0
WINDOW = 2500
GUARD = 500
MODULUS = 1 << 20


def ramp(n: int) -> np.ndarray:
    """float32 ``(n,)``: sample ``t`` holds ``1 + t mod 2**20`` (exact in float32, never 0 = padding)."""
    return (1 + np.arange(n, dtype=np.int64) % MODULUS).astype(np.float32)


class EchoOracle:
    """Reads the absolute index of every sample from a :func:`ramp` input and reports, per sample, in the
    "wave" output: [0] a context code (0 fine, 1 less than the guard before it in its window, 2 less than
    the guard after it, 3 padding), [1] and [2] the two low bytes of the index, [3] the window start's low
    byte. ``n`` is the recording's length in samples. Counts its calls and rows.

    Indices are read modulo 2**20, so beyond 2**20 samples (about 70 min) the context rules are exact
    except within the guard of a multiple of 2**20 from either end, where the oracle is lenient."""

    fs = FS
    window = WINDOW

    def __init__(self, n: int):
        self.n = n
        self.calls = 0
        self.rows = 0

    def predict(self, x: np.ndarray) -> dict[str, np.ndarray]:
        self.calls += 1
        self.rows += len(x)
        b, w = x.shape
        assert x.dtype == np.float32 and w == WINDOW
        t = x.astype(np.int64) - 1
        p = np.arange(w)[None, :]
        s = (t - p) % MODULUS
        code = np.zeros((b, w), np.float32)
        code[p < np.minimum(GUARD, t)] = 1
        to_end = (self.n - 1 - t) % MODULUS
        right = WINDOW - 1 - p < np.minimum(GUARD, to_end)
        code[right] = 2
        code[x == 0] = 3
        wave = np.zeros((b, w, 5), np.float32)
        wave[..., 0] = code
        wave[..., 1] = t % 256
        wave[..., 2] = (t // 256) % 256
        wave[..., 3] = s[:, :1] % 256
        return {"wave": wave, "beat": np.zeros((b, w, 7), np.float32), "rhythm": np.zeros((b, w, 7), np.float32)}


def echo_decode(features: np.ndarray, fs: float) -> np.ndarray:
    """Stand-in for :func:`openecg.stream.decoder.decode_frames` that passes the echo through: (3, samples) uint8 of
    code, index low byte, index second byte."""
    return features[:, :3].T.astype(np.uint8)


class LevelOracle:
    """A toy segmenter: wave class = the input level rounded (0..4), beat N inside QRS, rhythm AF where the
    level is above 5 mV (wave then from level - 10) and sinus elsewhere."""

    fs = FS
    window = WINDOW

    def predict(self, x: np.ndarray) -> dict[str, np.ndarray]:
        b, w = x.shape
        af = x > 5
        level = np.clip(np.rint(np.where(af, x - 10, x)), 0, 4).astype(np.int64)
        wave = np.eye(5, dtype=np.float32)[level]
        beat = np.zeros((b, w, 7), np.float32)
        beat[..., 0] = 0.4
        beat[..., 1] = 0.6
        rhythm = np.eye(7, dtype=np.float32)[np.where(af, 1, 0)]
        return {"wave": wave, "beat": beat, "rhythm": rhythm}


BEAT_PATTERN = ((0, 0.30), (1, 0.10), (0, 0.08), (2, 0.10), (0, 0.12), (3, 0.20), (0, 0.10))
"""One 1-s beat as (wave class, seconds); the level signal holds the class as its value in mV."""


def level_signal(fs: float, seconds: float, *, seed: int = 0, offset_s: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """float32 ``(n,)`` signal for :class:`LevelOracle` (wave class + noise of 0.02 mV) and the int
    ``(n,)`` true wave class of each sample, for ``seconds`` of beats at ``fs`` Hz."""
    n = int(round(seconds * fs))
    t = (np.arange(n) / fs - offset_s) % 1.0
    bounds = np.cumsum([d for _, d in BEAT_PATTERN])
    phase = np.searchsorted(bounds, t, side="right").clip(0, len(BEAT_PATTERN) - 1)
    truth = np.array([c for c, _ in BEAT_PATTERN])[phase]
    noise = np.random.default_rng(seed).uniform(-0.02, 0.02, n)
    return (truth + noise).astype(np.float32), truth


class RhythmOracle:
    """Rhythm class = the input level in mV (0..5), wave "other" everywhere: for episode tests."""

    fs = FS
    window = WINDOW

    def predict(self, x: np.ndarray) -> dict[str, np.ndarray]:
        b, w = x.shape
        rhythm = np.eye(7, dtype=np.float32)[np.clip(np.rint(x), 0, 5).astype(np.int64)]
        other = np.zeros((b, w, 5), np.float32)
        other[..., 0] = 1
        none = np.zeros((b, w, 7), np.float32)
        none[..., 0] = 1
        return {"wave": other, "beat": none, "rhythm": rhythm}


def rhythm_signal(seconds: float, *, seed: int = 0) -> np.ndarray:
    """float32 at 250 Hz: levels 0..5 held for 0.2 to 6 s at random, plus 0.02 mV noise."""
    rng = np.random.default_rng(seed)
    parts, total = [], 0
    while total < seconds * FS:
        n = int(rng.uniform(0.2, 6.0) * FS)
        parts.append(np.full(n, rng.integers(0, 6), np.float32))
        total += n
    x = np.concatenate(parts)[: int(seconds * FS)]
    return x + rng.uniform(-0.02, 0.02, len(x)).astype(np.float32)
